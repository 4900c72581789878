"""The tests' Celery worker (workshop/worker.py) runs one task at a time, as the solo pool does."""

import threading
import time

from shop.celery import app
from workshop.worker import running_worker

runs = []  # (task, start, end), in the order they ended


@app.task(name="tests.test_worker.record_a_run")
def record_a_run(name, seconds):
    started = time.monotonic()
    time.sleep(seconds)
    runs.append((name, threading.current_thread().name, started, time.monotonic()))


def test_a_task_that_comes_due_waits_for_the_task_that_is_running():
    # Queued first with a countdown, the retry-like task goes to the worker's timer, which
    # would start it, in its own thread, while the other task still runs.
    runs.clear()
    with running_worker(app, purge=True):
        due_soon = record_a_run.apply_async(("due soon", 0), countdown=0.05)
        running = record_a_run.delay("running", 0.3)
        running.get(timeout=5)
        due_soon.get(timeout=5)

    (first, *_rest, first_end), (second, thread, second_start, _end) = runs
    assert (first, second) == ("running", "due soon"), runs
    assert second_start >= first_end, (
        f"The task that came due started in {thread} {first_end - second_start:.3f} s before "
        "the running task ended: two tasks at once in a solo worker"
    )
