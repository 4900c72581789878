"""Run one lesson's tests in a fresh pytest process and read back what it found.

A separate process per run keeps the learner's code from touching the CLI: a syntax error, an
endless loop or a crash costs that run, never the board.
"""

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from workshop import course, results

RUN_TIMEOUT = 90  # seconds for a whole lesson; a single test is stopped after 10 (pyproject).


@dataclass
class Run:
    """The outcome of one lesson's tests."""

    lesson: course.Lesson
    target: str
    tests: list = field(default_factory=list)
    collect_errors: list = field(default_factory=list)
    broken: str | None = None
    problem: str | None = None  # the run itself went wrong: it timed out or crashed

    @property
    def passed(self):
        return [test for test in self.tests if test["outcome"] == "passed"]

    @property
    def failed(self):
        return [test for test in self.tests if test["outcome"] in ("failed", "error")]

    @property
    def ok(self):
        return bool(self.tests) and not (self.failed or self.collect_errors or self.problem)

    @property
    def first_failure(self):
        return next(iter(self.failed), None)

    @classmethod
    def from_record(cls, lesson, record, target="mine"):
        return cls(
            lesson=lesson,
            target=target,
            tests=record.get("tests", []),
            collect_errors=record.get("collect_errors", []),
            broken=record.get("broken"),
        )


def pytest_command(lesson, target="mine", extra=()):
    command = [sys.executable, "-m", "pytest", f"lessons/{lesson.slug}", "-q", "--no-header"]
    if target == "solutions":
        command.append("--solutions")
    return [*command, *extra]


def run_lesson(
    lesson, target="mine", record_progress=True, timeout=RUN_TIMEOUT, root=None, extra=()
):
    """Run a lesson's tests against the learner's code or the reference; never raises.

    `root` is the repository to run in (a copy, for the mutant catalog); `extra` are pytest
    options passed through (["-v"], ["-k", "order"], ["-m", "not browser"]).
    """
    with tempfile.TemporaryDirectory(prefix="workshop-") as scratch:
        report = Path(scratch) / "report.json"
        env = {**os.environ, results.REPORT_ENV: str(report)}
        if not record_progress:
            env[results.NO_PROGRESS_ENV] = "1"
        try:
            finished = subprocess.run(
                pytest_command(lesson, target, extra),
                cwd=root or course.ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return Run(
                lesson,
                target,
                problem=f"The tests did not finish within {timeout} s, so they were stopped. "
                "Is there an endless loop where the lesson's code is loaded (apps.py)?",
            )
        if not report.is_file():
            output = (finished.stdout + finished.stderr).strip().splitlines()
            return Run(lesson, target, problem="\n".join(output[-15:]) or "pytest crashed.")
        data = json.loads(report.read_text(encoding="utf-8"))
    return Run(
        lesson=lesson,
        target=target,
        tests=[test for test in data["tests"] if test["lesson"] == lesson.slug],
        collect_errors=[e for e in data["collect_errors"] if e["lesson"] == lesson.slug],
        broken=data["broken"].get(lesson.slug),
    )
