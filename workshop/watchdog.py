"""Stop an endless loop in a learner's code, the same way on every platform.

A daemon thread waits beside the work. If the work is not done by its deadline, the thread
looks at what the watched thread is running (`sys._current_frames()`), names the deepest line
of a lesson's file (`lessons/01_signals_basics/services.py:12`), and hands that to the
caller's `on_expiry`, which reports it and ends the process. No signals (Windows has no
SIGALRM), and nothing needs the stuck thread's cooperation.

    with deadline(10, on_expiry=stop_the_run):
        run_the_test()
"""

import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from workshop import course


@contextmanager
def deadline(seconds, on_expiry, notice=None, notice_after=2.0, innermost=False):
    """Call on_expiry(where) from another thread if the block is still running after `seconds`.

    `where` is the lesson file:line the block was running, or None; with innermost=True, only
    if the lesson's own line is what runs (not a slow import or query below it). `notice()`, if
    given, is called once the block has run `notice_after` seconds, so that a slow start is not
    a blank screen. on_expiry is expected to end the process; seconds=None or 0: no deadline.
    """
    if not seconds and notice is None:
        yield
        return
    watched = threading.get_ident()
    done = threading.Event()

    def watch():
        started = time.monotonic()
        if notice is not None and (not seconds or notice_after < seconds):
            if done.wait(notice_after):
                return
            notice()
        if seconds and not done.wait(seconds - (time.monotonic() - started)):
            on_expiry(where_running(sys._current_frames().get(watched), innermost))

    threading.Thread(target=watch, name="workshop-watchdog", daemon=True).start()
    try:
        yield
    finally:
        done.set()


def where_running(frame, innermost=False):
    """`lessons/NN_slug/file.py:line` of the deepest frame in a lesson's files, or None.

    innermost=True: only if that frame is the one running (the very top of the stack).
    """
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_absolute() and course.lesson_for_path(path) is not None:
            return f"{course.relative(path)}:{frame.f_lineno}"
        if innermost:
            return None
        frame = frame.f_back
    return None
