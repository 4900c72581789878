"""Placing an order with a slow mail server (500 ms a message): the report sent inline, in the
request, versus offloaded to a Celery worker. The request's latency, p50 and p99.

    python bench/offload_latency.py
"""

from benchkit import milliseconds, pyplot, quantile_bars, report, save_figure, setup_django

SMTP_DELAY = 0.5  # seconds per message
INLINE_ORDERS = 20  # each waits for the mail server: about 10 s in all
OFFLOADED_ORDERS = 200


def place_orders(client, product, count):
    import time

    durations = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.post("/orders/", {"product": product.pk})
        durations.append(time.perf_counter() - started)
        assert response.status_code == 201, response.status_code
    return durations


def main():
    # The report task sends inside a transaction: on SQLite, a writer's transaction would hold
    # every request for the 500 ms of the send. PostgreSQL locks only the order's row.
    setup_django("celery_offload", queue_writers=False)
    import logging

    # On SQLite, the worker's final write often loses to the requests' ("database is locked");
    # that costs the worker, not the request measured here. Keep its errors off the screen.
    logging.getLogger("celery").setLevel(logging.CRITICAL)
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.test import Client, override_settings

    from shop.celery import app
    from shop.models import Order, Product
    from workshop.smtp import SMTPServer
    from workshop.worker import running_worker

    with SMTPServer() as smtp, override_settings(**smtp.django_settings()):
        smtp.answer_after(SMTP_DELAY)
        user = User.objects.create_user("ada", "ada@example.com")
        mug = Product.objects.create(name="Mug", price=Decimal("9.50"))
        client = Client()
        client.force_login(user)

        # Inline: the task runs in the request, when the order commits (as send_mail would).
        app.conf.task_always_eager = True
        inline = milliseconds(place_orders(client, mug, INLINE_ORDERS))
        app.conf.task_always_eager = False
        assert Order.objects.filter(report_sent_at__isnull=False).count() == INLINE_ORDERS

        # Offloaded: the request only queues a message. As deployed, the worker runs elsewhere
        # (another process, another machine): here, first with no worker in this process...
        offloaded = milliseconds(place_orders(client, mug, OFFLOADED_ORDERS))
        app.control.purge()
        # ...then with a worker thread sending reports beside the requests, sharing this
        # process's CPU (and GIL) and the SQLite file with them.
        with running_worker(purge=True):
            beside = milliseconds(place_orders(client, mug, OFFLOADED_ORDERS))
            app.control.purge()  # The backlog would take the worker 100 s: drop it.

    results = {
        "inline": inline,
        "offloaded": offloaded,
        "offloaded,\nworker thread beside": beside,
    }
    for label, stats in results.items():
        report(label.replace("\n", " "), stats)
    for label in list(results)[1:]:
        speedup = inline["p50"] / results[label]["p50"]
        print(f"{label.replace(chr(10), ' ')}: {speedup:.0f} times faster than inline at p50")
    plot(results)


def plot(results):
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4))
    quantile_bars(axes, results)
    axes.set_yscale("log")
    axes.set_ylabel("POST /orders/ latency (ms, log scale)")
    axes.set_title("Placing an order with a 500 ms mail server")
    axes.legend()
    save_figure(figure, "bench-offload-latency.png")


if __name__ == "__main__":
    main()
