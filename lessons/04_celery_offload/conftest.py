"""Fixtures for lesson 04: a real Celery worker, and the report tasks that a test queues."""

from types import SimpleNamespace

import pytest
from celery.exceptions import TimeoutError as ResultTimeout
from celery.signals import before_task_publish

from shop.celery import app
from workshop.worker import running_worker

REPORT_TASK = "celery_offload.tasks.send_order_report"
WAIT = 5  # seconds a report task may take, retries included


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker, in a thread, on the in-memory broker (workshop/worker.py).

    Its thread has a database connection of its own and sees only committed rows: hence a
    transactional database, which this fixture asks for. The worker starts on an empty queue
    and stops, its last task done, before the database is emptied for the next test.
    """
    with running_worker(app, purge=True) as worker:
        yield worker


class QueuedReports:
    """The report tasks queued during a test, as their messages left for the broker."""

    def __init__(self):
        self.messages = []

    def record(self, sender, body, headers, **kwargs):
        # before_task_publish: `body` is (args, kwargs, embed), as it is about to be
        # serialized. A retry is published again under the same id: only the first counts.
        if headers["retries"] == 0:
            args, kwargs, _embed = body
            self.messages.append({"id": headers["id"], "args": args, "kwargs": kwargs})

    def wait(self):
        """Wait until every report task queued so far has ended, retries included."""
        for message in self.messages:
            result = app.AsyncResult(message["id"])
            try:
                result.get(timeout=WAIT, interval=0.01, propagate=False)
            except ResultTimeout:
                pytest.fail(
                    f"A report task was still unfinished after {WAIT} s (its state: "
                    f"{result.state}). Does it wait for something, or retry forever "
                    "(max_retries=None) or with long waits?"
                )

    def outcomes(self):
        """How each queued report task ended: its state, and the error's name if it failed."""
        results = [app.AsyncResult(message["id"]) for message in self.messages]
        return [
            (result.state, type(result.result).__name__ if result.failed() else None)
            for result in results
        ]


@pytest.fixture
def queued_reports():
    """Every send_order_report message published in the test: its id and arguments."""
    reports = QueuedReports()
    before_task_publish.connect(reports.record, sender=REPORT_TASK, weak=False)
    yield reports
    before_task_publish.disconnect(reports.record, sender=REPORT_TASK)


@pytest.fixture(autouse=True)
def orders_numbered_apart_from_their_owners(request):
    """Order ids that are not their owner's id: a lookup by the wrong id then finds nothing.

    In an empty database the first user and the first order are both #1, and a task queued
    with the owner's id would load the right order by chance. Three orders made and deleted
    first (bulk_create sends no post_save, so nothing is queued) move the next order to #4+.
    """
    if "customer" not in request.fixturenames:
        return
    from shop.models import Order

    customer = request.getfixturevalue("customer")
    placeholders = Order.objects.bulk_create(Order(owner=customer) for _ in range(3))
    Order.objects.filter(pk__in=[order.pk for order in placeholders]).delete()


@pytest.fixture
def quick_retries(monkeypatch):
    """The report task's retries, each 10,000 times sooner; returns the waits asked for, in s.

    Celery's autoretry computes each wait in whole seconds, 1 s at the least (up to 1 s, then
    2 s, 4 s...): no setting makes it shorter. So the task's retry() divides the wait it is
    given. Everything else stays as it is: each retry is a new message with an ETA, which the
    worker holds until it is due, and max_retries counts it. Celery's jitter (each wait drawn
    at random up to the backoff) is taken at its widest, so that the waits show the backoff.
    """
    task_class = type(app.tasks[REPORT_TASK])
    retry = task_class.retry
    waits = []

    def retry_sooner(self, *args, countdown=None, **kwargs):
        if countdown is None and kwargs.get("eta") is None:
            countdown = self.default_retry_delay
        if countdown is not None:
            waits.append(countdown)
            countdown = countdown / 10_000
        return retry(self, *args, countdown=countdown, **kwargs)

    monkeypatch.setattr(task_class, "retry", retry_sooner)
    # Celery's full jitter draws random.randrange(wait + 1): take the top of that range.
    widest = SimpleNamespace(randrange=lambda stop: stop - 1)
    monkeypatch.setattr("celery.utils.time.random", widest)
    return waits
