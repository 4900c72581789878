"""Fan-out: from saving a new price to every connected client having "price.changed", for 1,
100 and 1,000 clients, in one process on Channels' in-memory layer.

The clients are Channels' WebsocketCommunicators, each driving its own instance of lesson 05's
consumer (no sockets, no Daphne): this measures the layer and the consumers, not the network.

    python bench/fanout.py
"""

import asyncio
import logging
import os
import statistics
import time
from decimal import Decimal

from benchkit import pyplot, save_figure, setup_django

CLIENTS = [1, 100, 1000]
ROUNDS = 5  # price changes per size
TIMEOUT = 10  # seconds for every client to hear of one change


async def fan_out_times(user, product, clients):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from channels_push.consumers import NotificationConsumer

    application = NotificationConsumer.as_asgi()
    communicators = []
    for _ in range(clients):
        communicator = WebsocketCommunicator(application, "/ws/notifications/")
        communicator.scope["user"] = user
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        communicators.append(communicator)

    def change_price(cents):
        product.price = Decimal(cents) / 100
        product.save()

    times = []
    for cents in range(3000, 3000 + ROUNDS):
        started = time.perf_counter()
        await sync_to_async(change_price)(cents)
        await asyncio.gather(*(c.receive_json_from(timeout=TIMEOUT) for c in communicators))
        times.append(time.perf_counter() - started)
    await asyncio.gather(*(communicator.disconnect() for communicator in communicators))
    return times


def main():
    setup_django("price_log", "channels_push")
    from django.contrib.auth.models import User

    from shop.models import Product

    logging.getLogger("shop.prices").setLevel(logging.WARNING)
    user = User.objects.create_user("ada", "ada@example.com")
    mug = Product.objects.create(name="Mug", price=Decimal("9.50"))
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # The setup above ran outside the loop.

    results = {}
    for clients in CLIENTS:
        times = asyncio.run(fan_out_times(user, mug, clients))
        results[clients] = {"median": statistics.median(times) * 1000, "max": max(times) * 1000}
        print(
            f"{clients:>5} clients: median {results[clients]['median']:8.2f} ms, "
            f"slowest {results[clients]['max']:8.2f} ms ({ROUNDS} price changes)"
        )
    plot(results)


def plot(results):
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6, 3.5))
    sizes = list(results)
    axes.plot(sizes, [r["median"] for r in results.values()], "o-", label="median")
    axes.plot(sizes, [r["max"] for r in results.values()], "s--", label="slowest")
    axes.axhline(1000, color="orange", linestyle=":", linewidth=1, label="goal: 1 s")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("connected clients (communicators)")
    axes.set_ylabel("save → every client (ms)")
    axes.set_title("Fan-out on the in-memory layer")
    axes.legend()
    save_figure(figure, "bench-fanout.png")


if __name__ == "__main__":
    main()
