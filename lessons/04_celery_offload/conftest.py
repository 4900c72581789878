"""Fixtures for lesson 04: a real Celery worker, and the report tasks that a test queues."""

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
                    f"{result.state}). Does it wait for something, or retry with long waits?"
                )


@pytest.fixture
def queued_reports():
    """Every send_order_report message published in the test: its id and arguments."""
    reports = QueuedReports()
    before_task_publish.connect(reports.record, sender=REPORT_TASK, weak=False)
    yield reports
    before_task_publish.disconnect(reports.record, sender=REPORT_TASK)


@pytest.fixture
def quick_retries(monkeypatch):
    """The report task's retries, each one a thousand times sooner: milliseconds, not seconds.

    autoretry_for fixes the backoff when the task is declared, in whole seconds: up to 1 s, then
    2 s, 4 s... Everything else stays as it is: each retry is a new message with an ETA, which
    the worker holds until it is due, and max_retries counts it.
    """
    task_class = type(app.tasks[REPORT_TASK])
    retry = task_class.retry

    def retry_sooner(self, *args, countdown=None, **kwargs):
        if countdown is None:
            countdown = self.default_retry_delay
        return retry(self, *args, countdown=countdown / 1000, **kwargs)

    monkeypatch.setattr(task_class, "retry", retry_sooner)
