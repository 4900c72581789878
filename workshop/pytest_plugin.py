"""The pytest side of the course kit.

- ``--solutions`` checks the reference solutions instead of your code, with the same tests.
- One lesson per process: ``pytest lessons/03_price_log`` loads only that lesson's app into
  Django and runs its tests here. Asked for several lessons (or for everything), pytest runs
  each lesson in a child process of its own (workshop/lesson_processes.py) and the kit's own
  tests (tests/) here, with every reference lesson loaded.
- A lesson that fails to load (a syntax error, a bad import) is reported as one failing test,
  "the lesson loads", naming the line to fix.
- An endless loop is stopped (workshop/watchdog.py): while the lesson loads, and in each test
  after `timeout` seconds (10, see pyproject.toml; a test may ask for more with
  ``@pytest.mark.timeout(seconds)``), naming the line where it was spinning.
- An unfinished part (``raise NotImplementedError("TODO ...")``) fails with a short "not done
  yet" line instead of a traceback.
- Every run records its results, which ``python -m workshop`` shows on the board.
"""

import atexit
import gc
import json
import os
import subprocess
import sys
import traceback
from argparse import SUPPRESS
from functools import partial
from pathlib import Path

import pytest

from workshop import course, lesson_processes, overlay, results, watchdog
from workshop.lesson_processes import PLAN

SOLUTIONS_OPTION = "--solutions"
# Set on the re-run of a pytest whose lesson raised while Django loaded it (see below).
NOT_LOADED_OPTION = "--lessons-that-failed-to-load"
NOT_LOADED = pytest.StashKey[dict]()  # {slug: why}: the lessons this process could not load
LOAD_TIMEOUT = 10  # seconds for Django to load the lessons: longer is an endless loop
# A browser test starts Chromium, which a busy laptop may take seconds to do.
BROWSER_TIMEOUT = 30
LOAD_NOTICE_AFTER = 2  # seconds: then say what is loading, rather than show a blank screen


def pytest_addoption(parser):
    parser.addoption(
        SOLUTIONS_OPTION,
        action="store_true",
        help="check the reference solutions in solutions/ instead of your code in lessons/",
    )
    parser.addoption(NOT_LOADED_OPTION, default="{}", help=SUPPRESS)
    parser.addini("timeout", "seconds a test may run before it is stopped", default="10")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # This runs before output capturing and before pytest-django starts Django, so it decides
    # which lessons Django loads, and from where.
    options = parser.parse_known_args(args)
    target = "solutions" if options.solutions else "mine"
    plan = lesson_processes.plan(options.file_or_dir, early_config.invocation_params, target)
    early_config.stash[lesson_processes.PLAN] = plan
    if plan.needs_async_tests():
        # Left out by pyproject.toml (-p no:anyio): importing it is a tenth of a check's start.
        early_config.pluginmanager.import_plugin("anyio.pytest_plugin")
    args[:] = plan.rewritten(args, options.file_or_dir)
    if plan.children:
        # pytest imports the conftest.py of each folder named on the command line as it starts.
        # A lesson run by a child is not loaded here, and its conftest.py could not import it.
        early_config.known_args_namespace.file_or_dir = plan.started_here(options.file_or_dir)
    not_loaded = json.loads(options.lessons_that_failed_to_load)
    for lesson in plan.here:
        if lesson.slug not in not_loaded and (error := syntax_error(lesson, target)):
            not_loaded[lesson.slug] = error
    early_config.stash[NOT_LOADED] = not_loaded
    loading = [lesson for lesson in plan.here if lesson.slug not in not_loaded]
    course.select(loading, target, for_tests=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
    start_django(early_config, loading, not_loaded)
    if not_loaded:
        # A lesson left out cannot be imported, so neither can its conftest.py, which imports
        # the lesson's modules: its tests stand in as one failing test that needs no fixture.
        early_config.known_args_namespace.noconftest = True
    try:
        return (yield)
    except Exception as error:  # pytest loading a conftest.py that imports the learner's code.
        lesson, message = blame(error.__cause__ or error)
        if lesson is None:
            raise
        sys.exit(run_again_without(early_config, {**not_loaded, lesson.slug: message}))


def syntax_error(lesson, target):
    """`file:line: SyntaxError: message` for the first module of the lesson that does not
    compile, else None. Found before Django starts, this costs no re-run (see start_django)."""
    seen = set()
    for folder in map(Path, overlay.search_path(lesson, target == "solutions")):
        for path in sorted(folder.rglob("*.py")):
            name = path.relative_to(folder)
            if name in seen or path.name.startswith("test_") or path.name == "conftest.py":
                continue
            seen.add(name)
            try:
                compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
            except SyntaxError as error:
                return f"{course.relative(path)}:{error.lineno}: SyntaxError: {error.msg}"
            except ValueError as error:  # Null bytes in the file.
                return f"{course.relative(path)}:1: {type(error).__name__}: {error}"
    return None


def start_django(config, loading, not_loaded):
    """django.setup(), watched for endless loops; if a lesson raises, re-run without it.

    Django cannot be set up twice in one process, and a test process has nothing else to do
    once its lesson is broken: the same pytest runs again, in a child process, with that lesson
    left out (its tests then show as one failing test), and this process exits as it does.
    """
    import django

    def notice():
        names = ", ".join(lesson.slug for lesson in loading)
        print(f"Loading {names} into Django...", file=sys.stderr, flush=True)

    # pytest and the kit live as long as the process: the garbage collector need not scan them
    # again. No lesson's code has run yet, so whatever it leaves as garbage (a receiver that
    # nothing keeps alive) is still collected.
    gc.freeze()
    stop = partial(stop_loading, config, not_loaded)
    # Only a line of the lesson's own that is still running counts as an endless loop: a slow
    # first start (imports compiling) goes on.
    with watchdog.deadline(
        LOAD_TIMEOUT,
        stop,
        notice=notice if loading else None,
        notice_after=LOAD_NOTICE_AFTER,
        innermost=True,
    ):
        try:
            django.setup()
        except Exception as error:
            lesson, message = blame(error)
            if lesson is None:
                raise  # Not a lesson's file: the shop or the kit itself is broken.
            not_loaded = {**not_loaded, lesson.slug: message}
    if not_loaded != config.stash[NOT_LOADED]:
        sys.exit(run_again_without(config, not_loaded))


def run_again_without(config, not_loaded):
    """Run the same pytest in a child process, with these lessons not loaded; its exit code."""
    args = [arg for arg in config.invocation_params.args if not arg.startswith(NOT_LOADED_OPTION)]
    command = [
        sys.executable,
        "-m",
        "pytest",
        *args,
        f"{NOT_LOADED_OPTION}={json.dumps(not_loaded)}",
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    return subprocess.run(command, cwd=config.invocation_params.dir).returncode


def stop_loading(config, not_loaded, where):
    """The watchdog's call when loading the lessons outlasts LOAD_TIMEOUT."""
    lesson = course.lesson_for_path(course.ROOT / where.rpartition(":")[0]) if where else None
    if lesson is None:  # Slow, but not in a lesson's own line (a cold start): let it go on.
        return
    recorder = results.Recorder(course.selection().target, not_loaded)
    stop_the_lesson(config, recorder, lesson, where)


def stop_the_lesson(config, recorder, lesson, where):
    """Report a lesson whose loading was stopped in an endless loop, and end the process."""
    message = f"{where}: still running after {LOAD_TIMEOUT} s: an endless loop?"
    recorder.stopped(lesson, None, message, where)
    say(config, f"Lesson {lesson.slug} could not be loaded: {message}\nFix that line first.")
    os._exit(1)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    # Importing a test module imports the lesson's modules it tests: watched like loading.
    lesson = course.lesson_for_path(collector.path)
    if not isinstance(collector, pytest.Module) or lesson is None:
        return (yield)
    recorder = collector.config.pluginmanager.get_plugin("workshop-results")

    def stop(where):
        if where is not None:
            stop_the_lesson(collector.config, recorder, lesson, where)

    def notice():
        say(collector.config, f"Loading {course.relative(collector.path)}...")

    with watchdog.deadline(
        LOAD_TIMEOUT, stop, notice=notice, notice_after=LOAD_NOTICE_AFTER, innermost=True
    ):
        return (yield)


def say(config, text):
    """Print to the terminal, even while pytest captures the output."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # Before pytest starts capturing.
        print(text, file=sys.stderr, flush=True)
        return
    with capture.global_and_fixture_disabled():
        print(text, file=sys.stderr, flush=True)


def blame(error):
    """The lesson whose file raised this error, and a one-line account of it."""
    if isinstance(error, SyntaxError) and error.filename:
        lesson = course.lesson_for_path(Path(error.filename))
        where = f"{course.relative(error.filename)}:{error.lineno}"
        return lesson, f"{where}: SyntaxError: {error.msg}"
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        lesson = course.lesson_for_path(Path(frame.filename))
        if lesson is not None:
            where = f"{course.relative(frame.filename)}:{frame.lineno}"
            advice = LOADING_ADVICE.get(type(error).__name__, "")
            return lesson, f"{where}: {type(error).__name__}: {error}{advice}"
    return None, ""


# Errors whose own message does not say what to do about them.
LOADING_ADVICE = {
    "AppRegistryNotReady": " (import models inside ready() or a function, not at the top of a"
    " module that Django imports while it loads the apps)",
}


class BrokenLessonModule(pytest.Module):
    def collect(self):
        yield BrokenLessonItem.from_parent(self, name="the lesson loads")


class BrokenLessonItem(pytest.Item):
    def runtest(self):
        lesson = course.lesson_for_path(self.path)
        raise results.LessonLoadError(self.config.stash[NOT_LOADED][lesson.slug])

    def repr_failure(self, excinfo):
        return (
            f"Lesson {self.path.parent.name} could not be loaded, so its tests did not run.\n"
            f"{excinfo.value}\nFix that line first."
        )

    def reportinfo(self):
        return self.path, None, "the lesson loads"


def pytest_collect_directory(path, parent):
    lesson = course.lesson_for_path(path)
    if lesson is None or path != lesson.folder or lesson in parent.config.stash[PLAN].children:
        return None
    if lesson.slug in parent.config.stash[NOT_LOADED]:
        # A plain directory, not a package: pytest would import its __init__.py, which may
        # be what raises.
        return pytest.Dir.from_parent(parent, path=path)
    return None


def pytest_pycollect_makemodule(module_path, parent):
    lesson = course.lesson_for_path(module_path)
    if lesson is None or lesson.slug not in parent.config.stash[NOT_LOADED]:
        return None
    # The lesson's own tests cannot even be imported: one item stands in for all of them.
    if module_path.name == f"test_{lesson.package}.py":
        return BrokenLessonModule.from_parent(parent, path=module_path)
    return SkippedModule.from_parent(parent, path=module_path)


class SkippedModule(pytest.Module):
    def collect(self):
        return []


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing(django_test_environment):
    # Real hashers are slow on purpose; the lessons never test password strength.
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.excinfo is not None and report.failed:
        report.learner_summary = results.summarize(item, call.excinfo)
        if report.learner_summary["kind"] == "todo":
            summary = report.learner_summary
            report.longrepr = f"Not done yet: {summary['message']}  ({summary['where']})"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    seconds = time_limit(item)
    with watchdog.deadline(seconds, partial(stop_the_test, item, seconds)):
        return (yield)


def time_limit(item):
    """Seconds this test may run: its timeout mark, else the `timeout` setting; None: no limit."""
    if isinstance(item, lesson_processes.LessonRun):
        return None  # The child process watches each of its tests itself.
    if marker := item.get_closest_marker("timeout"):
        return float(marker.args[0]) or None
    limit = float(item.config.getini("timeout")) or None
    if limit and item.get_closest_marker("browser"):
        return max(limit, BROWSER_TIMEOUT)
    return limit


def stop_the_test(item, seconds, where):
    """The watchdog's call when a test outlasts its timeout: report, then end the process."""
    where = where or course.relative(item.path)
    message = (
        f"{item.name} was still running after {seconds:g} s, at {where}: an endless loop? "
        "It was stopped, and the tests after it did not run."
    )
    if lesson := course.lesson_for_path(item.path):
        recorder = item.config.pluginmanager.get_plugin("workshop-results")
        recorder.stopped(lesson, item.name, message, where)
    say(item.config, f"\n{message}")
    os._exit(1)


def pytest_runtest_setup(item):
    if item.get_closest_marker("reference") and not item.config.getoption(SOLUTIONS_OPTION):
        pytest.skip("checks the finished workshop, not your lessons: run it with --solutions")


def pytest_configure(config):
    target = "solutions" if config.getoption(SOLUTIONS_OPTION) else "mine"
    recorder = results.Recorder(target, config.stash[NOT_LOADED])
    config.pluginmanager.register(recorder, "workshop-results")
    config.pluginmanager.register(lesson_processes.Children(config, recorder), "workshop-children")


def pytest_unconfigure(config):
    # As the interpreter exits, it scans everything still tracked and frees what is in cycles
    # one by one, memory the system takes back anyway: a tenth of a second of a lesson's check.
    atexit.register(gc.freeze)
