"""verify's layout check: one hint per TODO in the files a learner edits."""

from types import SimpleNamespace

import pytest

from workshop import verify

pytestmark = pytest.mark.reference


def lesson(tmp_path, hints, *texts):
    paths = []
    for number, text in enumerate(texts):
        path = tmp_path / f"file{number}.py"
        path.write_text(text)
        paths.append(path)
    return SimpleNamespace(hints=tuple(hints), files=lambda: paths)


def test_todo_numbers_are_counted_once_across_the_files(tmp_path):
    found = lesson(tmp_path, [], "# TODO 1: a\n# TODO 2: b\n", "# TODO 2: again\n# TODO 10: c\n")

    assert verify.todo_numbers(found) == [1, 2, 10]


def test_one_hint_per_todo_is_no_problem(tmp_path):
    assert verify.hint_problems(lesson(tmp_path, ["h1", "h2"], "# TODO 1\n# TODO 2\n")) == []


@pytest.mark.parametrize("hints", [["h1"], ["h1", "h2", "h3"]])
def test_more_or_fewer_hints_than_todos_is_reported(tmp_path, hints):
    [problem] = verify.hint_problems(lesson(tmp_path, hints, "# TODO 1: a\n# TODO 2: b\n"))

    assert f"{len(hints)} hints for 2 TODOs (1, 2)" in problem
