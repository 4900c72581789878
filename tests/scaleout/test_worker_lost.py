"""A task survives the death of the worker process that runs it (acks_late and
reject_on_worker_lost): the broker hands it to the other worker, which completes it.

The killed run had claimed the report (lesson 04): the other worker finds the claim, retries a
lease later (shortened here: short_report_lease_settings.py), and takes the expired claim over.
"""

import os
import signal
import time

import pytest
from celery import Celery

# Processes start in seconds, not milliseconds: a longer limit than the lessons' 10 s.
pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(120)]

SMTP_DELAY = 4  # seconds: the report task is mid-send for this long, long enough to kill it
TIMEOUT = 30  # seconds for the task to be picked up, and again to be completed (a lease: 10 s)
# Lesson 04's task; with lesson 06 loaded, the outbox's, which sends the report.
REPORT_TASKS = {"celery_offload.tasks.send_order_report", "outbox.tasks.handle_message"}


def poll(condition, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout} s")


def place_order(shop, product):
    """Place an order from a process of its own; the report task is queued on commit."""
    output = shop.run(
        "from django.contrib.auth.models import User\n"
        "from django.db import transaction\n"
        "from shop.models import Order, OrderLine, Product\n"
        f"mug = Product.objects.get(pk={product})\n"
        "with transaction.atomic():\n"
        "    order = Order.objects.create(owner=User.objects.get(username='ada'))\n"
        "    OrderLine.objects.create(order=order, product=mug, unit_price=mug.price)\n"
        "print(order.pk)"
    )
    return int(output.split()[-1])


def report_sent_at(shop, order_id):
    import psycopg

    with psycopg.connect(shop.environment["DATABASE_URL"], connect_timeout=5) as connection:
        row = connection.execute(
            "SELECT report_sent_at FROM shop_order WHERE id = %s", [order_id]
        ).fetchone()
    return row[0]


def running_report_task(control):
    """(worker name, pool process id, task id) of the report task being run, if one is."""
    for hostname, tasks in (control.inspect(timeout=1).active() or {}).items():
        for task in tasks:
            if task["name"] in REPORT_TASKS:
                return hostname, task["worker_pid"], task["id"]
    return None


@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_a_task_whose_worker_process_is_killed_is_completed_by_the_other_worker(make_shop, broker):
    shop = make_shop(broker=broker, channel_layer=False)
    shop.environment["DJANGO_SETTINGS_MODULE"] = "tests.scaleout.short_report_lease_settings"
    workers = [shop.start_worker("worker-1"), shop.start_worker("worker-2")]
    control = Celery(broker=shop.environment["CELERY_BROKER_URL"]).control
    customer = shop.signed_in_customer()
    shop.smtp.wait_for(1, timeout=TIMEOUT)  # The customer's welcome email: not the task to kill.
    shop.smtp.answer_after(SMTP_DELAY)

    order_id = place_order(shop, customer["product"])
    victim, pool_process, task_id = poll(
        lambda: shop.smtp.attempts and running_report_task(control),
        "no worker started sending the report",
    )
    # The victim takes no new work (as a worker being shut down), so that the redelivered
    # task goes to the other; then its pool process dies mid-send, as if the OOM killer struck.
    control.cancel_consumer("celery", destination=[victim], reply=True, timeout=5)
    os.kill(pool_process, signal.SIGKILL)
    shop.smtp.answer_after(0)

    poll(lambda: report_sent_at(shop, order_id), "the report was not sent after the kill")
    [survivor] = [name for name in workers if name != victim]
    # The other worker records the report, then ends the task and logs that: wait for the line.
    poll(
        lambda: f"[{task_id}] succeeded" in shop.log(survivor.partition("@")[0]),
        f"the other worker did not log task {task_id} as succeeded",
        timeout=10,
    )
    assert "WorkerLostError" in shop.log(victim.partition("@")[0])
    # At least once: the killed attempt may have handed its message over before it died.
    reports = [mail for mail in shop.smtp.wait_for(2) if f"#{order_id}" in mail["Subject"]]
    assert reports and reports[-1]["To"] == "ada@example.com"
