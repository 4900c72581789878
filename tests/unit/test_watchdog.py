"""The watchdog stops an endless loop without signals, as on Windows, and names its line."""

import signal
import sys
import threading
import time

from workshop import course, watchdog


def test_a_block_that_ends_in_time_is_left_alone():
    expired = []
    with watchdog.deadline(5, expired.append):
        pass
    assert not expired


def test_a_loop_past_its_deadline_is_reported_without_sigalrm(monkeypatch):
    monkeypatch.delattr(signal, "SIGALRM", raising=False)  # As on Windows.
    monkeypatch.delattr(signal, "alarm", raising=False)
    expired = threading.Event()

    with watchdog.deadline(0.05, lambda where: expired.set()):
        while not expired.is_set():  # The loop that on_expiry would end by exiting.
            pass

    assert expired.is_set()


def test_a_block_that_ended_is_not_reported_when_its_deadline_comes():
    expired = []
    with watchdog.deadline(0.02, expired.append):
        pass
    time.sleep(0.06)
    assert not expired


def test_a_short_deadline_inside_a_long_one_is_kept():
    expired = threading.Event()
    with watchdog.deadline(30, print), watchdog.deadline(0.05, lambda where: expired.set()):
        expired.wait(5)
    assert expired.is_set()


def test_one_thread_watches_every_deadline():
    for _ in range(3):
        with watchdog.deadline(5, print):
            pass
    watchers = [thread for thread in threading.enumerate() if thread.name == "workshop-watchdog"]
    assert len(watchers) == 1


def test_a_slow_block_gets_a_notice_first():
    noticed = threading.Event()
    with watchdog.deadline(None, print, notice=noticed.set, notice_after=0.01):
        noticed.wait(5)
    assert noticed.is_set()


def test_the_deepest_frame_in_a_lessons_file_is_named():
    source = "def spin():\n    return sys._getframe()\n"
    path = course.find(1).folder / "services.py"
    namespace = {"sys": sys}
    exec(compile(source, str(path), "exec"), namespace)

    frame = namespace["spin"]()

    assert watchdog.where_running(frame) == "lessons/01_signals_basics/services.py:2"


def test_no_lesson_frame_names_nothing():
    assert watchdog.where_running(sys._getframe()) is None


def test_a_slow_import_below_a_lessons_line_is_not_named_when_only_the_innermost_counts():
    source = "def load(inner):\n    return inner()\n"
    namespace = {}
    exec(compile(source, str(course.find(1).folder / "apps.py"), "exec"), namespace)

    frame = namespace["load"](lambda: sys._getframe())  # The innermost frame: this lambda

    assert watchdog.where_running(frame, innermost=True) is None
    assert watchdog.where_running(frame) == "lessons/01_signals_basics/apps.py:2"
