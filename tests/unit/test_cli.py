"""The CLI's parsing: pytest options pass through `check`, confirmation needs a terminal."""

import io

import pytest
from rich.console import Console

from workshop import cli, display, status

pytestmark = pytest.mark.reference


def test_check_passes_unknown_options_to_pytest():
    args = cli.parse(["check", "3", "-k", "signup and not email", "-x", "-v"])

    assert args.lesson == "3"
    assert args.pytest_options == ["-k", "signup and not email", "-x", "-v"]


def test_check_leaves_browser_tests_out_unless_asked():
    assert status.check_options([]) == ["-p", "workshop.without_browser"]
    assert status.check_options(["-x"], browser=True) == ["-x"]
    assert cli.parse(["check", "5", "--browser"]).browser is True


def test_the_learners_own_marker_expression_comes_last_so_it_wins():
    assert status.check_options(["-m", "browser"])[-2:] == ["-m", "browser"]


def test_other_commands_reject_options_they_do_not_know(monkeypatch):
    monkeypatch.setattr(display, "console", Console(file=io.StringIO()))
    monkeypatch.setattr(cli, "console", display.console)

    with pytest.raises(SystemExit) as stopped:
        cli.parse(["hint", "1", "-v"])

    assert stopped.value.code == 2
    assert "unrecognized arguments: -v" in display.console.file.getvalue()


@pytest.mark.parametrize("stdin", [None, io.StringIO("")])
def test_without_a_terminal_nothing_is_confirmed_and_yes_is_advised(monkeypatch, stdin):
    monkeypatch.setattr("sys.stdin", stdin)
    output = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=output))

    assert cli.confirmed("Put back receivers.py?", cli.parse(["reset", "1"])) is False
    assert "Nothing changed; pass --yes to confirm." in output.getvalue()


def test_yes_confirms_without_asking(monkeypatch):
    monkeypatch.setattr("sys.stdin", None)

    assert cli.confirmed("Put back receivers.py?", cli.parse(["reset", "1", "--yes"])) is True


def test_a_closed_stdin_cannot_answer(monkeypatch):
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr("sys.stdin", closed)

    assert cli.can_ask() is False


def test_a_long_reason_is_cut_to_one_line():
    reason = status.one_line("Traceback...\n  File x\nValueError: " + "x" * 300)

    assert "\n" not in reason and len(reason) <= 160 and reason.startswith("ValueError")
