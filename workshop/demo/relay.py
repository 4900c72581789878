"""Lesson 06's relay in a thread of the demo, and the switch that takes the broker "down".

The broker is Celery's in-memory one, which cannot go down. The switch points the relay's
connections (Celery's broker_write_url) at a port where nothing listens: publishing fails as
it would against a stopped RabbitMQ, the outbox fills, and the relay backs off. Switched back,
the relay publishes what waited; the worker, which reads, never noticed.
"""

import logging
import socket
import threading
from contextlib import closing, contextmanager

from django.apps import apps
from django.db import connections
from django.utils import timezone

logger = logging.getLogger("shop.events")

IDLE_WAIT = 0.2  # seconds between two looks at the outbox: the demo shows it live


def installed():
    return apps.is_installed("outbox")


def broker_is_down():
    from shop.celery import app

    return bool(app.conf.get("broker_write_url"))


def take_broker_down(down):
    """Point the relay at a closed port (down=True), or back at the in-memory broker."""
    from shop.celery import app
    from shop.models import OutboxMessage

    if down:
        with closing(socket.socket()) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        app.conf.broker_write_url = f"amqp://guest:guest@127.0.0.1:{port}//"
    else:
        app.conf.broker_write_url = None
        # An operator who knows the broker is back need not wait out each message's backoff.
        OutboxMessage.objects.filter(sent_at=None).update(next_attempt_at=timezone.now())
    logger.info("The broker is %s", "down: the outbox keeps what is published" if down else "up")


@contextmanager
def relay_thread():
    """Run lesson 06's relay beside the worker for the duration of the block."""
    if not installed():
        yield
        return
    stop = threading.Event()

    def relay_until_stopped():
        from outbox import relay

        while not stop.wait(IDLE_WAIT):
            try:
                relay.relay_pending()
            except Exception:  # The demo goes on; the log says what happened.
                logger.exception("The relay failed")
        connections.close_all()

    thread = threading.Thread(target=relay_until_stopped, name="outbox-relay", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
