"""Push latency: from saving a new price to the WebSocket client receiving "price.changed".

1. In one process, on Channels' in-memory layer: the consumer (lesson 05) on a communicator.
2. Across processes, on the Redis layer: Daphne in a process of its own, a real WebSocket
   client (the `websockets` library), the save in this process. Needs Redis on 127.0.0.1:6379
   (database 12, emptied first); skipped, with a message, without it.

    python bench/push_latency.py
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from decimal import Decimal

from benchkit import (
    ROOT,
    milliseconds,
    port_open,
    pyplot,
    quantile_bars,
    report,
    save_figure,
    setup_django,
)

SAVES = 200
REDIS_URL = "redis://127.0.0.1:6379/12"
DAPHNE_PORT = 8765
TIMEOUT = 5  # seconds for any one push, and for Daphne to start


def change_price(product, cents):
    product.price = Decimal(cents) / 100
    product.save()


async def in_process_latencies(user, product):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from channels_push.consumers import NotificationConsumer

    communicator = WebsocketCommunicator(NotificationConsumer.as_asgi(), "/ws/notifications/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    save = sync_to_async(change_price)  # The ORM is sync: a request's thread, in effect.
    durations = []
    for cents in range(1000, 1000 + SAVES):
        started = time.perf_counter()
        await save(product, cents)
        event = await communicator.receive_json_from(timeout=TIMEOUT)
        durations.append(time.perf_counter() - started)
        assert event["type"] == "price.changed", event
    await communicator.disconnect()
    return durations


def redis_latencies(user, product):
    import redis
    from django.test import Client, override_settings
    from websockets.sync.client import connect

    redis.Redis.from_url(REDIS_URL, socket_timeout=TIMEOUT).flushdb()
    client = Client()
    client.force_login(user)  # A session in the database the server reads too.
    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    with (
        daphne_process(),
        override_settings(CHANNEL_LAYERS=layers),
        connect(
            f"ws://127.0.0.1:{DAPHNE_PORT}/ws/notifications/",
            origin=f"http://127.0.0.1:{DAPHNE_PORT}",
            additional_headers={"Cookie": f"sessionid={client.cookies['sessionid'].value}"},
            open_timeout=TIMEOUT,
        ) as websocket,
    ):
        websocket.send(json.dumps({"type": "ping"}))
        assert json.loads(websocket.recv(timeout=TIMEOUT))["type"] == "pong"
        durations = []
        for cents in range(2000, 2000 + SAVES):
            started = time.perf_counter()
            change_price(product, cents)
            event = json.loads(websocket.recv(timeout=TIMEOUT))
            durations.append(time.perf_counter() - started)
            assert event["type"] == "price.changed", event
    return durations


@contextmanager
def daphne_process():
    """Daphne serving the shop in a process of its own, on the Redis layer and this database."""
    environment = {**os.environ, "REDIS_URL": REDIS_URL}
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-p", str(DAPHNE_PORT), "shop.asgi:application"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + TIMEOUT * 2
        while not port_open("127.0.0.1", DAPHNE_PORT):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("Daphne did not start")
            time.sleep(0.05)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(TIMEOUT * 2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(TIMEOUT)


def main():
    setup_django("price_log", "channels_push")
    import logging

    from django.contrib.auth.models import User

    from shop.models import Product

    logging.getLogger("shop.prices").setLevel(logging.WARNING)  # Not 400 lines of price log.
    user = User.objects.create_user("ada", "ada@example.com")
    mug = Product.objects.create(name="Mug", price=Decimal("9.50"))
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # The setup above ran outside the loop.
    results = {"in-process layer": milliseconds(asyncio.run(in_process_latencies(user, mug)))}
    if port_open("127.0.0.1", 6379) and not port_open("127.0.0.1", DAPHNE_PORT):
        results["Redis layer,\nacross processes"] = milliseconds(redis_latencies(user, mug))
    else:
        print("Skipped the Redis measurement: Redis is not on 127.0.0.1:6379, or the port")
        print(f"{DAPHNE_PORT} that Daphne would use is taken.")
    for label, stats in results.items():
        report(label.replace("\n", " "), stats)
    plot(results)


def plot(results):
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6, 3.5))
    quantile_bars(axes, results)
    for goal, color in [(5, "green"), (15, "orange")]:
        axes.axhline(goal, color=color, linestyle=":", linewidth=1)
    axes.set_ylabel("save → client (ms)")
    axes.set_title(f"Push latency, {SAVES} price changes (goals p50: 5 and 15 ms, dotted)")
    axes.legend()
    save_figure(figure, "bench-push-latency.png")


if __name__ == "__main__":
    main()
