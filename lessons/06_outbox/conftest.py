"""Fixtures for lesson 06: brokers that fail, the messages the relay publishes, a real worker."""

import socket
import threading
import time
from contextlib import closing, contextmanager

import pytest
from celery.signals import after_task_publish

from shop.celery import app
from workshop.testing import RandomDraws
from workshop.worker import running_worker

TASK = "outbox.tasks.handle_message"
WAIT = 5  # seconds a task may take, retries included


class Published:
    """The handle_message tasks published during a test: their task ids and message ids."""

    def __init__(self):
        self.tasks = []

    def record(self, sender, body, headers, **kwargs):
        # after_task_publish: the broker has taken it. A retry is published again, same id.
        if headers["retries"] == 0:
            args, kwargs, _embed = body
            self.tasks.append({"id": headers["id"], "args": tuple(args), "kwargs": kwargs})

    @property
    def message_ids(self):
        return [
            task["args"][0] if task["args"] else task["kwargs"].get("message_id")
            for task in self.tasks
        ]

    def run_worker(self):
        """Start a worker, let it run every task published so far, and stop it."""
        with running_worker(app):
            for task, message_id in zip(self.tasks, self.message_ids, strict=True):
                wait_for(app.AsyncResult(task["id"]), message_id)


def wait_for(result, message_id):
    """Wait until the task has run; fail with advice if it asks to be retried or never ends."""
    deadline = time.monotonic() + WAIT
    while not result.ready() and time.monotonic() < deadline:
        if result.state == "RETRY":
            from shop.models import OutboxMessage

            message = OutboxMessage.objects.filter(pk=message_id).first()
            state = (
                f"message #{message_id} has handled_at {message.handled_at} and claimed_at "
                f"{message.claimed_at}"
                if message
                else f"message #{message_id} does not exist"
            )
            advice = (
                "It is handled already: a run that claims nothing and finds handled_at set "
                "has a repeated delivery, and should return, not retry (TODO 5)."
                if message and message.handled_at and not message.claimed_at
                else "A run retries when it finds the message claimed and not handled; once "
                "the handler has run, set handled_at and clear the claim (TODO 5)."
            )
            pytest.fail(
                f"A handle_message task asked to be retried instead of finishing: {state}. {advice}"
            )
        time.sleep(0.002)
    if not result.ready():
        pytest.fail(
            f"A handle_message task was still unfinished after {WAIT} s (its state: "
            f"{result.state}). Does it wait for something?"
        )


@pytest.fixture
def published():
    """Every handle_message task published in the test, and a worker to run them.

    The worker starts only when asked (published.run_worker()), after the relay has committed:
    the tests' SQLite database is shared in memory, with table locks, and a worker reading a
    table that the relay is still writing would fail at once with "database table is locked".
    A test that runs the worker commits for real: django_db(transaction=True).
    """
    app.control.purge()  # The in-memory broker lives as long as the process.
    recorder = Published()
    after_task_publish.connect(recorder.record, sender=TASK, weak=False)
    yield recorder
    after_task_publish.disconnect(recorder.record, sender=TASK)


@contextmanager
def broker_at(url):
    """Point the shop's Celery app at another broker for the block, then back."""
    saved = app.conf.broker_url, app._pool, app.amqp._producer_pool
    # Celery keeps a pool of connections to the broker it first connected to: a fresh one.
    app.conf.broker_url, app._pool, app.amqp._producer_pool = url, None, None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app._pool, app.amqp._producer_pool = saved


class Broker:
    """Take the broker down for a `with` block: refusing connections, dropping them, or stuck."""

    @contextmanager
    def refusing(self):
        """A broker that is down: nothing listens on its port, so connecting fails at once."""
        with closing(socket.socket()) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with broker_at(f"amqp://guest:guest@127.0.0.1:{port}//"):
            yield

    @contextmanager
    def dropping(self):
        """A broker that fails: it accepts each connection and closes it at once. Yields the
        list of connections it has dropped, one a connection attempt."""
        dropped = []

        def close_at_once(connection):
            dropped.append(connection)
            connection.close()

        with self._accepting(close_at_once):
            yield dropped

    @contextmanager
    def hanging(self):
        """A broker that is stuck: it accepts connections and never says a word."""
        accepted = []
        try:
            with self._accepting(accepted.append):
                yield
        finally:
            for connection in accepted:
                connection.close()

    @contextmanager
    def _accepting(self, on_connection):
        """The broker at a loopback port that hands each connection it accepts to on_connection."""
        listener = socket.create_server(("127.0.0.1", 0))

        def accept():
            while True:
                try:
                    connection = listener.accept()[0]
                except OSError:
                    return  # The listener is closed: the test is over.
                on_connection(connection)

        threading.Thread(target=accept, daemon=True).start()
        try:
            with broker_at(f"amqp://guest:guest@127.0.0.1:{listener.getsockname()[1]}//"):
                yield
        finally:
            listener.shutdown(socket.SHUT_RDWR)  # Wakes the thread up from accept().
            listener.close()


@pytest.fixture
def broker(short_broker_timeout):
    """`with broker.refusing():` or `with broker.hanging():` the broker is down."""
    return Broker()


@pytest.fixture
def short_broker_timeout(monkeypatch):
    """The relay's broker timeout, 1 s, a twentieth of that: a stuck broker costs a test 0.05 s."""
    from outbox import relay

    monkeypatch.setattr(relay, "BROKER_TIMEOUT", 0.05)
    # Celery's own connection timeout, 4 s by default, halved: a relay that uses it instead of
    # its own still fails the test, in seconds rather than in a minute.
    saved = app.conf.broker_connection_timeout
    app.conf.broker_connection_timeout = 2.0
    yield
    app.conf.broker_connection_timeout = saved


@pytest.fixture
def jitter_at_its_widest(monkeypatch):
    """The relay's random draws at the top of their range, if it draws any.

    A relay may spread its retries with jitter, each wait drawn at random up to the doubled
    delay (as Celery's retry_jitter does in lesson 04): taken at its widest, a drawn wait is the
    delay itself, so the tests of the waits judge the doubling, never the luck of a draw.
    """
    from outbox import relay

    return RandomDraws(monkeypatch, relay).pin(widest=True)


@pytest.fixture
def customer(customer):
    """Alice, as everywhere, without her welcome message: each test starts with an empty outbox."""
    from shop.models import OutboxMessage

    OutboxMessage.objects.all().delete()
    return customer
