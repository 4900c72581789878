"""Stop an endless loop in a learner's code, the same way on every platform.

A daemon thread, one for the whole process, waits beside the work. If the work is not done by
its deadline, the thread looks at what the watched thread is running (`sys._current_frames()`),
names the deepest line of a lesson's file (`lessons/01_signals_basics/services.py:12`), and
hands that to the caller's `on_expiry`, which reports it and ends the process. No signals
(Windows has no SIGALRM), and nothing needs the stuck thread's cooperation.

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

    def expire():
        on_expiry(where_running(sys._current_frames().get(watched), innermost))

    started = time.monotonic()
    steps = []  # (when, what to call), soonest first
    if notice is not None and (not seconds or notice_after < seconds):
        steps.append((started + notice_after, notice))
    if seconds:
        steps.append((started + seconds, expire))
    watch = _Watch(steps)
    _watcher.add(watch)
    try:
        yield
    finally:
        _watcher.remove(watch)


class _Watch:
    def __init__(self, steps):
        self.steps = steps


class _Watcher:
    """One thread watches every deadline of the process, started with the first.

    A thread of its own for each deadline (one a test) would cost a thread start each time,
    a context switch that takes a millisecond on a busy machine.
    """

    def __init__(self):
        self.changed = threading.Condition()
        self.watches = []
        self.thread = None
        self.wakes_at = None  # When the thread's wait ends; None: only when told.

    def add(self, watch):
        with self.changed:
            self.watches.append(watch)
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self.run, name="workshop-watchdog", daemon=True
                )
                self.thread.start()
            elif self.wakes_at is None or watch.steps[0][0] < self.wakes_at:
                self.changed.notify()

    def remove(self, watch):
        # The thread is left to sleep until the time it set: a deadline ended early costs
        # nothing, and waking up for nothing costs only a look at the list.
        with self.changed:
            if watch in self.watches:
                self.watches.remove(watch)

    def run(self):
        while True:
            with self.changed:
                now = time.monotonic()
                due = []
                for watch in self.watches:
                    while watch.steps and watch.steps[0][0] <= now:
                        due.append(watch.steps.pop(0)[1])
                self.watches = [watch for watch in self.watches if watch.steps]
                if not due:
                    self.wakes_at = min((w.steps[0][0] for w in self.watches), default=None)
                    self.changed.wait(None if self.wakes_at is None else self.wakes_at - now)
                    continue
            for call in due:  # Outside the lock: a notice prints, and on_expiry ends the process.
                call()


_watcher = _Watcher()


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
