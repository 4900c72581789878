"""What a test run found, lesson by lesson.

Every pytest run records it: to the file named by WORKSHOP_REPORT (for `workshop check` and
`workshop verify`) and, for your own code, under .workshop/results/ for the board.
"""

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from workshop import course

REPORT_ENV = "WORKSHOP_REPORT"  # where to write this run's results as JSON
NO_PROGRESS_ENV = "WORKSHOP_NO_PROGRESS"  # set by `verify`: its runs are not the learner's
RESULTS_DIR = course.ROOT / ".workshop" / "results"
LEARNER_FILE = re.compile(r"((?:lessons|solutions)/\d\d_\w+/[\w/]+\.py):(\d+)")


class LessonLoadError(Exception):
    """A lesson's code could not be imported, so its tests could not run."""


def dumps(data):
    return json.dumps(data, indent=1, ensure_ascii=False)


def is_todo(error):
    """True for the `raise NotImplementedError("TODO ...")` that marks an unfinished part."""
    return isinstance(error, NotImplementedError) and str(error).startswith("TODO")


def fingerprint(lesson):
    """A hash of the lesson's code and tests: a recorded result is stale once it changes."""
    digest = hashlib.sha256()
    for path in sorted(lesson.folder.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".html", ".txt", ".json", ".toml"}:
            digest.update(str(path.relative_to(lesson.folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def edited_files(lesson):
    """The resolved paths of a lesson's edited files, the learner's and the reference's."""
    if lesson is None:
        return frozenset()
    return frozenset(path.resolve() for path in [*lesson.files("mine"), *lesson.files("solutions")])


def learner_location(traceback, item):
    """file:line of the deepest traceback entry in the lesson's edited files, else the test's."""
    edited = edited_files(course.lesson_for_path(item.path))
    in_test = None
    for entry in reversed(traceback):
        path = Path(entry.path).resolve()
        if path in edited:
            return f"{path.relative_to(course.ROOT)}:{entry.lineno + 1}"
        if in_test is None and path == item.path.resolve():
            in_test = f"{item.path.relative_to(course.ROOT)}:{entry.lineno + 1}"
    return in_test


def summarize(item, excinfo):
    """The kind of failure, its message for a learner, and where to look."""
    error = excinfo.value
    if is_todo(error):
        kind, message = "todo", str(error)
    elif isinstance(error, LessonLoadError):
        kind, message = "broken", str(error)
    elif isinstance(error, AssertionError):
        # Keep the message written for the learner; drop pytest's `assert x == y` introspection.
        kind, message = "assertion", str(error).split("\nassert ")[0].strip()
    elif type(error).__name__ == "Failed" and "Timeout" in str(error):
        kind, message = (
            "timeout",
            ("This test ran too long and was stopped: is there an endless loop in your code?"),
        )
    elif type(error).__name__ == "Failed":  # pytest.fail("...") in a test: a failed check.
        kind, message = "assertion", str(error)
    else:
        kind, message = "error", f"{type(error).__name__}: {error}"
    if kind == "broken":  # The message starts with the file:line that failed to load.
        return {"kind": kind, "message": message, "where": message.split(": ")[0]}
    return {"kind": kind, "message": message, "where": learner_location(excinfo.traceback, item)}


class Recorder:
    """A pytest plugin that gathers each lesson's results and saves them at the end."""

    def __init__(self, target):
        self.target = target
        self.tests = []
        self.collect_errors = []
        self.incomplete = set()

    def pytest_runtest_logreport(self, report):
        if report.when != "call" and report.passed:
            return  # Setup and teardown are only news when they go wrong.
        if report.when == "teardown" and report.skipped:
            return
        lesson = course.lesson_for_path(Path(report.fspath))
        if lesson is None:
            return
        summary = getattr(report, "learner_summary", None) or {}
        self.tests.append(
            {
                "lesson": lesson.slug,
                "name": report.nodeid.split("::")[-1],
                "outcome": outcome_of(report),
                "kind": "passed" if report.passed else summary.get("kind", report.outcome),
                "message": summary.get("message") or skip_reason(report),
                "where": summary.get("where"),
            }
        )

    def pytest_collectreport(self, report):
        if not report.failed:
            return
        lesson = course.lesson_for_path(Path(report.fspath))
        text = str(report.longrepr)
        errors = [line[2:].strip() for line in text.splitlines() if line.startswith("E ")]
        spots = LEARNER_FILE.findall(text)
        self.collect_errors.append(
            {
                "lesson": lesson.slug if lesson else None,
                "message": errors[-1] if errors else text.strip().splitlines()[-1],
                "where": ":".join(spots[-1]) if spots else report.fspath,
            }
        )

    def pytest_deselected(self, items):
        for item in items:
            if lesson := course.lesson_for_path(item.path):
                self.incomplete.add(lesson.slug)

    def pytest_sessionfinish(self, session):
        if path := os.environ.get(REPORT_ENV):
            Path(path).write_text(dumps(self.as_dict()), encoding="utf-8")
        partial = session.shouldfail or session.shouldstop or session.config.option.keyword
        if self.target == "mine" and not partial and not os.environ.get(NO_PROGRESS_ENV):
            self.save_progress()

    def as_dict(self):
        return {
            "target": self.target,
            "tests": self.tests,
            "collect_errors": self.collect_errors,
            "broken": course.broken_lessons(),
        }

    def save_progress(self):
        """Keep each fully checked lesson's result for the board."""
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        ran = {test["lesson"] for test in self.tests}
        ran |= {error["lesson"] for error in self.collect_errors if error["lesson"]}
        ran |= set(course.broken_lessons())
        for slug in ran - self.incomplete:
            lesson = course.find(slug)
            tests = [test for test in self.tests if test["lesson"] == slug]
            record = {
                "fingerprint": fingerprint(lesson),
                "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "tests": tests,
                "collect_errors": [e for e in self.collect_errors if e["lesson"] == slug],
                "broken": course.broken_lessons().get(slug),
            }
            (RESULTS_DIR / f"{slug}.json").write_text(dumps(record), encoding="utf-8")


def outcome_of(report):
    """passed, failed or skipped; a failure outside the test itself (a fixture) is an error."""
    if report.skipped or report.when == "call":
        return report.outcome
    return "error"


def skip_reason(report):
    if report.skipped and isinstance(report.longrepr, tuple):
        return report.longrepr[2].removeprefix("Skipped: ")
    return None


def load_progress(lesson):
    """The last recorded result for the learner's code, or None if there is none."""
    path = RESULTS_DIR / f"{lesson.slug}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
