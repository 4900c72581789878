"""`python -m workshop`: the commands a learner works the lessons with, and the board.

Each command turns the mistakes a learner can make around it (an unknown lesson, a missing or
unreadable file, no terminal to answer a question) into one or two plain lines, never a traceback.
"""

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor

from rich.prompt import Confirm

from workshop import course, files, starters, state, status
from workshop.display import (
    console,
    show_board,
    show_diff,
    show_hints,
    show_run,
    tolerate_unencodable_output,
)


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


def board(args):
    lessons = course.lessons()
    with console.status("Checking your lessons..."), ThreadPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(status.status_of, lessons))
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
        run = status.check_run(lesson, args.pytest_options, args.browser)
    show_run(run, selected=bool(args.pytest_options))
    waiting = run.ok and not args.pytest_options and status.first_not_passed(after=lesson)
    if waiting:
        console.print(f"Next: lesson {waiting.number:02d}, {waiting.title}.")
    return 0 if run.ok else 1


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
    passes = not files.damage(lesson) and status.current_run(lesson).ok
    question = f"Lesson {lesson.number:02d} does not pass yet. Show the reference solution anyway?"
    if not passes and not confirmed(question, args):
        return 1
    show_diff(files.solution_diff(lesson))
    return 0


def watch(args):
    from workshop.watch import watch_lesson

    unfinished = status.first_not_passed() or course.lessons()[-1]
    lesson = lesson_of(args) if args.lesson else unfinished
    return watch_lesson(lesson, lambda: status.check_run(lesson))


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
