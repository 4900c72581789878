"""The board trusts a recorded result only if it is sound, signed by this kit and current."""

import json

import pytest

from workshop import course, progress

LESSON = course.find(1)
PASSED = {"name": "test_x", "outcome": "passed", "kind": "passed", "message": None, "where": None}


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(progress, "KEY_FILE", tmp_path / "key")
    return tmp_path / "results"


def saved_record(results_dir):
    return json.loads((results_dir / f"{LESSON.slug}.json").read_text())


def write(results_dir, record):
    (results_dir / f"{LESSON.slug}.json").write_text(json.dumps(record))


def test_a_saved_record_is_loaded_back(results_dir):
    progress.save(LESSON, [PASSED], [], None)
    assert progress.load(LESSON)["tests"] == [PASSED]


@pytest.mark.parametrize("content", ["[1, 2, 3]", "garbage", "{}", '{"tests": 3}', ""])
def test_a_corrupt_or_wrong_shaped_file_is_ignored(results_dir, content):
    results_dir.mkdir()
    (results_dir / f"{LESSON.slug}.json").write_text(content)
    assert progress.load(LESSON) is None


def test_a_forged_record_is_ignored(results_dir):
    progress.save(LESSON, [{**PASSED, "outcome": "failed", "kind": "assertion"}], [], None)
    record = saved_record(results_dir)
    record["tests"][0].update(outcome="passed", kind="passed")
    write(results_dir, record)

    assert progress.load(LESSON) is None


def test_a_record_written_with_another_key_is_ignored(results_dir):
    progress.save(LESSON, [PASSED], [], None)
    progress.KEY_FILE.write_text("00" * 32)
    assert progress.load(LESSON) is None


def test_a_record_of_other_files_is_stale(results_dir, monkeypatch):
    progress.save(LESSON, [PASSED], [], None)
    monkeypatch.setattr(progress, "fingerprint", lambda lesson: "changed since")
    assert progress.load(LESSON) is None


def test_the_fingerprint_covers_code_and_tests_in_any_encoding(tmp_path, monkeypatch):
    monkeypatch.setattr(course, "LESSONS_DIR", tmp_path)
    lesson = course.Lesson("01_x", 1, "x", "X", "x", ("apps.py",), ())
    lesson.folder.mkdir()
    (lesson.folder / "apps.py").write_bytes(b"caf\xe9 = 1\n")  # Latin-1, not UTF-8.
    (lesson.folder / "test_x.py").write_text("def test(): pass\n")
    before = progress.fingerprint(lesson)

    (lesson.folder / "test_x.py").write_text("def test(): assert False\n")

    assert progress.fingerprint(lesson) != before
