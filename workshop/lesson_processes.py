"""One lesson per test process: which lessons a pytest runs itself, and which in child processes.

A process loads one lesson's app into Django, so a lesson passes together exactly as it passes
alone, with nothing to undo between lessons. `pytest lessons/03_price_log` (or a file or test
inside it) runs here. Asked for more (`pytest --solutions`, two lessons, a lesson and tests/),
pytest collects each lesson as one item, `LessonRun`, whose test is
`python -m pytest <that lesson's paths> <the other options>` in a child process, two at a time;
a failing child shows its own failures, and `-v` shows its lines. The kit's own tests (tests/)
run here, with every reference lesson loaded under --solutions (they are `reference` tests).
"""

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workshop import course, results

PLAN = pytest.StashKey["Plan"]()
AT_ONCE = 2  # child processes at a time
CHILD_TIMEOUT = 600  # seconds: each child stops its own endless loops long before this
NO_TESTS_COLLECTED = 5  # pytest's exit status when nothing matched (-k, -m)


@dataclass
class Plan:
    here: tuple = ()  # the lessons this process loads
    children: dict = field(default_factory=dict)  # lesson -> its command-line paths
    options: tuple = ()  # what the children are given besides their paths
    others: bool = False  # tests that are not a lesson's run here too (tests/, say)

    def needs_async_tests(self):
        """Whether this process runs `async def` tests: the kit's own, or a lesson's."""
        return self.others or any(lesson.async_tests for lesson in self.here)

    def rewritten(self, args, paths):
        """The command line for this process: a lesson run by a child is named by its folder."""
        if not self.children:
            return list(args)
        kept = []
        for arg in args:
            if arg in paths and (lesson := lesson_named(arg, self)):
                arg = str(lesson.folder)
                if arg in kept:
                    continue
            kept.append(arg)
        return kept

    def started_here(self, paths):
        """The command-line paths whose conftest.py this process loads: not the children's."""
        return [path for path in paths if not lesson_named(path, self)]


def lesson_named(arg, plan):
    return next((lesson for lesson, args in plan.children.items() if arg in args), None)


def plan(paths, invocation, target):
    """Which lessons run here and which in children, for these command-line paths."""
    named = {}
    rest = False  # anything that is not a lesson: tests/, the whole repository
    if not paths and Path(invocation.dir).resolve() != course.ROOT:
        paths = [str(invocation.dir)]
    for arg in paths or [str(course.ROOT)]:
        path = (Path(invocation.dir) / arg.split("::")[0]).resolve()
        if lesson := course.lesson_for_path(path):
            named.setdefault(lesson, []).append(arg)
            continue
        if course.LESSONS_DIR.is_relative_to(path):  # lessons/ itself, or the repository
            for lesson in course.lessons():
                named.setdefault(lesson, [str(lesson.folder)])
        rest = rest or path != course.LESSONS_DIR
    if len(named) == 1 and not rest:
        return Plan(here=tuple(named))
    here = course.lessons() if rest and target == "solutions" else ()
    options = [arg for arg in invocation.args if arg not in paths]
    return Plan(here=tuple(here), children=named, options=tuple(options), others=rest)


class LessonDirectory(pytest.Collector):
    """A lesson's folder, whose tests a child process collects and runs.

    Not a pytest.Directory: pytest would import the folder's conftest.py in this process, where
    the lesson is not loaded, and the conftest.py could not import it.
    """

    @classmethod
    def from_parent(cls, parent, *, path):
        nodeid = path.relative_to(parent.config.rootpath).as_posix()
        return super().from_parent(parent, name=path.name, path=path, nodeid=nodeid)

    def collect(self):
        yield LessonRun.from_parent(self, name=course.lesson_for_path(self.path).slug)


class ChildFailed(Exception):
    """A lesson's child process found failures; its output says which."""


class LessonRun(pytest.Item):
    """A lesson's tests, run by `python -m pytest` in a child process of their own."""

    output = ""

    @property
    def lesson(self):
        return course.lesson_for_path(self.path)

    def runtest(self):
        children = self.config.pluginmanager.get_plugin("workshop-children")
        status, self.output, report = children.result(self)
        if report is not None:
            children.recorder.add_child_report(self.lesson, report)
        if status == NO_TESTS_COLLECTED:
            pytest.skip(f"{self.lesson.slug}: no test selected")
        if status != 0:
            raise ChildFailed(self.output)

    def repr_failure(self, excinfo):
        if not isinstance(excinfo.value, ChildFailed):
            return super().repr_failure(excinfo)
        lines = self.output.rstrip().splitlines() or ["(no output)"]
        # Its closing line ("2 failed, 8 passed in 0.41s") first, for the short summary; then
        # what follows its first section's title (FAILURES, ERRORS...), or all of it if none.
        start = next((i + 1 for i, line in enumerate(lines) if line.startswith("=")), 0)
        return "\n".join([lines[-1].strip("= "), *lines[start:]])

    def reportinfo(self):
        return self.path, None, f"{self.lesson.slug}, in a process of its own"


class Children:
    """A pytest plugin that starts the lessons' child processes, AT_ONCE at a time."""

    def __init__(self, config, recorder):
        self.config = config
        self.recorder = recorder
        self.plan = config.stash[PLAN]
        self.pool = None
        self.started = {}

    def pytest_collect_directory(self, path, parent):
        lesson = course.lesson_for_path(path)
        if lesson is not None and path == lesson.folder and lesson in self.plan.children:
            return LessonDirectory.from_parent(parent, path=path)
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(self, items):
        # -k and -m are for the tests inside each lesson: its child applies them.
        runs = [item for item in items if isinstance(item, LessonRun)]
        items[:] = [item for item in items if not isinstance(item, LessonRun)]
        try:
            return (yield)
        finally:
            items[:0] = runs

    def pytest_collection_finish(self, session):
        runs = [item for item in session.items if isinstance(item, LessonRun)]
        if not runs or self.config.option.collectonly:
            return
        self.pool = ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="lesson")
        for item in runs:
            self.started[item.nodeid] = self.pool.submit(self.run_child, item.lesson)

    def result(self, item):
        return self.started[item.nodeid].result()

    def run_child(self, lesson):
        """(exit status, output, report or None) of the lesson's tests in a child process."""
        plan = self.plan
        with tempfile.TemporaryDirectory(prefix="workshop-") as scratch:
            report = Path(scratch) / "report.json"
            command = [sys.executable, "-m", "pytest", *plan.children[lesson], *plan.options]
            try:
                finished = subprocess.run(
                    command,
                    cwd=self.config.invocation_params.dir,
                    env={
                        **os.environ,
                        results.REPORT_ENV: str(report),
                        "PYTHONIOENCODING": "utf-8",
                    },
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    encoding="utf-8",
                    errors="replace",
                    timeout=CHILD_TIMEOUT,
                )
            except subprocess.TimeoutExpired as expired:
                return 1, f"Stopped after {CHILD_TIMEOUT} s:\n{expired.output or ''}", None
            data = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else None
        return finished.returncode, finished.stdout, data

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if isinstance(item, LessonRun) and call.when == "call":
            report.child_lines = item.output.splitlines()
        return report

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report):
        if report.when != "call" or self.config.option.verbose <= 0:
            return
        writer = self.config.pluginmanager.get_plugin("terminalreporter")
        for line in getattr(report, "child_lines", ()):
            if "::" in line:  # A test's line, without the child's own progress ("[ 10%]").
                line = line.rpartition(" [")[0] if line.endswith("%]") else line
                writer.write_line(f"    {line}")

    def pytest_sessionfinish(self):
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
