"""The shipped starters: what reset puts back, what makes a lesson "not started" or broken."""

from types import SimpleNamespace

import pytest

from workshop import course, files, starters

pytestmark = pytest.mark.reference

SHIPPED = {
    "receivers.py": "def receiver():\n    pass  # TODO 1: log\n",
    "apps.py": "class Config:\n    pass\n",
    "test_lesson.py": "def test_it():\n    assert True\n",
    "README.md": "# The lesson\n",
}


@pytest.fixture
def lesson(tmp_path, monkeypatch):
    """A lesson folder as shipped, whose learner edits receivers.py."""
    folder = tmp_path / "lessons" / "01_lesson"
    folder.mkdir(parents=True)
    for name, text in SHIPPED.items():
        (folder / name).write_text(text)
    monkeypatch.setattr(starters, "recorded", lambda: {"01_lesson": dict(SHIPPED)})
    monkeypatch.setattr(files, "BACKUP_DIR", tmp_path / "backups")
    return SimpleNamespace(
        slug="01_lesson",
        number=1,
        folder=folder,
        edit=("receivers.py",),
        files=lambda target="mine": [folder / "receivers.py"],
    )


def test_an_untouched_lesson_is_not_started(lesson):
    assert files.is_untouched(lesson) is True
    assert files.changed_files(lesson) == []


def test_windows_line_endings_do_not_count_as_a_change(lesson):
    path = lesson.folder / "receivers.py"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))

    assert files.is_untouched(lesson) is True


def test_resetting_an_untouched_lesson_changes_nothing_and_keeps_no_backup(lesson, tmp_path):
    assert files.reset(lesson) == ([], None)
    assert not (tmp_path / "backups").exists()


def test_reset_puts_back_an_edited_file_and_keeps_the_learners_version(lesson):
    path = lesson.folder / "receivers.py"
    path.write_text("my work\n")

    names, backup = files.reset(lesson)

    assert names == ["receivers.py"]
    assert path.read_text() == SHIPPED["receivers.py"]
    assert (backup / "receivers.py").read_text() == "my work\n"


def test_reset_puts_back_a_deleted_test_file(lesson):
    (lesson.folder / "test_lesson.py").unlink()

    names, backup = files.reset(lesson)

    assert names == ["test_lesson.py"] and backup is None
    assert (lesson.folder / "test_lesson.py").read_text() == SHIPPED["test_lesson.py"]


def test_reset_leaves_a_changed_file_the_learner_does_not_edit(lesson):
    (lesson.folder / "apps.py").write_text("changed by hand\n")

    assert files.changed_files(lesson) == []


def test_a_missing_python_file_is_named_with_the_command_that_restores_it(lesson):
    (lesson.folder / "test_lesson.py").unlink()

    damage = files.damage(lesson)

    assert "test_lesson.py" in damage and "python -m workshop reset 1" in damage


def test_a_file_that_is_not_utf8_is_named(lesson):
    (lesson.folder / "receivers.py").write_bytes(b"x = '\xff'\n")

    assert "not UTF-8" in files.damage(lesson) and "receivers.py" in files.damage(lesson)


def test_an_intact_lesson_has_no_damage(lesson):
    assert files.damage(lesson) is None


def test_the_record_leaves_caches_out(tmp_path):
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "apps.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "apps.py").write_text("x = 1\r\n")

    assert starters.folder_files(tmp_path) == {"apps.py": "x = 1\n"}


@pytest.mark.parametrize("lesson", course.lessons(), ids=lambda lesson: lesson.slug)
def test_the_record_holds_every_lesson_as_it_ships(lesson):
    changed = starters.differences(lesson)

    assert not changed, (
        f"workshop/starters.json does not hold {changed} of lessons/{lesson.slug} as they are: "
        f"after changing a lesson, run {starters.RECORD_COMMAND}"
    )
