"""Two deliveries of the same report task, run at the same time by two worker processes on
PostgreSQL, send one email (lesson 04's idempotent task).

The lessons' own tests run the task in one worker thread, one run at a time, on SQLite, whose
writes are serialized. PostgreSQL with two worker processes runs the two deliveries side by
side, as production does: only an atomic claim (one conditional UPDATE of report_claimed_at)
keeps the second run from sending while the first is mid-send. The second run finds the order
claimed and retries a lease later (shortened here: short_report_lease_settings.py), when it
finds the report sent.
"""

import time

import pytest

# Processes start in seconds, not milliseconds: a longer limit than the lessons' 10 s.
pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(120)]

SMTP_DELAY = 3  # seconds the mail server takes: the first run is mid-send when the second starts
TIMEOUT = 30  # seconds for the two runs to start, and again to end

REPORT_TASK = "celery_offload.tasks.send_order_report"


def poll(condition, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout} s")


def place_order_delivered_twice(shop, product):
    """Place an order (its report task is queued on commit), then publish that task again under
    the same id, as a broker that redelivers it does. Returns (order id, owner id, task id)."""
    output = shop.run(
        "from celery.signals import before_task_publish\n"
        "from django.contrib.auth.models import User\n"
        "from django.db import transaction\n"
        "from celery_offload.tasks import send_order_report\n"
        "from shop.models import Order, OrderLine, Product\n"
        "published = []\n"
        "before_task_publish.connect(\n"
        "    lambda headers, **kwargs: published.append(headers['id']), weak=False\n"
        ")\n"
        "owner = User.objects.get(username='ada')\n"
        "# Orders numbered apart from users: a lookup by the owner's id must not find the order.\n"
        "Order.objects.bulk_create(Order(owner=owner) for _ in range(3))\n"
        "Order.objects.all().delete()\n"
        f"mug = Product.objects.get(pk={product})\n"
        "with transaction.atomic():\n"
        "    order = Order.objects.create(owner=owner)\n"
        "    OrderLine.objects.create(order=order, product=mug, unit_price=mug.price)\n"
        "[task_id] = published\n"
        "send_order_report.apply_async((order.pk,), task_id=task_id)\n"
        "print(order.pk, owner.pk, task_id)"
    )
    order_id, owner_id, task_id = output.split()[-3:]
    return int(order_id), int(owner_id), task_id


def received(shop, workers, task_id):
    """The workers whose logs say they have received the report task `task_id`."""
    line = f"Task {REPORT_TASK}[{task_id}] received"
    return {name for name in workers if line in shop.log(name.partition("@")[0])}


def report_runs_ended(shop, workers):
    """The runs of the report task that the workers' logs say have ended, and how."""
    logs = "".join(shop.log(name.partition("@")[0]) for name in workers)
    ended = [
        line for line in logs.splitlines() if REPORT_TASK in line and (
            " succeeded in " in line or " raised " in line or " retry: " in line
        )
    ]  # fmt: skip
    return ended, logs


def fail_on_a_failed_run(shop, workers):
    ended, logs = report_runs_ended(shop, workers)
    failures = [line for line in ended if " raised " in line]
    if failures:
        pytest.fail(
            "Both runs of the report task should succeed (the second one retrying until it "
            "finds the report sent); on PostgreSQL the workers logged:\n"
            + "\n".join(failures)
            + "\n\n"
            + logs
        )


def test_two_deliveries_of_a_report_task_at_the_same_time_send_one_email(make_shop):
    shop = make_shop(broker="redis", channel_layer=False)
    shop.environment["DJANGO_SETTINGS_MODULE"] = "tests.scaleout.short_report_lease_settings"
    # Lesson 04 alone: with lesson 06 loaded, the outbox would carry the order's report instead.
    shop.environment["WORKSHOP_LESSONS"] = "04_celery_offload"
    workers = [shop.start_worker("worker-1"), shop.start_worker("worker-2")]
    shop.smtp.answer_after(SMTP_DELAY)
    customer = shop.signed_in_customer()

    order_id, owner_id, task_id = place_order_delivered_twice(shop, customer["product"])
    assert order_id != owner_id  # Otherwise a lookup by the wrong id would go unnoticed.

    # Each worker takes one delivery while the first run is mid-send (the mail server takes
    # 3 s to answer): the two runs overlap.
    def both_received():
        fail_on_a_failed_run(shop, workers)
        return received(shop, workers, task_id) == set(workers)

    poll(both_received, "the two deliveries were not both taken, one by each worker")
    ended = report_runs_ended(shop, workers)[0]
    assert not [line for line in ended if " succeeded in " in line], (
        f"The second delivery started only after the first had succeeded: no overlap ({ended})."
    )
    shop.smtp.answer_after(0)

    def both_succeeded():
        fail_on_a_failed_run(shop, workers)
        ended = report_runs_ended(shop, workers)[0]
        return len([line for line in ended if " succeeded in " in line]) >= 2

    poll(both_succeeded, "the two runs of the report task did not both succeed")
    fail_on_a_failed_run(shop, workers)
    # A run logs its success after the mail server has accepted its email: all are in.
    reports = [mail for mail in shop.smtp.messages if f"#{order_id}" in mail["Subject"]]
    assert len(reports) == 1, (
        f"Two deliveries of task {task_id} (order #{order_id}) ran at the same time in two "
        f"worker processes on PostgreSQL and sent {len(reports)} emails; they should send one. "
        "Claim the order with one conditional UPDATE of report_claimed_at (where the report "
        "is not sent and not claimed, or its claim is older than the lease): the second run "
        "then updates no row, and retries instead of sending."
    )
    assert reports[0]["To"] == "ada@example.com"
