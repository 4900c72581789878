"""The mutant catalog's runner: the parts that need no lesson run."""

import pytest

from workshop import course, mutants
from workshop.runner import Run

LESSON = course.find("1")


def mutant(*expect, edits=()):
    return mutants.Case(LESSON, "mutant", "a mistake", edits=edits, expect=expect)


def test_an_edit_replaces_text_that_occurs_once():
    edit = mutants.Edit("apps.py", old="b", new="B")
    assert mutants.apply(edit, "abc", mutant("x")) == "aBc"


def test_an_edit_whose_old_text_is_ambiguous_is_a_catalog_error():
    edit = mutants.Edit("apps.py", old="a", new="A")
    with pytest.raises(mutants.CatalogError, match="occurs 2 times"):
        mutants.apply(edit, "aa", mutant("x"))


def test_an_edit_with_content_replaces_the_whole_file():
    edit = mutants.Edit("new.py", content="x = 1\n")
    assert mutants.apply(edit, None, mutant("x")) == "x = 1\n"


def test_a_mutant_is_named_when_its_first_message_has_every_word():
    outcome = mutants.Outcome(mutant("Sender", "product"), False, "use sender=Product")
    assert outcome.named
    assert not mutants.Outcome(mutant("dispatch_uid"), False, "use sender=Product").named


def test_the_first_message_is_what_check_shows_first():
    failure = {"name": "t", "outcome": "failed", "kind": "assertion", "message": "m", "where": ""}
    assert mutants.first_message(Run(LESSON, "mine", tests=[failure])) == "m"
    assert mutants.first_message(Run(LESSON, "mine", broken="apps.py:3: SyntaxError")).startswith(
        "apps.py"
    )


def test_a_mutant_that_passes_fails_the_lesson():
    outcomes = [
        mutants.Outcome(mutants.Case(LESSON, "reference", "reference"), True, ""),
        mutants.Outcome(mutant("sender"), passed=True, message=""),
    ]
    _, problems, failed = mutants.judge(LESSON, outcomes)
    assert failed
    assert "NOT CAUGHT: a mistake" in problems
