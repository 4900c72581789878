"""The course kit keeps its promises to learners: clear errors, isolation, hints, reset.

Each test runs `python -m workshop` or `python -m pytest` in a throwaway copy of the repository
(tests/conftest.py: `workshop`, `run`, `edit`), as a learner would run them.
"""

import json

import pytest

from workshop import course

SIGNALS_BASICS = "lessons/01_signals_basics"
WELCOME_EMAIL = "lessons/02_welcome_email"

# Each test runs whole lessons in a subprocess: more than a lesson test's 10 s.
pytestmark = [pytest.mark.reference, pytest.mark.timeout(180)]


def test_an_unknown_lesson_gets_one_line_and_exit_status_2(run):
    result = run("-m", "workshop", "check", "42")

    assert result.returncode == 2, result.output
    assert result.output.strip().count("\n") == 0 and "There is no lesson '42'" in result.output
    assert "Traceback" not in result.output


def test_a_mistyped_command_gets_one_line_and_exit_status_2(run):
    result = run("-m", "workshop", "chekc", "1")

    assert result.returncode == 2, result.output
    assert "invalid choice: 'chekc'" in result.output and "Traceback" not in result.output


def test_check_lists_each_behaviour_and_points_at_the_next_todo(run):
    result = run("-m", "workshop", "check", "1")

    assert result.returncode == 1, result.output
    assert "✘ creating a product logs it" in result.output
    assert f"your code: {SIGNALS_BASICS}/receivers.py:" in result.output
    assert "python -m workshop hint 1" in result.output


def test_hint_shows_the_next_hint_each_time_it_is_called(run):
    first = run("-m", "workshop", "hint", "1")
    second = run("-m", "workshop", "hint", "1")

    assert "Hint 1 of" in first.output and "Hint 2 of" in second.output


def test_solution_asks_first_while_the_lesson_fails(run):
    result = run("-m", "workshop", "solution", "1")

    assert result.returncode == 1
    assert "does not pass yet" in result.output and "--yes" in result.output
    assert "+++" not in result.output, "the diff must not be shown without asking"


def test_solution_shows_the_reference_as_a_diff_once_asked(run):
    result = run("-m", "workshop", "solution", "1", "--yes")

    assert result.returncode == 0
    assert "+++ solutions/01_signals_basics/receivers.py" in result.output


def test_reset_restores_the_starter_and_keeps_the_learners_version(run, workshop, edit):
    receivers = workshop / SIGNALS_BASICS / "receivers.py"
    starter = receivers.read_text()
    edit(f"{SIGNALS_BASICS}/receivers.py", lambda text: text + "\n# my work in progress\n")

    result = run("-m", "workshop", "reset", "1", "--yes")

    assert result.returncode == 0, result.output
    assert receivers.read_text() == starter
    [backup] = (workshop / ".workshop" / "backups").glob("01_signals_basics-*")
    assert "# my work in progress" in (backup / "receivers.py").read_text()


def test_the_board_shows_every_lesson_and_the_next_step(run):
    result = run("-m", "workshop")

    assert result.returncode == 0, result.output
    for lesson in course.lessons():
        assert lesson.title in result.output
    assert "Start with lesson 01" in result.output or "Continue with lesson 01" in result.output


def test_a_learner_run_records_its_results_for_the_board(run, workshop):
    run("-m", "pytest", SIGNALS_BASICS, "-q")

    record = json.loads((workshop / ".workshop/results/01_signals_basics.json").read_text())
    assert record["tests"] and all(t["lesson"] == "01_signals_basics" for t in record["tests"])


def test_the_solutions_pass_in_a_fresh_copy(run):
    result = run("-m", "pytest", "--solutions", SIGNALS_BASICS, "-q")

    assert result.returncode == 0, result.output
