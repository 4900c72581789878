"""A learner who breaks things: every mistake ends in a line or two, and the CLI keeps working.

Each test runs `python -m workshop` as a learner would, in a throwaway copy of the workshop made
the way a ZIP download is: the files without `.git`, so nothing may depend on git.
"""

import os
import shutil
import subprocess
import sys

import pytest

from workshop import course

pytestmark = [pytest.mark.reference, pytest.mark.timeout(180)]

LESSONS = course.lessons()
LEFT_OUT = shutil.ignore_patterns(
    ".git", ".workshop", "node_modules", "__pycache__", "*.pyc", ".venv", "venv", "*.sqlite3*"
)


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    """The workshop as downloaded in a ZIP: every file, no git history."""
    copy = tmp_path_factory.mktemp("zip") / "workshop"
    shutil.copytree(course.ROOT, copy, ignore=LEFT_OUT)
    return copy


@pytest.fixture
def run(workshop):
    def run(*args, stdin=subprocess.DEVNULL, **extra_env):
        env = {name: value for name, value in os.environ.items() if not name.startswith("WORKSHOP")}
        env.update({"PYTHONPATH": str(workshop), "COLUMNS": "200", "CI": "", **extra_env})
        finished = subprocess.run(
            [sys.executable, "-m", "workshop", *args],
            cwd=workshop,
            env=env,
            capture_output=True,
            text=True,
            timeout=150,
            stdin=stdin,
        )
        finished.output = finished.stdout + finished.stderr
        assert "Traceback" not in finished.output, finished.output
        return finished

    return run


@pytest.fixture
def edit(workshop):
    """Change, add or delete files of the copy for one test; everything is put back after."""
    saved = {}

    def edit(name, content=None):
        path = workshop / name
        saved.setdefault(path, path.read_bytes() if path.is_file() else None)
        if content is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())

    yield edit
    for path, content in saved.items():
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(content)
    # Hints seen and backups go; recorded results stay (each is for the files as they were).
    (workshop / ".workshop/state.json").unlink(missing_ok=True)
    shutil.rmtree(workshop / ".workshop/backups", ignore_errors=True)


def finish(edit, workshop, lesson):
    """Put the reference solution into the lesson's folder, as a learner who finished it."""
    for name in lesson.edit:
        edit(
            f"lessons/{lesson.slug}/{name}",
            (workshop / "solutions" / lesson.slug / name).read_text(),
        )


def test_piped_at_80_columns_the_board_lists_every_lesson_in_24_lines(run):
    result = run(COLUMNS="80")

    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.output
    assert len(lines) <= 24, f"{len(lines)} lines:\n{result.stdout}"
    assert all(len(line) <= 80 for line in lines), result.stdout
    assert "\x1b[" not in result.stdout, "piped output has no colour codes"
    for lesson in LESSONS:
        assert lesson.title in result.stdout


def test_without_git_every_untouched_lesson_shows_as_not_started(run):
    result = run()

    assert result.stdout.count("not started") == len(LESSONS), (
        f"{result.stdout}\n(Is workshop/starters.json up to date? python -m workshop.starters)"
    )
    assert "Start with lesson 01" in result.stdout


def test_without_git_an_edited_lesson_shows_as_failing_and_the_others_not_started(
    run, edit, workshop
):
    receivers = "lessons/01_signals_basics/receivers.py"
    edit(receivers, (workshop / receivers).read_text() + "\n# my work in progress\n")

    result = run()

    [lesson_01] = [line for line in result.stdout.splitlines() if line.startswith("01 ")]
    assert "failing" in lesson_01, result.stdout
    assert result.stdout.count("not started") == len(LESSONS) - 1, result.stdout


def test_without_git_reset_puts_the_starter_back_and_keeps_the_learners_version(
    run, edit, workshop
):
    receivers = workshop / "lessons/01_signals_basics/receivers.py"
    starter = receivers.read_text()
    edit("lessons/01_signals_basics/receivers.py", starter + "\n# my work in progress\n")

    result = run("reset", "1", "--yes")

    assert result.returncode == 0, result.output
    assert receivers.read_text() == starter
    [backup] = (workshop / ".workshop/backups").glob("01_signals_basics-*")
    assert "# my work in progress" in (backup / "receivers.py").read_text()


def test_resetting_an_untouched_lesson_changes_nothing_and_writes_no_backup(run, edit, workshop):
    result = run("reset", "1", "--yes")

    assert result.returncode == 0 and "nothing to put back" in result.output, result.output
    assert not (workshop / ".workshop/backups").exists()


@pytest.mark.parametrize("command", ["reset", "solution"])
def test_without_a_terminal_reset_and_solution_change_nothing_and_say_how_to_confirm(
    run, edit, workshop, command
):
    edit("lessons/01_signals_basics/receivers.py", "# my work in progress\n")

    result = run(command, "1")

    assert result.returncode == 1, result.output
    assert "Nothing changed; pass --yes to confirm." in result.output
    assert "+++" not in result.output, "the solution must not be shown without asking"
    assert (workshop / "lessons/01_signals_basics/receivers.py").read_text() == (
        "# my work in progress\n"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="closes stdin with a POSIX shell")
def test_with_stdin_closed_reset_says_how_to_confirm(workshop, edit):
    edit("lessons/01_signals_basics/receivers.py", "# my work in progress\n")
    env = {**os.environ, "PYTHONPATH": str(workshop)}

    result = subprocess.run(
        ["sh", "-c", 'exec "$0" -m workshop reset 1 <&-', sys.executable],
        cwd=workshop,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1 and "pass --yes" in result.stdout, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_a_lesson_file_that_is_not_utf8_breaks_that_lesson_only(run, edit, workshop):
    emails = "lessons/02_welcome_email/emails.py"
    edit(emails, (workshop / emails).read_bytes() + b"# caf\xe9 in Latin-1\n")

    board = run()
    check = run("check", "2")

    assert board.returncode == 0, board.output
    assert f"not UTF-8 ({emails})" in board.stdout, board.stdout
    assert board.stdout.count("not started") == len(LESSONS) - 1, board.stdout
    assert check.returncode == 1 and f"not UTF-8 ({emails})" in check.output, check.output
    assert len(check.output.strip().splitlines()) <= 2, check.output


def test_a_deleted_test_file_is_named_and_reset_brings_it_back(run, edit, workshop):
    tests = "lessons/03_price_log/test_price_log.py"
    shipped = (workshop / tests).read_text()
    edit(tests)

    check = run("check", "3")
    reset = run("reset", "3", "--yes")

    assert check.returncode == 1, check.output
    assert tests in check.output and "reset 3" in check.output, check.output
    assert reset.returncode == 0, reset.output
    assert (workshop / tests).read_text() == shipped


@pytest.mark.parametrize("content", ["[1, 2, 3]", "garbage{"])
def test_a_state_file_of_the_wrong_shape_is_ignored(run, edit, content):
    edit(".workshop/state.json", content)

    hint = run("hint", "1")
    board = run()

    assert hint.returncode == 0 and f"Hint 1 of {len(LESSONS[0].hints)}" in hint.output
    assert board.returncode == 0 and LESSONS[-1].title in board.stdout, board.output


def test_the_last_hint_says_so_and_all_shows_those_seen(run):
    total = len(LESSONS[0].hints)
    for _ in range(total):
        last = run("hint", "1")

    seen = run("hint", "1", "--all")

    assert f"Hint {total} of {total} (the last)" in last.stdout, last.stdout
    assert all(f"Hint {number} of {total}" in seen.stdout for number in range(1, total + 1))


@pytest.mark.parametrize("name", ["lessons\\01_signals_basics", "./lessons/01_signals_basics/"])
def test_check_accepts_the_lesson_folder_written_either_way(run, name):
    result = run("check", name)

    assert result.returncode == 1, result.output  # The starter fails: it runs.
    assert "Lesson 01" in result.stdout and "There is no lesson" not in result.output


def test_check_passes_pytest_options_through(run):
    result = run("check", "1", "-k", "saving", "-v")

    tests = [line for line in result.stdout.splitlines() if line.startswith("  ")]
    ran = [line for line in tests if "passed" not in line]
    assert ran and all("saving" in line for line in ran), result.stdout
    assert "runs them all" in result.stdout, "a partial run must not say the lesson passes"


def test_check_skips_the_browser_tests_and_names_the_next_lesson(run, edit, workshop):
    finish(edit, workshop, course.find("5"))

    result = run("check", "5")

    assert result.returncode == 0, result.output
    browser_tests = [line for line in result.stdout.splitlines() if "live page" in line]
    assert browser_tests and all("add --browser" in line for line in browser_tests), (
        f"browser tests run only with --browser:\n{result.stdout}"
    )
    waiting = next((lesson for lesson in LESSONS if lesson.number > 5), LESSONS[0])
    assert f"Next: lesson {waiting.number:02d}" in result.stdout, (
        f"lesson {waiting.number:02d} is the first one after 05 not passed yet"
    )
    assert (workshop / ".workshop/results/05_channels_push.json").is_file(), (
        "a check without the browser tests still records the lesson for the board"
    )


def test_a_console_in_cp1252_gets_ascii_marks(run):
    result = run("check", "1", PYTHONIOENCODING="cp1252")

    assert result.returncode == 1, result.output
    assert "UnicodeEncodeError" not in result.output
    assert "  x " in result.stdout and "-> your code" in result.stdout, result.stdout


def test_solution_piped_is_a_plain_diff_with_every_line_whole(run, workshop):
    starter = (workshop / "lessons/01_signals_basics/receivers.py").read_text().splitlines()
    reference = (workshop / "solutions/01_signals_basics/receivers.py").read_text().splitlines()
    longest = max(set(reference) - set(starter), key=len)

    result = run("solution", "1", "--yes", COLUMNS="40")

    assert result.returncode == 0, result.output
    assert "+++ solutions/01_signals_basics/receivers.py" in result.stdout
    assert f"+{longest}" in result.stdout.splitlines(), f"{longest!r} must not be cropped"
