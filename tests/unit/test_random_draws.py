"""RandomDraws pins random's draws to an end of their range, for tests of jittered waits."""

import random
import types

from workshop.testing import RandomDraws


def a_module_that_imported_uniform_by_name():
    module = types.ModuleType("relay")
    module.uniform = random.uniform  # As `from random import uniform` leaves it.
    module.delay = 300
    return module


def test_widest_draws_are_the_top_of_each_range(monkeypatch):
    RandomDraws(monkeypatch).pin(widest=True)

    assert random.random() == 1.0
    assert random.uniform(0, 8) == 8
    assert random.randint(0, 8) == 8
    assert random.randrange(9) == 8
    assert random.randrange(2, 9) == 8


def test_narrowest_draws_are_the_bottom_of_each_range(monkeypatch):
    RandomDraws(monkeypatch).pin(widest=False)

    assert random.random() == 0.0
    assert random.uniform(0, 8) == 0
    assert random.randint(2, 8) == 2
    assert random.randrange(9) == 0
    assert random.randrange(2, 9) == 2


def test_a_draw_imported_by_name_is_pinned_too_and_can_be_pinned_again(monkeypatch):
    module = a_module_that_imported_uniform_by_name()
    draws = RandomDraws(monkeypatch, module)

    draws.pin(widest=True)
    assert module.uniform(0, module.delay) == 300
    draws.pin(widest=False)
    assert module.uniform(0, module.delay) == 0
    assert module.delay == 300  # What is not a draw of random's is left alone.


def test_the_draws_come_back_after_the_test(monkeypatch):
    original = random.uniform
    with monkeypatch.context() as patch:
        RandomDraws(patch).pin(widest=True)
        assert random.uniform is not original
    assert random.uniform is original
