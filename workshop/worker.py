"""A real Celery worker in a thread of this process, for the tests, the notebooks and the demo.

    from shop.celery import app
    from workshop.worker import running_worker

    with running_worker(app) as worker:
        result = send_order_report.delay(order.pk)
        result.get(timeout=5)

It is Celery's own embedded worker (`celery.contrib.testing.worker.start_worker`): the consumer,
the task protocol, acknowledgements, retries and results of `celery -A shop worker`, with the
solo pool, so that it runs one task at a time, in its own thread. It reads from the configured
broker: the in-memory one unless CELERY_BROKER_URL names Redis or RabbitMQ.

What to keep in mind, because the worker is a thread and not a process of its own:

- Django gives every thread its own database connection, so the worker sees only what is
  committed. A test that hands work to it needs a transactional database
  (`@pytest.mark.django_db(transaction=True)`), and the worker's connections are closed when it
  stops.
- The tests' database is SQLite in memory, which its connections share with table locks: a
  query from the test while a task is writing fails at once with "database table is locked".
  Wait for the task's result (`result.get()`) or for what it sent, then query.
- It shares this process's logging, which Celery is kept from reconfiguring.
- It runs one task at a time, as `celery worker --pool solo` does. (Without a broker that an
  event loop can watch, Celery runs a retry that comes due in the worker's timer thread, which
  could start it while the task before it is still finishing: the worker makes it wait.)
"""

import itertools
import os
import threading
from contextlib import contextmanager
from socket import gethostname

from celery.contrib.testing.worker import start_worker
from celery.signals import setup_logging, task_postrun, task_prerun, worker_shutdown
from celery.utils.nodenames import nodename
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

_numbers = itertools.count(1)


@contextmanager
def running_worker(app=None, *, purge=False, shutdown_timeout=10.0):
    """Run a Celery worker in a thread for the duration of the `with` block.

    app: the Celery app; the shop's (shop/celery.py) by default.
    purge: first discard the task messages already waiting in the queues. The in-memory broker
        lives as long as the process: without this, what an earlier test or notebook cell queued
        would run now.
    shutdown_timeout: how long leaving the block may wait for the task that is running.

    Yields the worker (a `celery.worker.WorkController`). Leaving the block stops it warmly: a
    task that is running finishes first.
    """
    if app is None:
        from shop.celery import app
    if purge:
        app.control.purge()

    # Its own name (one per worker, not one per process), so that a shutdown message is
    # read only by the worker it is meant for.
    hostname = nodename(f"workshop-{os.getpid()}-{next(_numbers)}", gethostname())
    # A worker configures logging for its process; this process has done that already.
    setup_logging.connect(_leave_logging_alone)
    one_at_a_time = _OneTaskAtATime()
    task_prerun.connect(one_at_a_time.task_starts)
    task_postrun.connect(one_at_a_time.task_ended)
    worker = None
    try:
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            hostname=hostname,
            # start_worker returns once the consumer is ready to receive tasks. The ping task
            # it would also send needs celery.contrib.testing's task module, and a poll.
            perform_ping_check=False,
            # The timer that holds tasks with an ETA (a retry's countdown) until they are due
            # checks it every 2 ms rather than every second (a test's retries wait for it).
            timer_precision=0.002,
            shutdown_timeout=shutdown_timeout,
        ) as worker:
            # With nothing scheduled, the timer's thread waits up to 1 s for an entry, and a
            # stopping worker waits for that thread. An entry that comes back keeps it awake.
            worker.timer.call_repeatedly(0.05, _tick)
            worker_shutdown.connect(_close_database_connections, sender=worker)
            try:
                yield worker
            finally:
                # start_worker's own shutdown is noticed between two waits for the broker, up
                # to 2 s apart. A remote-control shutdown message ends the wait at once (after
                # the running task, if any): `celery control shutdown`, for this worker only.
                app.control.broadcast(
                    "shutdown",
                    arguments={"msg": f"Stopping {worker.hostname}: its with-block has ended"},
                    destination=[worker.hostname],
                )
    finally:
        setup_logging.disconnect(_leave_logging_alone)
        task_prerun.disconnect(one_at_a_time.task_starts)
        task_postrun.disconnect(one_at_a_time.task_ended)
        if worker is not None:
            worker_shutdown.disconnect(_close_database_connections, sender=worker)


class _OneTaskAtATime:
    """task_prerun and task_postrun receivers that let one task run at a time.

    Every task that a worker of this process runs waits its turn; a task run eagerly (apply(),
    inside another task, say) does not, or it would wait for the task that runs it.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._holding = threading.local()

    def task_starts(self, task, **kwargs):
        if not task.request.is_eager:
            self._lock.acquire()
            self._holding.lock = True

    def task_ended(self, task, **kwargs):
        # Postrun is sent even when a prerun receiver failed: release only what was taken.
        if getattr(self._holding, "lock", False):
            self._holding.lock = False
            self._lock.release()


def _tick():
    """A timer entry that does nothing."""


def _leave_logging_alone(**kwargs):
    """A setup_logging receiver: while one is connected, Celery leaves logging as it is."""


def _close_database_connections(sender, **kwargs):
    """worker_shutdown: close the database connections of the worker's thread."""
    if threading.current_thread() is threading.main_thread():
        return  # Stopped from outside (worker.stop()): these connections are not the worker's.
    for connection in connections.all(initialized_only=True):
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            # Django ignores close() on an in-memory SQLite database, whose last connection
            # takes the data with it. The one that created it (the test's) keeps it alive.
            BaseDatabaseWrapper.close(connection)
        else:
            connection.close()
