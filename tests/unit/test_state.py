"""The CLI's memory of hints seen: progression, and a state file of any shape."""

import json

import pytest

from workshop import course, state

pytestmark = pytest.mark.reference

LESSON = course.find("1")


@pytest.fixture(autouse=True)
def state_file(tmp_path, monkeypatch):
    path = tmp_path / ".workshop" / "state.json"
    monkeypatch.setattr(state, "STATE_FILE", path)
    return path


def test_hints_come_one_after_another_and_the_last_one_stays():
    total = len(LESSON.hints)

    shown = [state.next_hint(LESSON) for _ in range(total + 2)]

    assert shown == [*range(1, total + 1), total, total]


def test_hints_seen_counts_those_shown_so_far():
    assert state.hints_seen(LESSON) == 0
    state.next_hint(LESSON)
    state.next_hint(LESSON)

    assert state.hints_seen(LESSON) == 2


@pytest.mark.parametrize(
    "content",
    [
        "[1, 2, 3]",
        "garbage{",
        '"a string"',
        '{"hints_shown": [1, 2]}',
        '{"hints_shown": {"01_signals_basics": "two"}}',
        '{"hints_shown": {"01_signals_basics": -4}}',
        '{"hints_shown": {"01_signals_basics": true}}',
    ],
)
def test_a_state_file_of_the_wrong_shape_is_ignored_and_rebuilt(state_file, content):
    state_file.parent.mkdir()
    state_file.write_text(content)

    assert state.next_hint(LESSON) == 1
    assert json.loads(state_file.read_text()) == {"hints_shown": {LESSON.slug: 1}}


def test_a_state_file_that_is_not_utf8_is_ignored(state_file):
    state_file.parent.mkdir()
    state_file.write_bytes(b"\xff\xfe{")

    assert state.hints_seen(LESSON) == 0


def test_a_count_beyond_the_hints_is_taken_as_all_seen(state_file):
    state_file.parent.mkdir()
    state_file.write_text(json.dumps({"hints_shown": {LESSON.slug: 99}}))

    assert state.hints_seen(LESSON) == len(LESSON.hints)
    assert state.next_hint(LESSON) == len(LESSON.hints)
