"""One lesson per process: what a learner sees when a lesson cannot load, loops or passes.

Each test runs `python -m pytest` or `python -m workshop` in a throwaway copy of the repository
(tests/conftest.py), as a learner would run them.
"""

import json
import time

import pytest

SIGNALS_BASICS = "lessons/01_signals_basics"
WELCOME_EMAIL = "lessons/02_welcome_email"

# Each test runs whole lessons in a subprocess: more than a lesson test's 10 s.
pytestmark = [pytest.mark.reference, pytest.mark.timeout(180)]


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


def test_an_error_in_the_lessons_init_is_the_lesson_failing_to_load(run, edit):
    edit(f"{SIGNALS_BASICS}/__init__.py", lambda text: text + 'raise RuntimeError("boom")\n')

    result = run("-m", "pytest", SIGNALS_BASICS, "-q")

    assert result.returncode == 1, result.output
    assert f"{SIGNALS_BASICS}/__init__.py:2: RuntimeError: boom" in result.output, result.output
    assert "Fix that line first" in result.output and "Traceback" not in result.output


CHANNELS_PUSH = "lessons/05_channels_push"


def test_an_import_error_in_code_the_lessons_conftest_imports_is_the_lesson_failing_to_load(
    run, edit
):
    # Lesson 05's conftest.py imports the shop's ASGI app, which imports the learner's
    # consumers.py: pytest loads it before any test, and must not show its own traceback.
    edit(
        f"{CHANNELS_PUSH}/consumers.py",
        lambda text: text.replace("import AsyncJsonWebsocketConsumer", "import AsyncJsonSocket"),
    )

    result = run("-m", "pytest", CHANNELS_PUSH, "-q", "-m", "not browser")

    assert result.returncode == 1, result.output
    assert f"{CHANNELS_PUSH}/consumers.py:" in result.output, result.output
    assert "cannot import name 'AsyncJsonSocket'" in result.output, result.output
    assert "ImportError while loading conftest" not in result.output, result.output


def endless_loop_in_the_first_test(edit):
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


def test_an_endless_loop_in_a_test_is_stopped_and_named(run, edit, tmp_path):
    endless_loop_in_the_first_test(edit)
    report = tmp_path / "report.json"

    result = run(
        "-m", "pytest", SIGNALS_BASICS, "-q", "-o", "timeout=1", WORKSHOP_REPORT=str(report)
    )

    assert result.returncode != 0, result.output
    assert "endless loop" in result.output, result.output
    assert f"{SIGNALS_BASICS}/receivers.py:" in result.output, "the loop's line should be named"
    assert "Traceback" not in result.output
    [stopped] = [
        test for test in json.loads(report.read_text())["tests"] if test["kind"] == "timeout"
    ]
    assert stopped["where"].startswith(f"{SIGNALS_BASICS}/receivers.py:"), stopped


def test_an_endless_loop_while_the_lesson_loads_is_stopped_and_named(run, edit):
    edit(f"{SIGNALS_BASICS}/services.py", lambda text: text + "\nwhile True:\n    pass\n")
    started = time.monotonic()

    result = run("-m", "workshop", "check", "1", timeout=60)

    assert time.monotonic() - started < 30, "check should stop the loop well within 30 s"
    assert result.returncode != 0, result.output
    assert f"{SIGNALS_BASICS}/services.py:" in result.output, result.output
    assert "Traceback" not in result.output


def test_several_lessons_run_in_processes_of_their_own_and_fail_together(run):
    result = run("-m", "pytest", SIGNALS_BASICS, WELCOME_EMAIL, "-q")

    assert result.returncode == 1, result.output
    assert result.output.strip().splitlines()[-1].startswith("2 failed"), result.output
    assert "TODO 1" in result.output, "a child's failures should be shown"


def test_a_lesson_with_no_selected_test_is_not_a_failure(run):
    result = run("-m", "pytest", SIGNALS_BASICS, WELCOME_EMAIL, "-q", "-k", "no_such_test")

    assert result.returncode == 0, result.output
    assert "2 skipped" in result.output, result.output


def test_a_lesson_whose_conftest_imports_the_lesson_runs_beside_another(run):
    # Lesson 05's conftest.py imports channels_push, which only its child process loads.
    result = run("-m", "pytest", SIGNALS_BASICS, "lessons/05_channels_push", "-q", "--solutions")

    assert result.returncode == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("2 passed"), result.output


def test_the_learners_full_run_collects_every_lesson_without_an_error(run):
    result = run("-m", "pytest", "--collect-only", "-q")

    assert result.returncode == 0, result.output
    last_line = result.output.strip().splitlines()[-1]
    assert "tests collected in" in last_line and "error" not in last_line, result.output
