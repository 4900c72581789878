"""The course kit keeps its promises to learners: clear errors, isolation, hints, reset.

Each test runs `python -m workshop` or `python -m pytest` in a throwaway copy of the repository
(a git clone of it, so that reset finds the starters), as a learner would run them.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from workshop import course

SIGNALS_BASICS = "lessons/01_signals_basics"
WELCOME_EMAIL = "lessons/02_welcome_email"

# Each test runs whole lessons in a subprocess: more than a lesson test's 10 s.
pytestmark = [pytest.mark.reference, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    """A fresh copy of the workshop with its own git history: the files as a learner clones them."""
    copy = tmp_path_factory.mktemp("workshop") / "repo"
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=course.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, tracked):
        source = course.ROOT / name
        if source.is_file() and "node_modules" not in source.parts:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git = ["git", "-c", "user.name=Learner", "-c", "user.email=learner@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=copy, check=True)
    subprocess.run([*git, "commit", "-qm", "Workshop as cloned"], cwd=copy, check=True)
    return copy


@pytest.fixture
def run(workshop):
    def run(*args, timeout=120, **extra_env):
        env = {
            name: value for name, value in os.environ.items() if not name.startswith("WORKSHOP_")
        }
        finished = subprocess.run(
            [sys.executable, *args],
            cwd=workshop,
            env={**env, "COLUMNS": "200", "CI": "", **extra_env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        finished.output = finished.stdout + finished.stderr
        return finished

    return run


@pytest.fixture
def edit(workshop):
    """Change a file of the copy for one test, and put it back afterwards."""
    saved = {}

    def edit(name, change):
        path = workshop / name
        saved.setdefault(path, path.read_text())
        path.write_text(change(path.read_text()))

    yield edit
    for path, text in saved.items():
        path.write_text(text)


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


def test_a_syntax_error_in_one_lesson_leaves_the_other_lessons_checked(run, edit, tmp_path):
    edit(f"{SIGNALS_BASICS}/apps.py", lambda text: text + "\ndef broken(:\n")
    report = tmp_path / "report.json"

    result = run("-m", "pytest", SIGNALS_BASICS, WELCOME_EMAIL, "-q", WORKSHOP_REPORT=str(report))

    assert "the lesson loads" in result.output, result.output
    assert f"{SIGNALS_BASICS}/apps.py" in result.output and "SyntaxError" in result.output
    lessons_run = {test["lesson"] for test in json.loads(report.read_text())["tests"]}
    assert "02_welcome_email" in lessons_run, "lesson 02 should still have run"


def test_an_import_error_in_ready_is_reported_as_the_lesson_failing_to_load(run, edit):
    edit(
        f"{SIGNALS_BASICS}/apps.py",
        lambda text: text.replace("import Product", "import Prodcut"),
    )

    result = run("-m", "workshop", "check", "1")

    assert result.returncode == 1
    assert "ImportError: cannot import name 'Prodcut'" in result.output
    assert f"{SIGNALS_BASICS}/apps.py:" in result.output
    assert "Traceback" not in result.output


def test_an_endless_loop_fails_its_test_and_stops_the_run(run, edit):
    edit(
        f"{SIGNALS_BASICS}/receivers.py",
        lambda text: text.replace(
            "    # TODO 1:", "    while created:\n        pass\n    # TODO 1:", 1
        ),
    )
    connect = "post_save.connect(receivers.log_new_product, sender=Product)"
    edit(
        f"{SIGNALS_BASICS}/apps.py",
        lambda text: text.replace("        # TODO 2:", f"        {connect}\n        # TODO 2:"),
    )

    result = run("-m", "pytest", SIGNALS_BASICS, "-q", "-o", "timeout=1")

    assert "Timeout" in result.output and "endless loop" in result.output, result.output
    assert "1 failed" in result.output, "the run should stop after the first test that loops"


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
