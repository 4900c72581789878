"""A lesson that cannot load is named by file:line, found before Django starts when it can be."""

import json

import pytest

from workshop import course, pytest_plugin, results, runner


@pytest.fixture
def lesson(tmp_path, monkeypatch):
    """Lesson 01_x in a scratch lessons/ and solutions/ of its own."""
    monkeypatch.setattr(course, "ROOT", tmp_path)
    monkeypatch.setattr(course, "LESSONS_DIR", tmp_path / "lessons")
    monkeypatch.setattr(course, "SOLUTIONS_DIR", tmp_path / "solutions")
    monkeypatch.setattr(course, "lessons", lambda: (found,))
    found = course.Lesson("01_x", 1, "x", "X", "x", ("apps.py",), ())
    for folder in found.folder, found.solution_folder:
        folder.mkdir(parents=True)
        (folder / "apps.py").write_text("x = 1\n")
    return found


def test_a_syntax_error_is_found_before_django_starts(lesson):
    (lesson.folder / "apps.py").write_text("x = 1\ndef broken(:\n")

    assert pytest_plugin.syntax_error(lesson, "mine") == (
        "lessons/01_x/apps.py:2: SyntaxError: invalid syntax"
    )
    assert pytest_plugin.syntax_error(lesson, "solutions") is None, "the reference's file counts"


def test_a_file_that_is_not_utf8_is_a_syntax_error_not_a_crash(lesson):
    (lesson.folder / "apps.py").write_bytes(b"caf\xe9 = 1\n")
    assert "apps.py:1: SyntaxError" in pytest_plugin.syntax_error(lesson, "mine")


def test_an_error_is_blamed_on_the_deepest_line_of_the_lessons_files(lesson):
    source = "def ready():\n    from shop import Prodcut\n"
    namespace = {}
    exec(compile(source, str(lesson.folder / "apps.py"), "exec"), namespace)
    with pytest.raises(ImportError) as raised:
        namespace["ready"]()

    blamed, message = pytest_plugin.blame(raised.value)

    assert blamed == lesson
    assert message.startswith("lessons/01_x/apps.py:2: ImportError: cannot import name 'Prodcut'")


def test_a_stopped_lesson_is_reported_as_the_lesson_loads(lesson, tmp_path, monkeypatch):
    report = tmp_path / "report.json"
    monkeypatch.setenv(results.REPORT_ENV, str(report))
    monkeypatch.setenv(results.NO_PROGRESS_ENV, "1")

    results.Recorder("mine").stopped(lesson, None, "lessons/01_x/apps.py:3: loops", "x:3")

    data = json.loads(report.read_text())
    assert data["broken"] == {"01_x": "lessons/01_x/apps.py:3: loops"}
    assert [(test["name"], test["outcome"]) for test in data["tests"]] == [
        ("the lesson loads", "failed")
    ]


def test_a_missing_test_file_is_named_with_the_way_back(tmp_path):
    lesson = course.find(3)
    (tmp_path / "lessons" / lesson.slug).mkdir(parents=True)

    problem = runner.no_tests_ran(lesson, tmp_path, extra=())

    assert problem.startswith("lessons/03_price_log has no test file")
    assert "python -m workshop reset 3" in problem
