"""Under --solutions a lesson's modules come from solutions/ first, then from the lesson."""

import sys

from workshop import course, overlay

LESSON = course.find(1)


def test_the_learners_run_looks_in_the_lesson_folder_only():
    assert overlay.search_path(LESSON, use_solutions=False) == [str(LESSON.folder)]


def test_the_reference_run_looks_in_the_solution_first():
    assert overlay.search_path(LESSON, use_solutions=True) == [
        str(LESSON.solution_folder),
        str(LESSON.folder),
    ]


def test_install_makes_the_lesson_a_package_with_that_search_path(monkeypatch):
    monkeypatch.delitem(sys.modules, LESSON.package, raising=False)

    overlay.install([LESSON], use_solutions=True)

    package = sys.modules[LESSON.package]
    assert package.__file__ == str(LESSON.folder / "__init__.py")
    assert list(package.__path__) == overlay.search_path(LESSON, use_solutions=True)
