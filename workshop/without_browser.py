"""A pytest plugin for `workshop check`: tests marked `browser` are skipped, saying how to run them.

A check must feel instant, and a browser takes seconds to start. Skipped rather than deselected
(`-m "not browser"`), the browser tests still show in the check, with the way to run them, and
the run still counts as the whole lesson checked for the board. `check N --browser`, plain
pytest, `verify` and CI run them. Loaded by `python -m workshop check` with `-p`.
"""

import pytest

BROWSER_MARK = "browser"


def pytest_collection_modifyitems(config, items):
    # pytest's documented way to make a mark opt-in: a skip marker added at collection.
    for item in items:
        if item.get_closest_marker(BROWSER_MARK):
            item.add_marker(pytest.mark.skip(reason="a browser test: add --browser to run it"))
