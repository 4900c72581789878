"""`python -m workshop`: the learner's board and the commands around it."""

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor

from rich.prompt import Confirm

from workshop import course, files, results, runner, state
from workshop.display import console, show_board, show_diff, show_hint, show_run


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
    command("check", "run a lesson's tests against your code")
    command("hint", "show the next hint for a lesson")
    for name, help_text in [
        ("reset", "put a lesson's starter files back (your version is kept aside)"),
        ("solution", "show the reference solution as a diff from your files"),
    ]:
        command(name, help_text).add_argument(
            "--yes", "-y", action="store_true", help="don't ask first"
        )
    command("watch", "re-run a lesson's check whenever you save one of its files", optional=True)
    command("verify", "for maintainers: every solution passes, every starter fails", lesson=False)
    demo = command("demo", "run the finished shop in one process", lesson=False)
    demo.add_argument("--mine", action="store_true", help="run your code, not the reference")
    demo.add_argument("--port", type=int, default=8000)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
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
    return course.find(args.lesson)


def board(args):
    lessons = course.lessons()
    with console.status("Checking your lessons…"), ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(current_run, lessons))
    rows = [(lesson, status_of(run), run) for lesson, run in zip(lessons, runs, strict=True)]
    show_board(rows, next_step(rows))
    return 0


def current_run(lesson):
    """The recorded result if the lesson has not changed since; else a fresh run."""
    record = results.load_progress(lesson)
    if record and record["fingerprint"] == results.fingerprint(lesson):
        return runner.Run.from_record(lesson, record)
    return runner.run_lesson(lesson)


def status_of(run):
    if run.ok:
        return "passed"
    return "not started" if files.is_untouched(run.lesson) else "failing"


def next_step(rows):
    for lesson, status, _run in rows:
        if status != "passed":
            verb = "Start" if status == "not started" else "Continue"
            return (
                f"\n{verb} with lesson {lesson.number:02d}: read lessons/{lesson.slug}/README.md, "
                f"then run [bold]python -m workshop check {lesson.number}[/]."
            )
    return "\n[green bold]Every lesson passes.[/] See it all at work: python -m workshop demo"


def check(args):
    lesson = lesson_of(args)
    with console.status(f"Running lesson {lesson.number:02d}'s tests…"):
        run = runner.run_lesson(lesson)
    show_run(run)
    if run.ok and (later := [other for other in course.lessons() if other.number > lesson.number]):
        console.print(f"Next: lesson {later[0].number:02d}, {later[0].title}.")
    return 0 if run.ok else 1


def hint(args):
    lesson = lesson_of(args)
    number, text = state.next_hint(lesson)
    show_hint(lesson, number, text)
    return 0


def confirmed(question, args):
    if args.yes:
        return True
    if not sys.stdin.isatty():
        console.print(f"{question} Pass --yes to go ahead without being asked.")
        return False
    return Confirm.ask(question, default=False)


def reset(args):
    lesson = lesson_of(args)
    names = ", ".join(lesson.edit)
    if not confirmed(f"Put back the starter versions of {names}?", args):
        return 1
    try:
        backup = files.reset(lesson)
    except files.NoStarter as error:
        console.print(f"[red]{error}[/]", soft_wrap=True)
        return 1
    console.print(f"Lesson {lesson.number:02d} is back to its starter files.")
    console.print(f"Your version is kept in {backup.relative_to(course.ROOT)}/")
    return 0


def solution(args):
    lesson = lesson_of(args)
    if not current_run(lesson).ok and not confirmed(
        f"Lesson {lesson.number:02d} does not pass yet. Show the reference solution anyway?", args
    ):
        return 1
    show_diff(files.solution_diff(lesson))
    return 0


def watch(args):
    from workshop.watch import watch_lesson

    lesson = lesson_of(args) if args.lesson else first_unfinished()
    return watch_lesson(lesson)


def first_unfinished():
    for lesson in course.lessons():
        if not current_run(lesson).ok:
            return lesson
    return course.lessons()[-1]


def verify(args):
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
