"""`python -m workshop`: the commands a learner works the lessons with, and the board.

Each command turns the mistakes a learner can make around it (an unknown lesson, a missing or
unreadable file, no terminal to answer a question) into one or two plain lines, never a traceback.
"""

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor

from rich.prompt import Confirm

from workshop import course, files, results, runner, starters, state
from workshop.display import (
    BoardRow,
    console,
    show_board,
    show_diff,
    show_hints,
    show_run,
    tolerate_unencodable_output,
)

# `check` leaves the browser tests out: they take seconds to start a browser. `--browser`, verify
# and CI run them.
WITHOUT_BROWSER = ("-m", "not browser")


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One clear line, no usage dump: the learner sees what was wrong and where to look.
        console.print(f"[red]{message}[/] (python -m workshop --help)", soft_wrap=True)
        raise SystemExit(2)


def build_parser():
    parser = Parser(
        prog="python -m workshop",
        description="Work the lessons: with no command, show where you are.",
    )
    commands = parser.add_subparsers(dest="command", metavar="command", parser_class=Parser)

    def command(name, help_text, lesson=True, optional=False):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if lesson:
            sub.add_argument(
                "lesson", nargs="?" if optional else None, help="lesson number, e.g. 3"
            )
        return sub

    command("board", "show every lesson's status (the default)", lesson=False)
    check = command(
        "check",
        "run a lesson's tests against your code; any pytest option (-v, -k EXPR, -x) goes along",
    )
    check.add_argument("--browser", action="store_true", help="run the browser tests too")
    command("hint", "show the next hint for a lesson").add_argument(
        "--all", action="store_true", help="show every hint you have seen so far"
    )
    for name, help_text in [
        ("reset", "put a lesson's starter files back (your version is kept aside)"),
        ("solution", "show the reference solution as a diff from your files"),
    ]:
        command(name, help_text).add_argument(
            "--yes", "-y", action="store_true", help="don't ask first"
        )
    command("watch", "re-run a lesson's check whenever you save one of its files", optional=True)
    command(
        "verify", "for maintainers: every solution passes, every starter fails", lesson=False
    ).add_argument(
        "--mutants",
        nargs="*",
        metavar="LESSON",
        help="instead, run the mutant catalogs (tests/mutants/) of these lessons, or of all",
    )
    demo = command("demo", "run the finished shop in one process", lesson=False)
    demo.add_argument("--mine", action="store_true", help="run your code, not the reference")
    demo.add_argument("--port", type=int, default=8000)
    return parser


def parse(argv=None):
    parser = build_parser()
    # Options the CLI does not know are pytest's, for `check` only: `check 3 -k signup -x`.
    args, pytest_options = parser.parse_known_args(argv)
    if pytest_options and args.command != "check":
        parser.error(f"unrecognized arguments: {' '.join(pytest_options)}")
    args.pytest_options = pytest_options
    return args


def main(argv=None):
    tolerate_unencodable_output()
    args = parse(argv)
    handler = COMMANDS[args.command or "board"]
    try:
        return handler(args)
    except course.UnknownLesson as error:
        console.print(f"[red]{error}[/]", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        console.print("\nStopped.")
        return 130


def lesson_of(args):
    # A path as a shell completes it, on any system: .\lessons\01_signals_basics\ too.
    return course.find(args.lesson.replace("\\", "/").removeprefix("./"))


def check_options(pytest_options=(), browser=False):
    """The pytest options of a check: the learner's own come last, so that they win."""
    return [*(() if browser else WITHOUT_BROWSER), *pytest_options]


def check_run(lesson, pytest_options=(), browser=False):
    return runner.run_lesson(lesson, extra=check_options(pytest_options, browser))


def recorded_run(lesson):
    """The learner's last full check of the lesson, if nothing in it has changed since."""
    record = results.load_progress(lesson)
    if isinstance(record, dict) and record.get("fingerprint") == results.fingerprint(lesson):
        return runner.Run.from_record(lesson, record)
    return None


def current_run(lesson):
    """The recorded result if the lesson has not changed since; else a fresh check."""
    return recorded_run(lesson) or check_run(lesson)


def has_passed(lesson):
    return (run := recorded_run(lesson)) is not None and run.ok


def one_line(text, limit=160):
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    line = lines[-1] if lines else "the tests could not run"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def board_row(lesson):
    if reason := files.damage(lesson):
        return BoardRow(lesson, "broken", reason=reason)
    run = current_run(lesson)
    if run.broken or run.problem:
        return BoardRow(lesson, "broken", reason=one_line(run.broken or run.problem))
    tests = f"{len(run.passed)}/{len(run.tests)}"
    if run.ok:
        return BoardRow(lesson, "passed", tests)
    return BoardRow(lesson, "not started" if files.is_untouched(lesson) else "failing", tests)


def board(args):
    lessons = course.lessons()
    with console.status("Checking your lessons..."), ThreadPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(board_row, lessons))
    show_board(rows)
    return 0


def cannot_check(lesson):
    """Say so, in one line, if the lesson's files keep it from being checked."""
    if reason := files.damage(lesson):
        console.print(f"Lesson {lesson.number:02d} cannot be checked: {reason}.", soft_wrap=True)
        return True
    return False


def check(args):
    lesson = lesson_of(args)
    if cannot_check(lesson):
        return 1
    with console.status(f"Running lesson {lesson.number:02d}'s tests..."):
        run = check_run(lesson, args.pytest_options, args.browser)
    show_run(run, selected=bool(args.pytest_options))
    if run.ok and not args.pytest_options and (waiting := first_not_passed(after=lesson)):
        console.print(f"Next: lesson {waiting.number:02d}, {waiting.title}.")
    return 0 if run.ok else 1


def first_not_passed(after=None):
    """The first lesson not passed yet: after `after` if one is given, then from the start."""
    lessons = course.lessons()
    if after is not None:
        lessons = [later for later in lessons if later.number > after.number] + [
            earlier for earlier in lessons if earlier.number < after.number
        ]
    return next((lesson for lesson in lessons if not has_passed(lesson)), None)


def hint(args):
    lesson = lesson_of(args)
    if not lesson.hints:
        console.print(f"Lesson {lesson.number:02d} has no hints.")
    elif not args.all:
        show_hints(lesson, [state.next_hint(lesson)])
    elif seen := state.hints_seen(lesson):
        show_hints(lesson, list(range(1, seen + 1)))
    else:
        console.print(
            f"No hint of lesson {lesson.number:02d} seen yet: "
            f"python -m workshop hint {lesson.number} shows the first."
        )
    return 0


def can_ask():
    """True when a person can answer a question: stdin is an open terminal."""
    try:
        return sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty()
    except (OSError, ValueError):
        return False


def confirmed(question, args):
    if args.yes:
        return True
    if can_ask():
        try:
            return Confirm.ask(question, default=False)
        except EOFError:
            pass
    console.print(question, soft_wrap=True)
    console.print("Nothing changed; pass --yes to confirm.")
    return False


def reset(args):
    lesson = lesson_of(args)
    if not starters.shipped(lesson):
        console.print(
            f"The starter files of lesson {lesson.number:02d} are not recorded "
            f"(workshop/starters.json): get a fresh copy of the workshop.",
            soft_wrap=True,
        )
        return 1
    names = files.changed_files(lesson)
    if not names:
        console.print(f"Lesson {lesson.number:02d} is as shipped: nothing to put back.")
        return 0
    where = f"lessons/{lesson.slug}/"
    if not confirmed(f"Put back the starter versions of {', '.join(names)} in {where}?", args):
        return 1
    names, backup = files.reset(lesson)
    console.print(f"Put back in {where}: {', '.join(names)}.", soft_wrap=True)
    if backup:
        console.print(f"Your version is kept in {files.shown(backup)}/", soft_wrap=True)
    return 0


def solution(args):
    lesson = lesson_of(args)
    passes = not files.damage(lesson) and current_run(lesson).ok
    question = f"Lesson {lesson.number:02d} does not pass yet. Show the reference solution anyway?"
    if not passes and not confirmed(question, args):
        return 1
    show_diff(files.solution_diff(lesson))
    return 0


def watch(args):
    from workshop.watch import watch_lesson

    lesson = lesson_of(args) if args.lesson else first_not_passed() or course.lessons()[-1]
    return watch_lesson(lesson, lambda: check_run(lesson))


def verify(args):
    if args.mutants is not None:
        from workshop import mutants

        return mutants.main(args.mutants)
    from workshop.verify import verify_all

    return verify_all()


def demo(args):
    from workshop import demo as demo_module

    return demo_module.run(target="mine" if args.mine else "solutions", port=args.port)


COMMANDS = {
    "board": board,
    "check": check,
    "hint": hint,
    "reset": reset,
    "solution": solution,
    "watch": watch,
    "verify": verify,
    "demo": demo,
}
