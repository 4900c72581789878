"""The shop as shipped, every lesson loaded: orders and signups go through lesson 06's outbox.

Lesson 06 takes over lesson 04's direct publish and lesson 02's direct send, so that a broker
that is down costs a customer nothing and loses nothing. Here the broker is a closed port while
the customer orders and signs up; then it is back (the in-memory one), `relay_outbox --once`
publishes, and a real worker sends each email once.
"""

import socket
import time
from contextlib import closing, contextmanager

import pytest
from celery.signals import after_task_publish
from django.core.management import CommandError, call_command
from django.urls import reverse

from shop.celery import app
from shop.models import Order, OutboxMessage
from workshop.worker import running_worker

pytestmark = [pytest.mark.reference, pytest.mark.django_db(transaction=True)]

TASK = "outbox.tasks.handle_message"


@contextmanager
def broker_down():
    """CELERY_BROKER_URL at a port where nothing listens, as an operator would set it."""
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Celery reads CELERY_BROKER_URL from the environment whenever it connects; its pool of
    # connections to the in-memory broker is left aside meanwhile.
    saved = app._pool, app.amqp._producer_pool
    app._pool = app.amqp._producer_pool = None
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CELERY_BROKER_URL", f"amqp://guest:guest@127.0.0.1:{port}//")
            yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool, app.amqp._producer_pool = saved


@pytest.fixture
def published_tasks():
    """The ids of the handle_message tasks the broker took."""
    app.control.purge()
    ids = []

    def record(sender, headers, **kwargs):
        ids.append(headers["id"])

    after_task_publish.connect(record, sender=TASK, weak=False)
    yield ids
    after_task_publish.disconnect(record, sender=TASK)


def relay_outbox_once():
    try:
        call_command("relay_outbox", "--once")
    except CommandError as error:
        return error.returncode
    return 0


def run_worker_until_done(task_ids):
    with running_worker(app):
        for task_id in task_ids:
            app.AsyncResult(task_id).get(timeout=10, interval=0.01, propagate=False)


def test_an_order_placed_while_the_broker_is_down_is_kept_and_reported_once(
    client, customer, mug, published_tasks, mailoutbox
):
    client.force_login(customer)
    with broker_down():
        started = time.perf_counter()
        response = client.post(reverse("place_order"), {"product": mug.pk})
        took = time.perf_counter() - started
    order = Order.objects.filter(owner=customer).first()

    assert response.status_code < 500 and took < 5 and order is not None, (
        f"With the broker down, POST /orders/ should answer below 500 within 5 s and keep the "
        f"order; it answered {response.status_code} after {took:.1f} s, order: {order}. Is "
        "lesson 04's receiver still connected? Lesson 06's apps.py takes it over."
    )

    status = relay_outbox_once()  # The broker is back.
    assert status == 0, f"relay_outbox --once should deliver and exit 0; it exited {status}."

    run_worker_until_done(published_tasks)
    reports = [m for m in mailoutbox if m.subject == f"Your order #{order.pk}"]
    assert len(reports) == 1, f"The worker should send one report; it sent {len(reports)}."
    order.refresh_from_db()
    assert order.report_sent_at is not None


def test_a_signup_while_the_broker_is_down_gets_its_welcome_once_the_broker_is_back(
    client, published_tasks, mailoutbox
):
    with broker_down():
        response = client.post(
            reverse("signup"),
            {
                "username": "ada",
                "email": "ada@example.com",
                "password1": "analytical-engine-1843",
                "password2": "analytical-engine-1843",
            },
        )
    assert response.status_code == 302, f"The signup should succeed; it answered {response}."
    assert OutboxMessage.objects.filter(kind="welcome_email").count() == 1

    assert relay_outbox_once() == 0  # The broker is back.
    run_worker_until_done(published_tasks)

    welcomes = [m.to for m in mailoutbox]
    assert welcomes == [["ada@example.com"]], f"One welcome email to ada; sent: {welcomes}."
