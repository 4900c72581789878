"""Finding a lesson by whatever a learner types, on any platform."""

import pytest

from workshop import course


@pytest.mark.parametrize(
    "name",
    [
        1,
        "1",
        "01",
        "01_signals_basics",
        "signals_basics",
        "lessons/01_signals_basics",
        "lessons\\01_signals_basics",
        "./lessons/01_signals_basics/",
        ".\\lessons\\01_signals_basics\\",
        " 01 ",
    ],
)
def test_find_accepts_a_number_slug_package_or_folder(name):
    assert course.find(name).slug == "01_signals_basics"


def test_find_names_the_lessons_when_none_matches():
    with pytest.raises(
        course.UnknownLesson, match=r"There is no lesson '42'.*1 \(signals_basics\)"
    ):
        course.find("42")


def test_a_file_in_a_lesson_or_its_solution_belongs_to_that_lesson():
    lesson = course.find(3)
    assert course.lesson_for_path(lesson.folder / "receivers.py") == lesson
    assert course.lesson_for_path(lesson.solution_folder / "receivers.py") == lesson
    assert course.lesson_for_path(course.ROOT / "shop" / "models.py") is None


def test_paths_are_shown_from_the_root_with_forward_slashes():
    path = course.find(1).folder / "apps.py"
    assert course.relative(path) == "lessons/01_signals_basics/apps.py"


def test_a_selection_made_in_process_wins_over_the_environment(monkeypatch):
    monkeypatch.setattr(course, "_chosen", None)
    monkeypatch.setenv(course.TARGET_ENV, "solutions")
    monkeypatch.setenv(course.LESSONS_ENV, "03_price_log")
    assert course.selection() == course.Selection((course.find(3),), "solutions")

    course.select([course.find(1)], "mine", for_tests=True)

    assert course.selection() == course.Selection((course.find(1),), "mine", True)
