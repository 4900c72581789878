"""The board and the rest of the CLI's output: 80x24, plain when piped, ASCII where needed."""

import io

import pytest
from rich.console import Console

from workshop import course, display
from workshop.display import ASCII_MARKS, MARKS, board_lines
from workshop.status import LessonStatus

pytestmark = pytest.mark.reference

LESSONS = course.lessons()
BROKEN = "not UTF-8 (lessons/02_welcome_email/emails.py): save it as UTF-8 in your editor"


def rows(*statuses):
    """A board row per lesson, with the given statuses and then "not started"."""
    statuses = [*statuses, *["not started"] * (len(LESSONS) - len(statuses))]
    return [
        LessonStatus(lesson, status, "3/10", BROKEN if status == "broken" else None)
        for lesson, status in zip(LESSONS, statuses, strict=True)
    ]


def texts(lines):
    return [text for text, _style in lines]


@pytest.mark.parametrize("status", ["passed", "failing", "not started", "broken"])
def test_the_board_fits_80_by_24(status):
    lines = texts(board_lines(rows(*[status] * len(LESSONS)), width=80))

    board = "\n".join(lines)
    assert len(lines) <= 24, f"the board took {len(lines)} lines at 80 columns:\n{board}"
    too_long = [line for line in lines if len(line) > 80]
    assert not too_long, f"lines longer than 80 characters: {too_long}"
    for lesson in LESSONS:
        assert any(lesson.title in line for line in lines), f"{lesson.title} is not on the board"


def test_below_80_columns_the_board_wraps_instead_of_overflowing():
    lines = texts(board_lines(rows("passed", "passed", "broken"), width=40))

    assert all(len(line) <= 40 for line in lines), "\n".join(lines)
    assert any(line.endswith("python -m workshop check 3") for line in lines), (
        f"the command must stay whole, on one line: {lines}"
    )


def test_next_names_the_first_lesson_not_yet_passed():
    lines = texts(board_lines(rows("passed", "failing", "passed"), width=80))

    assert any(line.startswith("Next: lesson 02") for line in lines), lines
    assert any(line.endswith("python -m workshop check 2") for line in lines), lines


def test_a_fresh_start_says_start_with_the_first_lesson():
    lines = texts(board_lines(rows(), width=80))

    assert any(line.startswith("Start with lesson 01") for line in lines), lines


def test_when_every_lesson_passes_the_board_points_at_the_demo():
    lines = texts(board_lines(rows(*["passed"] * len(LESSONS)), width=80))

    assert any("Every lesson passes" in line for line in lines), lines
    assert any("python -m workshop demo" in line for line in lines), lines


def test_a_broken_lesson_shows_its_reason():
    board = "\n".join(texts(board_lines(rows("passed", "broken"), width=80)))

    assert "broken" in board and "not UTF-8 (lessons/02_welcome_email/emails.py)" in board


def test_the_marks_fall_back_to_ascii_where_the_output_cannot_encode_them():
    assert display.marks_for("cp1252") == ASCII_MARKS
    assert display.marks_for("ascii") == ASCII_MARKS
    assert display.marks_for("utf-8") == MARKS
    board = "\n".join(texts(board_lines(rows("passed", "failing"), 80, ASCII_MARKS)))
    board.encode("ascii")  # Raises if a mark slipped through.


@pytest.fixture
def piped(monkeypatch):
    """The CLI's console writing to a pipe: no terminal, so no colour."""
    output = io.StringIO()
    monkeypatch.setattr(display, "console", Console(file=output, width=80, highlight=False))
    return output


def test_the_board_prints_plain_text_when_piped(piped):
    display.show_board(rows("passed", "failing", "broken"))

    board = piped.getvalue()
    assert "\x1b[" not in board, "no colour codes in piped output"
    assert not set("━┃┏│╭─") & set(board), "no box drawing in the board"
    assert all(lesson.title in board for lesson in LESSONS)


def test_solution_prints_a_plain_unified_diff_when_piped(piped):
    diff = "--- a.py\n+++ b.py\n@@ -1 +1 @@\n-x = 1\n+" + "y = 2  # " + "long " * 30 + "\n"

    display.show_diff(diff)

    assert piped.getvalue() == diff, "the diff must come out whole: no cropped lines, no colour"


def test_the_last_hint_says_it_is_the_last():
    lesson = LESSONS[0]
    last = len(lesson.hints)

    assert display.hint_title(lesson, last).startswith(f"Hint {last} of {last} (the last)")
    assert "(the last)" not in display.hint_title(lesson, 1)


def test_solution_on_a_terminal_wraps_long_lines_instead_of_cropping(monkeypatch):
    output = io.StringIO()
    terminal = Console(file=output, force_terminal=True, width=40, color_system=None)
    monkeypatch.setattr(display, "console", terminal)

    display.show_diff("--- a.py\n+++ b.py\n@@ -1 +1 @@\n+" + "word " * 20 + "END\n")

    assert "END" in output.getvalue(), "the end of a long line must show, on a following line"
