"""How the CLI shows a run, the board, hints and diffs: in colour on a terminal, plain when piped.

Rendering is kept apart from printing where it can be (`board_lines`), so it can be tested
without a terminal. The marks ✔ ✘ → · become + x -> - where the output cannot encode them
(a Windows console in cp1252, output redirected to a file).
"""

import sys
import textwrap

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from workshop import files, status

console = Console(highlight=False)

MARKS = {"pass": "✔", "fail": "✘", "arrow": "→", "dot": "·"}
ASCII_MARKS = {"pass": "+", "fail": "x", "arrow": "->", "dot": "-"}


def marks_for(encoding):
    """The marks this output encoding can show: the Unicode ones, else plain ASCII."""
    try:
        "".join(MARKS.values()).encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return ASCII_MARKS
    return MARKS


def mark(name):
    return marks_for(console.encoding)[name]


def tolerate_unencodable_output():
    """Print "?" for a character the console cannot show (say, in a learner's message)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def behaviour(test_name):
    """test_a_rolled_back_signup_sends_no_email -> "a rolled back signup sends no email"."""
    return test_name.split("[")[0].removeprefix("test_").replace("_", " ")


def show_run(run, selected=False):
    """A line per test, then what to fix first. `selected`: pytest options chose the tests."""
    lesson = run.lesson
    heading = f"Lesson {lesson.number:02d} {mark('dot')} {lesson.title}"
    console.print(f"\n[bold]{escape(heading)}[/]\n[dim]{escape(lesson.concept)}[/]")
    if run.problem:
        console.print(Panel(escape(run.problem), title="The tests could not run", style="red"))
        return
    passed, failed, skipped = f"[green]{mark('pass')}[/]", f"[red]{mark('fail')}[/]", "[yellow]-[/]"
    for test in run.tests:
        marked = {"passed": passed, "skipped": skipped}.get(test["outcome"], failed)
        skip_reason = test["outcome"] == "skipped" and test["message"]
        why = f" [dim]({escape(skip_reason)})[/]" if skip_reason else ""
        console.print(f"  {marked} {escape(behaviour(test['name']))}{why}")
    for error in run.collect_errors:
        console.print(f"  {failed} a test file loads: {escape(error['message'])}")
    skipped_count = len(status.skipped(run))
    ending = f", {skipped_count} skipped" if skipped_count else ""
    console.print(f"\n  {status.tally(run)} passed{ending}")
    if any(test["kind"] == "timeout" for test in run.tests):
        console.print("  [yellow]The run stopped at the test that looped; the rest did not run.[/]")
    if run.ok and selected:
        console.print(
            f"\n[green]These pass; python -m workshop check {lesson.number} runs them all.[/]"
        )
        return
    if run.ok:
        console.print(f"\n[green bold]Lesson {lesson.number:02d} passes.[/]")
        return
    if run.failed or run.collect_errors:
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
    arrow = mark("arrow")
    if not is_learner_file(where) and (todo := files.todo_location(run.lesson, message)):
        body += f"\n\n[bold]{arrow} your code: {escape(todo)}[/]"
        body += f"\n[dim]  the test:  {escape(where)}[/]" if where else ""
    elif where:
        body += f"\n\n[bold]{arrow} {escape(where)}[/]"
    console.print(Panel(body, title=escape(title), title_align="left", border_style="red"))


def is_learner_file(where):
    where = (where or "").replace("\\", "/")
    return bool(where) and "/test_" not in where and "conftest" not in where


STATUS_MARK = {"passed": "pass", "failing": "fail", "broken": "fail", "not started": "dot"}
STATUS_STYLE = {"passed": "green", "failing": "red", "broken": "red", "not started": ""}
INDENT = "   "


def board_lines(rows, width, marks=MARKS):
    """The board of status.LessonStatus rows as (text, style) lines, none longer than width.

    Two lines a lesson (its status, then its concept or why it is broken) and two for the
    next step: five lessons fit a 80x24 terminal with room to spare.
    """
    width = max(width, 20)
    title_width = max(len(row.lesson.title) for row in rows)
    lines = [("Django Events Workshop", "bold"), ("", "")]

    def wrapped(text, style):
        pieces = textwrap.wrap(text, width, subsequent_indent=INDENT, break_on_hyphens=False)
        lines.extend((piece, style) for piece in pieces)

    for row in rows:
        marked = f"{marks[STATUS_MARK[row.status]]} {row.status}"
        title = f"{row.lesson.number:02d} {row.lesson.title:<{title_width}}"
        wrapped(f"{title}  {marked:<14} {row.tests:>5}".rstrip(), STATUS_STYLE[row.status])
        if row.reason:
            wrapped(INDENT + row.reason, "red")
        else:
            room = max(width - len(INDENT), 12)
            concept = textwrap.shorten(row.lesson.concept, room, placeholder="...")
            lines.append((INDENT + concept, "dim"))
    lines.append(("", ""))
    waiting = next((row for row in rows if row.status != "passed"), None)
    if waiting is None:
        sentence, command = "Every lesson passes. See it all at work:", "python -m workshop demo"
    else:
        lesson = waiting.lesson
        verb = "Start with" if waiting.status == "not started" else "Next:"
        sentence = (
            f"{verb} lesson {lesson.number:02d}, {lesson.title}: "
            f"read lessons/{lesson.slug}/README.md, then run:"
        )
        command = f"python -m workshop check {lesson.number}"
    wrapped(sentence, "")
    # The command stays whole, on the sentence's last line if it fits there.
    text, style = lines.pop()
    if len(f"{text} {command}") <= width:
        lines.append((f"{text} {command}", style))
    else:
        lines.extend([(text, style), (INDENT + command, "bold")])
    return lines


def show_board(rows):
    for text, style in board_lines(rows, console.width, marks_for(console.encoding)):
        console.print(Text(text, style=style), soft_wrap=True)


def hint_title(lesson, number):
    last = " (the last)" if number == len(lesson.hints) else ""
    return f"Hint {number} of {len(lesson.hints)}{last} {mark('dot')} lesson {lesson.number:02d}"


def show_hints(lesson, numbers):
    """Show the lesson's hints with these 1-based numbers, and what to do after the last."""
    for number in numbers:
        text = escape(lesson.hints[number - 1])
        title = escape(hint_title(lesson, number))
        console.print(Panel(text, title=title, title_align="left", border_style="cyan"))
    if numbers and numbers[-1] < len(lesson.hints):
        console.print("[dim]Run it again for the next hint.[/]")
    elif numbers:
        console.print(
            f"[dim]That was the last hint. python -m workshop solution {lesson.number} "
            "shows the reference.[/]"
        )


def show_diff(diff):
    if not diff:
        console.print("Your files match the reference solution.")
    elif console.is_terminal:
        syntax = Syntax(diff, "diff", theme="ansi_dark", background_color="default", word_wrap=True)
        console.print(syntax)
    else:  # Piped or redirected: the plain unified diff, every line whole, for patch or a pager.
        console.file.write(diff)
