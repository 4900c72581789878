"""Fixtures for lesson 04: a real Celery worker, and the report tasks that a test queues."""

import sys
import threading
import time
from contextlib import ExitStack
from datetime import datetime

import pytest
from celery import states
from celery.signals import before_task_publish, task_postrun
from celery.worker import state as worker_state

from shop.celery import app
from workshop.testing import RandomDraws
from workshop.worker import running_worker

WAIT = 5  # seconds a report task may take, retries included
IDLE_WAIT = 0.5  # seconds a test's leftover tasks may take before the worker is restarted
# How a task's last run ends it: a result, an error, or a message the worker will not run again.
ENDED = states.READY_STATES | {states.REJECTED, states.IGNORED}


def report_task():
    """The learner's send_order_report, as the app has it, under whatever name it was given."""
    from celery_offload.tasks import send_order_report

    return app.tasks[send_order_report.name]


class SharedWorker:
    """One worker for the tests of a module, started anew only after a test that left it busy.

    Starting a worker costs more than most of these tests take: they share one.
    """

    def __init__(self):
        self._stack = None
        self.worker = None

    def ready(self):
        if self.worker is None:
            self._stack = ExitStack()
            self.worker = self._stack.enter_context(running_worker(app, purge=True))
        else:
            app.control.purge()  # What an earlier test queued and did not wait for.
        return self.worker

    def settle(self):
        """Wait for the tasks still running or held for a retry; stop the worker if they last."""
        deadline = time.monotonic() + IDLE_WAIT
        while worker_state.reserved_requests or worker_state.active_requests:
            if time.monotonic() > deadline:
                self.stop()
                return
            time.sleep(0.005)

    def stop(self):
        if self._stack is not None:
            self._stack.close()
        self._stack = self.worker = None


@pytest.fixture(scope="module")
def shared_worker():
    shared = SharedWorker()
    yield shared
    shared.stop()


@pytest.fixture
def celery_worker(transactional_db, shared_worker):
    """A real Celery worker, in a thread, on the in-memory broker (workshop/worker.py).

    Its thread has a database connection of its own and sees only committed rows: hence a
    transactional database, which this fixture asks for. The worker starts each test on an
    empty queue, and is idle (or stopped) before the database is emptied for the next test.
    """
    yield shared_worker.ready()
    shared_worker.settle()


class QueuedReports:
    """The report tasks queued during a test, as their messages left for the broker, and how
    each one's runs ended, as the worker said (task_postrun): no result backend needed, so a
    task with ignore_result=True is watched as well."""

    def __init__(self):
        self.messages = []
        self._last_run = {}  # task id -> (state, return value or exception) of its last run
        self._a_run_ended = threading.Condition()

    def record(self, sender, body, headers, **kwargs):
        # before_task_publish: `body` is (args, kwargs, embed), as it is about to be
        # serialized. A retry is published again under the same id: only the first counts.
        if headers["retries"] == 0:
            args, kwargs, _embed = body
            self.messages.append({"id": headers["id"], "args": args, "kwargs": kwargs})

    def run_ended(self, task_id, state=None, retval=None, **kwargs):
        """task_postrun: a run of a task has ended, or asked to retry (state RETRY)."""
        with self._a_run_ended:
            self._last_run[task_id] = (state, retval)
            self._a_run_ended.notify_all()

    def state(self, message):
        return self._last_run.get(message["id"], (states.PENDING, None))[0]

    def wait(self):
        """Wait until every report task queued so far has ended, retries included."""
        deadline = time.monotonic() + WAIT
        for message in self.messages:
            with self._a_run_ended:
                while self.state(message) not in ENDED:
                    if not self._a_run_ended.wait(timeout=deadline - time.monotonic()):
                        pytest.fail(
                            f"A report task was still unfinished after {WAIT} s (its state: "
                            f"{self.state(message)}). Does it wait for something, or retry "
                            "forever (max_retries=None) or with long waits?"
                            + self._unclaimed_advice(message)
                        )

    def _unclaimed_advice(self, message):
        """Why a run may have asked to retry a lease later: it could not claim a free report."""
        from shop.models import Order

        order_ids = [*message["args"], *message["kwargs"].values()]
        free = Order.objects.filter(
            pk__in=[pk for pk in order_ids if isinstance(pk, int)],
            report_sent_at__isnull=True,
            report_claimed_at__isnull=True,
        )
        try:
            if self.state(message) != states.RETRY or not free.exists():
                return ""
        except Exception:  # The database busy with the worker: no advice, the failure stands.
            return ""
        return (
            " It asked to retry although no run had claimed the report (its report_claimed_at "
            "is empty): the claim found it taken. An empty report_claimed_at is NULL, which is "
            "never older than the lease: claim when Q(report_claimed_at__isnull=True) | "
            "Q(report_claimed_at__lt=now - lease) (TODO 4)."
        )

    def outcomes(self):
        """How each queued report task ended: its state, and the error's name if it failed."""
        ended = [
            self._last_run.get(message["id"], (states.PENDING, None)) for message in self.messages
        ]
        return [
            (state, type(retval).__name__ if state == states.FAILURE else None)
            for state, retval in ended
        ]


@pytest.fixture
def queued_reports():
    """Every send_order_report message published in the test: its id and arguments."""
    reports = QueuedReports()
    name = report_task().name
    before_task_publish.connect(reports.record, sender=name, weak=False)
    task_postrun.connect(reports.run_ended, weak=False)
    yield reports
    before_task_publish.disconnect(reports.record, sender=name)
    task_postrun.disconnect(reports.run_ended)


class RetryWaits(list):
    """The waits, in seconds, that the report task asked for before each retry."""

    def __init__(self, monkeypatch):
        super().__init__()
        # The task module may hold random's draws by name (`from random import uniform`).
        self._draws = RandomDraws(monkeypatch, sys.modules[report_task().__module__])
        self.draw(widest=True)

    def draw(self, *, widest):
        """Make every random draw of a wait the widest (or the narrowest) it can be."""
        self._draws.pin(widest=widest)


@pytest.fixture
def quick_retries(monkeypatch):
    """The report task's retries, each 100,000 times sooner; returns the waits asked for, in s.

    Celery's autoretry computes each wait in whole seconds, 1 s at the least (up to 1 s, then
    2 s, 4 s...): no setting makes it shorter. So the task's retry() divides the wait it is
    given (a countdown, or an eta turned into one). Everything else stays as it is: each retry
    is a new message with an ETA, which the worker holds until it is due, and max_retries
    counts it. The jitter (each wait drawn at random up to the backoff) is taken at its widest,
    so that the waits show the backoff: `quick_retries.draw(widest=False)` takes it at 0.
    """
    task_class = type(report_task())
    retry = task_class.retry
    waits = RetryWaits(monkeypatch)

    def retry_sooner(self, *args, countdown=None, eta=None, **kwargs):
        if eta is not None and countdown is None:
            now = datetime.now(eta.tzinfo) if eta.tzinfo else datetime.now()
            countdown = max(0.0, (eta - now).total_seconds())
        if countdown is None:
            countdown = self.default_retry_delay
        if countdown is not None:
            waits.append(countdown)
            countdown = countdown / 100_000
        return retry(self, *args, countdown=countdown, **kwargs)

    monkeypatch.setattr(task_class, "retry", retry_sooner)
    return waits
