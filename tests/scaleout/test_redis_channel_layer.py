"""The Redis channel layer, as the shop's settings configure it, holds what a real server
meets: sockets that sit idle for longer than the layer's blocking read, and a crowd of sockets
that connect to one server at once."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect as connect_async
from websockets.sync.client import connect

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(180)]

IDLE = 15  # seconds: three times the layer's 5 s blocking read (BZPOPMIN)
CROWD = 300  # sockets on one server process, connecting at once
RECEIVE_TIMEOUT = 30  # seconds for a frame that should come


def change_price(shop, product, price):
    """Save a new price from a process of its own (an admin's script, say)."""
    shop.run(
        "from decimal import Decimal\n"
        "from shop.models import Product\n"
        f"product = Product.objects.get(pk={product})\n"
        f"product.price = Decimal('{price}')\n"
        "product.save()"
    )


def test_a_receive_that_waits_12_seconds_gets_its_message(make_shop):
    shop = make_shop(broker="redis")

    output = shop.run(
        "import asyncio\n"
        "from channels.layers import get_channel_layer\n"
        "async def main():\n"
        "    layer = get_channel_layer()\n"
        "    channel = await layer.new_channel()\n"
        "    async def send_later():\n"
        "        await asyncio.sleep(12)\n"
        "        await layer.send(channel, {'type': 'late.message'})\n"
        "    sender = asyncio.create_task(send_later())\n"
        "    message = await asyncio.wait_for(layer.receive(channel), 30)\n"
        "    await sender\n"
        "    print(message['type'])\n"
        "asyncio.run(main())"
    )

    assert output.split()[-1] == "late.message", (
        f"a receive that waited 12 s should get the message sent then; the script printed "
        f"{output!r} (see CHANNEL_LAYERS in shop/settings.py: socket_timeout)"
    )


def test_a_websocket_idle_for_15_seconds_still_hears_a_price_change(make_shop):
    shop = make_shop(broker="redis")
    port = shop.start_daphne("daphne")
    customer = shop.signed_in_customer()

    with connect(
        f"ws://127.0.0.1:{port}/ws/notifications/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": f"sessionid={customer['session']}"},
        open_timeout=10,
        close_timeout=2,
        ping_interval=None,  # Truly idle: not even the client's keepalive pings.
    ) as websocket:
        websocket.send(json.dumps({"type": "ping"}))
        assert json.loads(websocket.recv(timeout=RECEIVE_TIMEOUT)) == {"type": "pong"}
        with pytest.raises(TimeoutError):  # Nothing arrives, and the socket stays open.
            websocket.recv(timeout=IDLE)
        change_price(shop, customer["product"], "12.00")
        event = json.loads(websocket.recv(timeout=RECEIVE_TIMEOUT))

    assert event["type"] == "price.changed", (
        f"after {IDLE} s idle the client should hear the price change, got {event}; "
        f"daphne's log:\n{shop.log('daphne')}"
    )


async def crowd_hears_one_push(port, session, on_all_connected):
    """Connect CROWD clients at once, then call on_all_connected(); return what each heard."""

    async def client(ready, go):
        async with connect_async(
            f"ws://127.0.0.1:{port}/ws/notifications/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": f"sessionid={session}"},
            open_timeout=60,
            close_timeout=2,
        ) as websocket:
            await websocket.send(json.dumps({"type": "ping"}))
            pong = json.loads(await asyncio.wait_for(websocket.recv(), RECEIVE_TIMEOUT))
            assert pong == {"type": "pong"}, pong
            ready()
            await go.wait()
            return json.loads(await asyncio.wait_for(websocket.recv(), RECEIVE_TIMEOUT))

    go = asyncio.Event()
    connected = 0

    def ready():
        nonlocal connected
        connected += 1

    clients = [asyncio.create_task(client(ready, go)) for _ in range(CROWD)]
    while connected < CROWD and not any(task.done() for task in clients):
        await asyncio.sleep(0.05)
    if connected == CROWD:
        await asyncio.to_thread(on_all_connected)
    go.set()
    return await asyncio.gather(*clients, return_exceptions=True)


def test_300_sockets_connecting_to_one_server_at_once_all_hear_one_push(make_shop):
    shop = make_shop(broker="redis")
    port = shop.start_daphne("daphne")
    customer = shop.signed_in_customer()

    heard = asyncio.run(
        crowd_hears_one_push(
            port,
            customer["session"],
            lambda: change_price(shop, customer["product"], "12.00"),
        )
    )

    failures = [result for result in heard if isinstance(result, BaseException)]
    assert not failures, (
        f"{len(failures)} of {CROWD} clients failed, the first with {failures[0]!r}; "
        f"daphne's log ends:\n{shop.log('daphne')[-3000:]}"
    )
    assert {event["type"] for event in heard} == {"price.changed"}, heard[:3]
