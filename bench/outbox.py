"""What the outbox costs (lesson 06): orders per second with the report published in the
request (lesson 04) versus written to the outbox, the relay's throughput, and the time from
placing an order to its report being sent, p50 and p99.

    python bench/outbox.py                                          # Celery's in-memory broker
    CELERY_BROKER_URL=redis://127.0.0.1:6379/13 python bench/outbox.py   # a real broker
"""

import threading
import time

from benchkit import milliseconds, pyplot, quantile_bars, report, save_figure, setup_django

ORDERS = 300  # placed one after the other, for orders per second
RELAYED = 2000  # messages the relay publishes, for its throughput
LATENCY_ORDERS = 100  # orders whose report is timed, one every GAP seconds
GAP = 0.02


def place_order(client, product):
    response = client.post("/orders/", {"product": product.pk})
    assert response.status_code == 201, response.status_code


def orders_per_second(client, product):
    started = time.perf_counter()
    for _ in range(ORDERS):
        place_order(client, product)
    return ORDERS / (time.perf_counter() - started)


def place_timed_orders(client, product):
    """Place LATENCY_ORDERS orders, GAP seconds apart; return (when placed, order id) each."""
    from shop.models import Order

    placed = []
    for _ in range(LATENCY_ORDERS):
        started = time.perf_counter()
        place_order(client, product)
        placed.append((started, Order.objects.values_list("pk", flat=True).latest("pk")))
        time.sleep(GAP)
    return placed


class Relay:
    """Lesson 06's relay in a thread: relay_pending(), then a wait, as relay_outbox runs it."""

    def __init__(self, idle_wait):
        self.idle_wait = idle_wait
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        from django.db import connections

        from outbox import relay

        while not self.stopping.is_set():
            if not relay.relay_pending().published:
                self.stopping.wait(self.idle_wait)
        connections.close_all()

    def __enter__(self):
        self.thread.start()

    def __exit__(self, *exc_info):
        self.stopping.set()
        self.thread.join()


def main():
    setup_django("celery_offload", "outbox")
    import logging

    logging.getLogger("celery").setLevel(logging.CRITICAL)
    from contextlib import ExitStack, nullcontext
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.db.models.signals import post_save
    from django.test import Client, override_settings

    from celery_offload.receivers import queue_order_report
    from outbox import relay
    from outbox.receivers import write_order_report_message
    from shop.celery import app
    from shop.models import Order, OutboxMessage, Product
    from shop.signals import order_report_sent
    from workshop.worker import running_worker

    def direct_publish():
        """Lesson 04's receiver instead of lesson 06's: the request publishes on commit."""
        stack = ExitStack()
        post_save.disconnect(sender=Order, dispatch_uid="outbox.write_order_report_message")
        post_save.connect(queue_order_report, sender=Order, dispatch_uid="bench.direct")
        stack.callback(post_save.disconnect, sender=Order, dispatch_uid="bench.direct")
        stack.callback(
            post_save.connect,
            write_order_report_message,
            sender=Order,
            dispatch_uid="outbox.write_order_report_message",
        )
        return stack

    print(f"Broker: {app.conf.broker_url}")
    stack = ExitStack()
    stack.enter_context(
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    )
    app.control.purge()
    user = User.objects.create_user("ada", "ada@example.com")
    mug = Product.objects.create(name="Mug", price=Decimal("9.50"))
    client = Client()
    client.force_login(user)
    client.get("/")

    # 1. Orders per second, no worker and no relay running: what the request itself costs.
    with direct_publish():
        direct_rate = orders_per_second(client, mug)
    outbox_rate = orders_per_second(client, mug)
    print(f"{'Orders/s, published in the request':<40} {direct_rate:9.0f}")
    print(f"{'Orders/s, written to the outbox':<40} {outbox_rate:9.0f}")

    # 2. The relay's throughput: RELAYED pending messages, published 100 at a time.
    OutboxMessage.objects.all().delete()
    app.control.purge()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(kind="order_report", payload={"order_id": 0}) for _ in range(RELAYED)
    )
    started = time.perf_counter()
    while relay.relay_pending().published:
        pass
    relay_rate = RELAYED / (time.perf_counter() - started)
    print(f"{'Relay: messages published per second':<40} {relay_rate:9.0f}")
    OutboxMessage.objects.all().delete()
    app.control.purge()

    # 3. From the order to its report: a worker thread, and for the outbox a relay thread.
    reported = {}

    def record(sender, order, **kwargs):
        reported[order.pk] = time.perf_counter()

    order_report_sent.connect(record, weak=False, dispatch_uid="bench.reported")
    latencies = {}
    for label, publishing, relay_loop in [
        ("published in the request", direct_publish, None),
        ("outbox, relay idle wait 0.1 s", nullcontext, 0.1),
        ("outbox, relay idle wait 1 s", nullcontext, 1.0),
    ]:
        reported.clear()
        with running_worker(app), publishing(), Relay(relay_loop) if relay_loop else nullcontext():
            placed = place_timed_orders(client, mug)
            deadline = time.monotonic() + 60
            while len(reported) < LATENCY_ORDERS and time.monotonic() < deadline:
                time.sleep(0.05)
        missing = [pk for _, pk in placed if pk not in reported]
        assert not missing, f"{label}: {len(missing)} reports were never sent"
        latencies[label] = milliseconds([reported[pk] - started for started, pk in placed])
        report(f"Order to report, {label}", latencies[label])
    stack.close()

    plt = pyplot()
    figure, (rates, latency) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[1, 1.6])
    names = ["request publishes", "outbox row", "relay publishes"]
    bars = rates.bar(names, [direct_rate, outbox_rate, relay_rate], color="tab:blue")
    rates.bar_label(bars, fmt="%.0f /s", fontsize=8)
    rates.set_title("Orders placed per second; messages relayed per second", fontsize=9)
    quantile_bars(latency, latencies)
    latency.set_yscale("log")
    latency.set_ylabel("order → report sent (ms, log scale)")
    latency.set_title("Order to report, p50 and p99", fontsize=9)
    latency.legend()
    latency.tick_params(axis="x", labelsize=8)
    save_figure(figure, "bench-outbox.png")


if __name__ == "__main__":
    main()
