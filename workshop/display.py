"""How the CLI shows runs, the board, hints and diffs."""

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from workshop import files

console = Console(highlight=False)

PASSED, FAILED, SKIPPED = "[green]✔[/]", "[red]✘[/]", "[yellow]-[/]"


def behaviour(test_name):
    """test_a_rolled_back_signup_sends_no_email -> "a rolled back signup sends no email"."""
    return test_name.split("[")[0].removeprefix("test_").replace("_", " ")


def show_run(run):
    lesson = run.lesson
    heading = f"Lesson {lesson.number:02d} · {lesson.title}"
    console.print(f"\n[bold]{heading}[/]  [dim]{lesson.concept}[/]")
    if run.problem:
        console.print(Panel(escape(run.problem), title="The tests could not run", style="red"))
        return
    for test in run.tests:
        mark = {"passed": PASSED, "skipped": SKIPPED}.get(test["outcome"], FAILED)
        console.print(f"  {mark} {escape(behaviour(test['name']))}")
    for error in run.collect_errors:
        console.print(f"  {FAILED} a test file loads: {escape(error['message'])}")
    console.print(f"\n  {len(run.passed)}/{len(run.tests)} passed")
    if any(test["kind"] == "timeout" for test in run.tests):
        console.print("  [yellow]The run stopped at the test that looped; the rest did not run.[/]")
    if run.ok:
        console.print(f"\n[green bold]Lesson {lesson.number:02d} passes.[/]")
        return
    show_first_problem(run)
    console.print(f"\n[dim]Stuck? python -m workshop hint {lesson.number}[/]")


def show_first_problem(run):
    if run.collect_errors:
        error = run.collect_errors[0]
        title, message, where = "A test file could not be loaded", error["message"], error["where"]
    else:
        failure = run.first_failure
        title = f"First to fix: {behaviour(failure['name'])}"
        message, where = failure["message"] or "(no message)", failure["where"]
    body = escape(message)
    if not is_learner_file(where) and (todo := files.todo_location(run.lesson, message)):
        body += f"\n\n[bold]→ your code: {escape(todo)}[/]"
        body += f"\n[dim]  the test:  {escape(where)}[/]" if where else ""
    elif where:
        body += f"\n\n[bold]→ {escape(where)}[/]"
    console.print(Panel(body, title=escape(title), title_align="left", border_style="red"))


def is_learner_file(where):
    return bool(where) and "/test_" not in where and "conftest" not in where


STATUS = {
    "passed": "[green]✔ passed[/]",
    "failing": "[red]✘ failing[/]",
    "not started": "[dim]· not started[/]",
}


def show_board(rows, next_step):
    """rows: (lesson, status, run) triples."""
    table = Table(title="Django Events Workshop", title_style="bold", expand=False)
    table.add_column("#", justify="right")
    table.add_column("Lesson")
    table.add_column("Concept", style="dim")
    table.add_column("Status")
    table.add_column("Tests", justify="right")
    for lesson, status, run in rows:
        tests = "?" if run.problem else f"{len(run.passed)}/{len(run.tests)}"
        table.add_row(f"{lesson.number:02d}", lesson.title, lesson.concept, STATUS[status], tests)
    console.print(table)
    console.print(next_step)


def show_hint(lesson, number, text):
    title = f"Hint {number} of {len(lesson.hints)} · lesson {lesson.number:02d}"
    console.print(Panel(escape(text), title=title, title_align="left", border_style="cyan"))
    if number < len(lesson.hints):
        console.print("[dim]Run it again for the next hint.[/]")


def show_diff(diff):
    if diff:
        console.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
    else:
        console.print("Your files match the reference solution.")
