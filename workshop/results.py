"""What a test run found, lesson by lesson: the pytest side.

Every pytest run records its results: to the file named by WORKSHOP_REPORT (for `workshop check`
and `workshop verify`) and, for a full check of your own code, to the board's per-lesson memory
(workshop/progress.py).
"""

import json
import os
import re
from functools import cache
from pathlib import Path

from workshop import course, progress

REPORT_ENV = "WORKSHOP_REPORT"  # where to write this run's results as JSON
NO_PROGRESS_ENV = "WORKSHOP_NO_PROGRESS"  # set by `verify`: its runs are not the learner's
LEARNER_FILE = re.compile(r"((?:lessons|solutions)[/\\]\d\d_\w+[/\\][\w/\\]+\.py):(\d+)")

# For cli.py, which reads the board's memory: it lives in workshop/progress.py now.
fingerprint = progress.fingerprint
load_progress = progress.load


class LessonLoadError(Exception):
    """A lesson's code could not be imported, so its tests could not run."""


def dumps(data):
    return json.dumps(data, indent=1, ensure_ascii=False)


def is_todo(error):
    """True for the `raise NotImplementedError("TODO ...")` that marks an unfinished part."""
    return isinstance(error, NotImplementedError) and str(error).startswith("TODO")


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
            return f"{course.relative(path)}:{entry.lineno + 1}"
        if in_test is None and path == item.path.resolve():
            in_test = f"{course.relative(item.path)}:{entry.lineno + 1}"
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
    elif type(error).__name__ == "Failed":  # pytest.fail("...") in a test: a failed check.
        kind, message = "assertion", str(error)
    else:
        kind, message = "error", f"{type(error).__name__}: {error}"
    if kind == "broken":  # The message starts with the file:line that failed to load.
        return {"kind": kind, "message": message, "where": message.split(": ")[0]}
    return {"kind": kind, "message": message, "where": learner_location(excinfo.traceback, item)}


class Recorder:
    """A pytest plugin that gathers each lesson's results and saves them at the end."""

    def __init__(self, target, broken=None):
        self.target = target
        self.tests = []
        self.collect_errors = []
        self.broken = dict(broken or {})  # {slug: why it could not be loaded}
        self.incomplete = set()  # lessons only partly run (-k, deselected tests)
        self.run_elsewhere = set()  # lessons run by a child process, which saved their progress

    def pytest_runtest_logreport(self, report):
        if report.when != "call" and report.passed:
            return  # Setup and teardown are only news when they go wrong.
        if report.when == "teardown" and report.skipped:
            return
        lesson = course.lesson_for_path(Path(report.fspath))
        if lesson is None or lesson.slug in self.run_elsewhere:
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
        where = f"{Path(spots[-1][0]).as_posix()}:{spots[-1][1]}" if spots else None
        self.collect_errors.append(
            {
                "lesson": lesson.slug if lesson else None,
                "message": errors[-1] if errors else text.strip().splitlines()[-1],
                "where": where or course.relative(report.fspath),
            }
        )

    def pytest_deselected(self, items):
        for item in items:
            if lesson := course.lesson_for_path(item.path):
                self.incomplete.add(lesson.slug)

    def add_child_report(self, lesson, data):
        """Take in what a child process found for one lesson (it saved its own progress)."""
        self.run_elsewhere.add(lesson.slug)
        self.tests += data.get("tests", [])
        self.collect_errors += data.get("collect_errors", [])
        self.broken |= data.get("broken", {})

    def stopped(self, lesson, name, message, where, kind="timeout"):
        """A test the watchdog stopped, then save: the process ends right after.

        name=None: the lesson's loading was stopped; it shows as the failing test
        "the lesson loads", as a lesson that raises while loading does.
        """
        if name is None:
            self.broken[lesson.slug] = message
            name, kind = "the lesson loads", "broken"
        self.tests.append(
            {
                "lesson": lesson.slug,
                "name": name,
                "outcome": "failed",
                "kind": kind,
                "message": message,
                "where": where,
            }
        )
        self.save(partial=False)

    def pytest_sessionfinish(self, session):
        partial = session.shouldfail or session.shouldstop or session.config.option.keyword
        self.save(partial=bool(partial))

    def save(self, partial):
        if path := os.environ.get(REPORT_ENV):
            Path(path).write_text(dumps(self.as_dict()), encoding="utf-8")
        if self.target == "mine" and not partial and not os.environ.get(NO_PROGRESS_ENV):
            self.save_progress()

    def as_dict(self):
        return {
            "target": self.target,
            "tests": self.tests,
            "collect_errors": self.collect_errors,
            "broken": self.broken,
        }

    def save_progress(self):
        """Keep each fully checked lesson's result for the board."""
        ran = {test["lesson"] for test in self.tests}
        ran |= {error["lesson"] for error in self.collect_errors if error["lesson"]}
        ran |= set(self.broken)
        for slug in ran - self.incomplete - self.run_elsewhere:
            progress.save(
                course.find(slug),
                tests=[test for test in self.tests if test["lesson"] == slug],
                collect_errors=[e for e in self.collect_errors if e["lesson"] == slug],
                broken=self.broken.get(slug),
            )


def outcome_of(report):
    """passed, failed or skipped; a failure outside the test itself (a fixture) is an error."""
    if report.skipped or report.when == "call":
        return report.outcome
    return "error"


def skip_reason(report):
    if report.skipped and isinstance(report.longrepr, tuple):
        return report.longrepr[2].removeprefix("Skipped: ")
    return None
