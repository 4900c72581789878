"""The pytest side of the course kit.

- ``--solutions`` checks the reference solutions instead of your code, with the same tests.
- Only the lessons being tested are loaded into Django, and a lesson that fails to load (a
  syntax error, a bad import) is reported as one failing test of its own while the other
  lessons run as usual.
- With several lessons loaded, each lesson's tests hear only its own receivers (and those of
  the shop, Django and the kit), so a lesson passes together exactly as it passes alone.
- An unfinished part (``raise NotImplementedError("TODO ...")``) fails with a short "not done
  yet" line instead of a traceback.
- Every run records its results, which ``python -m workshop`` shows on the board.
"""

import os
import sys
import traceback
import weakref
from pathlib import Path

import pytest

from workshop import course, results
from workshop.testing import restored_receivers

SOLUTIONS_OPTION = "--solutions"


def pytest_addoption(parser):
    parser.addoption(
        SOLUTIONS_OPTION,
        action="store_true",
        help="check the reference solutions in solutions/ instead of your code in lessons/",
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # This runs before output capturing and before pytest-django starts Django, so the
    # environment set here decides which lessons Django loads, and from where.
    options = parser.parse_known_args(args)
    course.select(
        [
            lesson
            for lesson in lessons_named_by(options.file_or_dir)
            if lesson.slug not in course.broken_lessons()
        ],
        "solutions" if options.solutions else "mine",
        for_tests=True,
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
    start_django_or_restart_without_the_broken_lesson()
    return (yield)


def lessons_named_by(paths):
    """The lessons under the paths given on the command line; all of them if none are."""
    named = set()
    for arg in paths or []:
        path = Path(arg.split("::")[0]).resolve()
        lesson = course.lesson_for_path(path)
        if lesson is not None:
            named.add(lesson)
        elif course.LESSONS_DIR.is_relative_to(path) or path.is_relative_to(course.LESSONS_DIR):
            return course.lessons()  # The repository, or lessons/ itself.
    return sorted(named, key=lambda lesson: lesson.number) or course.lessons()


def start_django_or_restart_without_the_broken_lesson():
    import django

    try:
        django.setup()
    except Exception as error:
        lesson, message = blame(error)
        if lesson is None or not restarting_is_safe():
            raise
        broken = course.broken_lessons() | {lesson.slug: message}
        os.environ[course.BROKEN_ENV] = results.dumps(broken)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def blame(error):
    """The lesson whose file raised this error, and a one-line account of it."""
    if isinstance(error, SyntaxError) and error.filename:
        lesson = course.lesson_for_path(Path(error.filename))
        where = f"{short_path(error.filename)}:{error.lineno}"
        return lesson, f"{where}: SyntaxError: {error.msg}"
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        lesson = course.lesson_for_path(Path(frame.filename))
        if lesson is not None:
            where = f"{short_path(frame.filename)}:{frame.lineno}"
            return lesson, f"{where}: {type(error).__name__}: {error}"
    return None, ""


def restarting_is_safe():
    # Only a pytest started from the command line may replace its own process.
    return Path(sys.argv[0]).name in {"pytest", "py.test", "__main__.py"}


def short_path(filename):
    path = Path(filename).resolve()
    return str(path.relative_to(course.ROOT)) if path.is_relative_to(course.ROOT) else str(path)


class BrokenLessonModule(pytest.Module):
    def collect(self):
        yield BrokenLessonItem.from_parent(self, name="the lesson loads")


class BrokenLessonItem(pytest.Item):
    def runtest(self):
        lesson = course.lesson_for_path(self.path)
        raise results.LessonLoadError(course.broken_lessons()[lesson.slug])

    def repr_failure(self, excinfo):
        return (
            f"Lesson {self.path.parent.name} could not be loaded, so its tests did not run.\n"
            f"{excinfo.value}\nFix that line first; the other lessons were checked as usual."
        )

    def reportinfo(self):
        return self.path, None, "the lesson loads"


def pytest_pycollect_makemodule(module_path, parent):
    lesson = course.lesson_for_path(module_path)
    if lesson is None or lesson.slug not in course.broken_lessons():
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
        summary = report.learner_summary
        if summary["kind"] == "todo":
            report.longrepr = f"Not done yet: {summary['message']}  ({summary['where']})"
        elif summary["kind"] == "timeout" and course.lesson_for_path(item.path):
            # The next test would most likely loop too: stop instead of timing out again.
            item.session.shouldstop = f"{item.name} ran too long: an endless loop? See above."
    return report


def skip_the_final_garbage_collection(config):
    # pytest collects garbage at the end of a session to report late "exception ignored"
    # warnings: a tenth of a lesson check, and the process exits right after. Warnings raised
    # while the tests run are still reported. (The key is pytest's own; without it, no harm.)
    try:
        from _pytest.unraisableexception import gc_collect_iterations_key
    except ImportError:
        return
    config.stash[gc_collect_iterations_key] = 0


def pytest_runtest_setup(item):
    if item.get_closest_marker("reference") and not item.config.getoption(SOLUTIONS_OPTION):
        pytest.skip("checks the finished workshop, not your lessons: run it with --solutions")


def pytest_configure(config):
    skip_the_final_garbage_collection(config)
    target = "solutions" if config.getoption(SOLUTIONS_OPTION) else "mine"
    config.pluginmanager.register(results.Recorder(target), "workshop-results")


@pytest.fixture(autouse=True)
def only_this_lessons_receivers(request):
    """A lesson's tests hear only that lesson's receivers, as when it runs on its own.

    `pytest --solutions` loads every lesson into one Django: without this, lesson 02's welcome
    email would land in lesson 04's outbox, and lesson 03's price log would add its queries to
    other lessons' product saves. Receivers of the shop, Django and the kit stay connected.
    """
    lesson = course.lesson_for_path(request.path)
    if lesson is None:  # The kit's own tests, under tests/: everything stays connected.
        yield
        return
    others = {other.package for other in course.lessons()} - {lesson.package}
    signals = list(loaded_django_signals())
    with restored_receivers(*signals):
        for signal in signals:
            signal.receivers[:] = [
                entry for entry in signal.receivers if receiver_package(entry[1]) not in others
            ]
            signal.sender_receivers_cache.clear()
        yield


def loaded_django_signals():
    """Every Django Signal defined in an imported module named like `signals`."""
    from django.dispatch import Signal

    found = {}
    for name, module in list(sys.modules.items()):
        if name.rpartition(".")[2] == "signals" and module is not None:
            for value in vars(module).values():
                if isinstance(value, Signal):
                    found[id(value)] = value
    return found.values()


def receiver_package(reference):
    """The top-level package of a connected receiver ("welcome_email"), or "" if unknown."""
    receiver = reference() if isinstance(reference, weakref.ReferenceType) else reference
    return (getattr(receiver, "__module__", None) or "").partition(".")[0]
