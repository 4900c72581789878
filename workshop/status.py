"""Each lesson's status for the board: from its last recorded check, or a fresh one.

A check skips the browser tests (workshop/without_browser.py); `check --browser` runs them.
"""

from dataclasses import dataclass

from workshop import course, files, results, runner

WITHOUT_BROWSER = ("-p", "workshop.without_browser")


@dataclass(frozen=True)
class LessonStatus:
    lesson: course.Lesson
    status: str  # "passed", "failing", "not started" or "broken"
    tests: str = ""  # "7/12": tests passed of those run (tally)
    reason: str | None = None  # why a broken lesson cannot be checked, in one line


def check_options(pytest_options=(), browser=False):
    """The pytest options of a check: the learner's own come last, so that they win."""
    return [*(() if browser else WITHOUT_BROWSER), *pytest_options]


def check_run(lesson, pytest_options=(), browser=False):
    return runner.run_lesson(lesson, extra=check_options(pytest_options, browser))


def recorded_run(lesson):
    """The learner's last full check of the lesson, if nothing in it has changed since."""
    record = results.load_progress(lesson)
    if isinstance(record, dict) and record.get("fingerprint") == results.fingerprint(lesson):
        return runner.Run.from_record(lesson, record)
    return None


def current_run(lesson):
    """The recorded result if the lesson has not changed since; else a fresh check."""
    return recorded_run(lesson) or check_run(lesson)


def has_passed(lesson):
    return (run := recorded_run(lesson)) is not None and run.ok


def one_line(text, limit=160):
    """The last line of an error report (where Python puts the error), cut to a screen line."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    line = lines[-1] if lines else "the tests could not run"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def skipped(run):
    return [test for test in run.tests if test["outcome"] == "skipped"]


def tally(run):
    """ "12/14": tests passed of those that ran (skipped ones, like browser tests, left out)."""
    return f"{len(run.passed)}/{len(run.tests) - len(skipped(run))}"


def status_of(lesson):
    """The lesson's status for the board; checks it if it changed since it was last checked."""
    if reason := files.damage(lesson):
        return LessonStatus(lesson, "broken", reason=reason)
    run = current_run(lesson)
    if run.broken or run.problem:
        return LessonStatus(lesson, "broken", reason=one_line(run.broken or run.problem))
    tests = tally(run)
    if run.ok:
        return LessonStatus(lesson, "passed", tests)
    return LessonStatus(lesson, "not started" if files.is_untouched(lesson) else "failing", tests)


def first_not_passed(after=None):
    """The first lesson not recorded as passed: after `after` if given, then from the start."""
    lessons = course.lessons()
    if after is not None:
        lessons = [later for later in lessons if later.number > after.number] + [
            earlier for earlier in lessons if earlier.number < after.number
        ]
    return next((lesson for lesson in lessons if not has_passed(lesson)), None)
