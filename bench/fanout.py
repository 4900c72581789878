"""Fan-out: one price change pushed to every connected client, from 1 to 5,000 clients.

Two tiers, each price change timed twice: when the save returns (what the request that changed
the price waits for) and when the last client has its "price.changed" frame.

1. In one process: lesson 05's consumer on Channels' WebsocketCommunicators (no sockets, no
   Daphne), the save in a thread as a request's would be. Once on Channels' own in-memory
   layer, once on the shop's (shop/channel_layers.py), which sweeps for expired messages once
   a second instead of on every receive.
2. Over Redis: two Daphne processes on the shop's Redis channel layer, real WebSocket clients
   (the `websockets` library) split between them, the save in this process. Needs Redis
   (FANOUT_REDIS_URL, by default redis://127.0.0.1:6379/13, emptied first); skipped, with a
   message, without it.

    python bench/fanout.py
"""

import asyncio
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from contextlib import ExitStack, contextmanager
from decimal import Decimal

from benchkit import ROOT, free_port, port_open, pyplot, save_figure, setup_django

IN_PROCESS_CLIENTS = {
    "Channels' in-memory layer": [1, 100, 500, 1000, 2000],  # N²: 5,000 would take minutes
    "the shop's in-memory layer": [1, 100, 500, 1000, 2000, 5000],
}
LAYERS = {
    "Channels' in-memory layer": "channels.layers.InMemoryChannelLayer",
    "the shop's in-memory layer": "shop.channel_layers.InMemoryChannelLayer",
}
REDIS_CLIENTS = [100, 500, 1000, 2000, 5000]
REDIS_URL = os.environ.get("FANOUT_REDIS_URL", "redis://127.0.0.1:6379/13")
SERVERS = 2  # Daphne processes, the clients split evenly between them
ROUNDS = 7  # price changes per size; the figures are medians
TIMEOUT = 60  # seconds for every client to hear of one change, or to connect
CONNECTING_AT_ONCE = 100  # handshakes in flight at a time, as browsers arrive over a moment


def change_price(product, cents):
    product.price = Decimal(cents) / 100
    product.save()


def medians(rounds):
    """{"request": ms, "last client": ms} from [(request s, last client s), ...]."""
    return {
        "request": statistics.median(request for request, _ in rounds) * 1000,
        "last client": statistics.median(last for _, last in rounds) * 1000,
    }


# 1. In one process.


async def connected_clients(user, count):
    """`count` instances of lesson 05's consumer, each as Daphne would run it for one socket.

    asgiref's ApplicationCommunicator: the ASGI app with two queues for its socket. (Channels'
    WebsocketCommunicator, made for tests, patches Django on every call: a third of the time.)
    """
    from asgiref.testing import ApplicationCommunicator

    from channels_push.consumers import NotificationConsumer

    application = NotificationConsumer.as_asgi()
    scope = {"type": "websocket", "path": "/ws/notifications/", "headers": [], "user": user}
    clients = [ApplicationCommunicator(application, dict(scope)) for _ in range(count)]
    for client in clients:
        await client.send_input({"type": "websocket.connect"})
    for client in clients:
        accepted = await client.receive_output(TIMEOUT)
        assert accepted["type"] == "websocket.accept", accepted
    return clients


async def in_process_rounds(user, product, count):
    from asgiref.sync import sync_to_async

    clients = await connected_clients(user, count)

    async def heard_at(client):
        frame = await client.receive_output(TIMEOUT)
        assert json.loads(frame["text"])["type"] == "price.changed", frame
        return time.perf_counter()

    save = sync_to_async(change_price)  # The ORM is sync: a request's thread, in effect.
    rounds = []
    for cents in range(3000, 3000 + ROUNDS):
        listening = [asyncio.create_task(heard_at(client)) for client in clients]
        await asyncio.sleep(0)  # Every client is waiting before the clock starts.
        started = time.perf_counter()
        await save(product, cents)
        saved = time.perf_counter()
        last = max(await asyncio.gather(*listening))
        rounds.append((saved - started, last - started))
    for client in clients:
        await client.send_input({"type": "websocket.disconnect", "code": 1000})
    await asyncio.gather(*(client.wait(TIMEOUT) for client in clients))
    return rounds


def in_process(user, product):
    from django.test import override_settings

    results = {}
    for layer, sizes in IN_PROCESS_CLIENTS.items():
        results[layer] = {}
        for clients in sizes:
            # A fresh layer for each size (Channels makes one when the setting changes).
            backend = {"default": {"BACKEND": LAYERS[layer]}}
            with override_settings(CHANNEL_LAYERS=backend):
                figures = medians(asyncio.run(in_process_rounds(user, product, clients)))
            results[layer][clients] = figures
            report(f"in one process, {layer}", clients, figures)
    return results


# 2. Over Redis, across processes.


@contextmanager
def daphne(port, environment, log):
    # Handshakes that take longer than Daphne's default 5 s are slow, not failed: measure them.
    options = ["-p", str(port), "--websocket_connect_timeout", str(TIMEOUT)]
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", *options, "shop.asgi:application"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not port_open("127.0.0.1", port):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"Daphne did not start: see {log.name}")
            time.sleep(0.05)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


async def redis_rounds(ports, session, product, clients):
    from websockets.asyncio.client import connect

    heard = []
    all_heard = asyncio.Event()
    at_once = asyncio.Semaphore(CONNECTING_AT_ONCE)

    async def client(port, connected):
        async with at_once:
            websocket = await connect(
                f"ws://127.0.0.1:{port}/ws/notifications/",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": f"sessionid={session}"},
                open_timeout=TIMEOUT,
                ping_interval=None,
                max_queue=None,
            )
            await websocket.send(json.dumps({"type": "ping"}))
            assert json.loads(await websocket.recv()) == {"type": "pong"}
        connected.set_result(websocket)
        async for frame in websocket:
            heard.append(time.perf_counter())
            assert json.loads(frame)["type"] == "price.changed", frame
            if len(heard) == clients:
                all_heard.set()

    loop = asyncio.get_running_loop()
    connections = [loop.create_future() for _ in range(clients)]
    tasks = [
        asyncio.create_task(client(ports[number % len(ports)], connections[number]))
        for number in range(clients)
    ]
    websockets = await asyncio.wait_for(asyncio.gather(*connections), TIMEOUT * 5)
    rounds = []
    for cents in range(4000, 4000 + ROUNDS):
        heard.clear()
        all_heard.clear()
        started = time.perf_counter()
        await asyncio.to_thread(change_price, product, cents)
        saved = time.perf_counter()
        await asyncio.wait_for(all_heard.wait(), TIMEOUT)
        rounds.append((saved - started, max(heard) - started))
    await asyncio.gather(*(websocket.close() for websocket in websockets))
    await asyncio.gather(*tasks, return_exceptions=True)
    return rounds


def over_redis(user, product, scratch):
    """This process and the servers share the shop's Redis channel layer (REDIS_URL)."""
    import redis
    from django.test import Client

    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()
    client = Client()
    client.force_login(user)  # A session in the database the servers read too.
    ports = [free_port() for _ in range(SERVERS)]
    results = {}
    with ExitStack() as stack:
        for number, port in enumerate(ports):
            log = stack.enter_context(open(scratch / f"daphne-{number}.log", "w"))
            stack.enter_context(daphne(port, {**os.environ, "PYTHONUNBUFFERED": "1"}, log))
        for clients in REDIS_CLIENTS:
            rounds = asyncio.run(
                redis_rounds(ports, client.cookies["sessionid"].value, product, clients)
            )
            results[clients] = medians(rounds)
            report(f"over Redis, {SERVERS} Daphne servers", clients, results[clients])
    return results


def report(tier, clients, figures):
    print(
        f"{tier:<45} {clients:>5} clients: request {figures['request']:8.1f} ms, "
        f"last client {figures['last client']:8.1f} ms (medians of {ROUNDS})"
    )


def main():
    redis_server = urllib.parse.urlsplit(REDIS_URL)
    with_redis = port_open(redis_server.hostname, redis_server.port or 6379)
    # With Redis, the shop's Redis channel layer, as deployed (the in-process tier overrides it).
    scratch = setup_django(
        "price_log", "channels_push", **({"REDIS_URL": REDIS_URL} if with_redis else {})
    )
    from django.contrib.auth.models import User

    from shop.models import Product

    logging.getLogger("shop.prices").setLevel(logging.WARNING)
    user = User.objects.create_user("ada", "ada@example.com")
    mug = Product.objects.create(name="Mug", price=Decimal("9.50"))
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # The setup above ran outside the loop.

    results = in_process(user, mug)
    if with_redis:
        results[f"Redis, {SERVERS} Daphne servers"] = over_redis(user, mug, scratch)
    else:
        print(f"Skipped the Redis tier: nothing answers at {REDIS_URL} (FANOUT_REDIS_URL).")
    plot(results)


def plot(results):
    plt = pyplot()
    figure, (request_axes, last_axes) = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for tier, sizes in results.items():
        clients = list(sizes)
        request_axes.plot(clients, [f["request"] for f in sizes.values()], "o-", label=tier)
        last_axes.plot(clients, [f["last client"] for f in sizes.values()], "o-", label=tier)
    request_axes.axhline(50, color="green", linestyle=":", linewidth=1, label="goal: 50 ms")
    last_axes.axhline(100, color="green", linestyle=":", linewidth=1, label="goal in one process")
    last_axes.axhline(300, color="orange", linestyle=":", linewidth=1, label="goal over Redis")
    request_axes.set_title("The request that saves the price returns")
    last_axes.set_title("The last client hears of it")
    for axes in (request_axes, last_axes):
        # Log-log: time growing as the clients do is a slope of 1; as their square, 2.
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("connected clients")
        axes.set_ylabel(f"ms after the save starts (median of {ROUNDS})")
        axes.legend(fontsize=8)
    save_figure(figure, "bench-fanout.png")


if __name__ == "__main__":
    main()
