"""The Redis channel layer, as the shop's settings configure it, holds what a real server
meets: sockets that sit idle for longer than the layer's blocking read, and a crowd of sockets
that connect to one server at once."""

import asyncio
import json

import pytest

from tests.conftest import maintainers_package

connect_async = maintainers_package("websockets.asyncio.client").connect
connect = maintainers_package("websockets.sync.client").connect

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(180)]

IDLE = 15  # seconds: longer than any read timeout of the layer or of redis-py
CROWD = 300  # sockets on one server process, connecting at once
RECEIVE_TIMEOUT = 30  # seconds for a frame that should come
CONNECT_TIMEOUT = 90  # seconds for a crowd's handshake, on a machine that may be busy
IN_PROCESS_TIMEOUT = 20  # seconds, twice over: within the 60 s a one-off script may take


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


def test_300_consumers_joining_a_group_at_once_all_hear_one_group_send(make_shop):
    shop = make_shop(broker="redis")
    shop.signed_in_customer()

    output = shop.run(
        "import asyncio\n"
        "from channels.layers import get_channel_layer\n"
        "from channels.testing import WebsocketCommunicator\n"
        "from django.contrib.auth.models import User\n"
        "from channels_push import groups\n"
        "from channels_push.consumers import NotificationConsumer\n"
        "user = User.objects.get(username='ada')\n"
        "async def main():\n"
        "    consumer = NotificationConsumer.as_asgi()\n"
        f"    crowd = [WebsocketCommunicator(consumer, '/ws/') for _ in range({CROWD})]\n"
        "    for communicator in crowd:\n"
        "        communicator.scope['user'] = user\n"
        "    joined = await asyncio.gather(\n"
        f"        *(c.connect(timeout={IN_PROCESS_TIMEOUT}) for c in crowd),\n"
        "        return_exceptions=True,\n"
        "    )\n"
        "    refused = [result for result in joined if result != (True, None)]\n"
        "    if refused:\n"
        "        print(f'{len(refused)} consumers did not connect, the first: {refused[0]!r}')\n"
        "        return\n"
        "    await get_channel_layer().group_send(groups.PRICES, {'type': 'price.changed'})\n"
        "    heard = await asyncio.gather(\n"
        f"        *(c.receive_json_from(timeout={IN_PROCESS_TIMEOUT}) for c in crowd),\n"
        "        return_exceptions=True,\n"
        "    )\n"
        "    deaf = [frame for frame in heard if frame != {'type': 'price.changed'}]\n"
        "    print(f'{len(deaf)} consumers did not hear it' if deaf else 'all heard it')\n"
        "asyncio.run(main())"
    )

    assert output.splitlines()[-1] == "all heard it", (
        f"{CROWD} consumers joining their groups at once, in one process, should all hear one "
        f"group_send: {output.splitlines()[-1]} (see max_connections in shop/settings.py)"
    )


async def crowd_hears_one_push(port, session, push):
    """Connect CROWD clients at once, then push(); return what each heard (or its error)."""

    async def connected():
        websocket = await connect_async(
            f"ws://127.0.0.1:{port}/ws/notifications/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": f"sessionid={session}"},
            open_timeout=CONNECT_TIMEOUT,
            close_timeout=2,
        )
        # A pong proves the consumer is connected, and so has joined its groups.
        await websocket.send(json.dumps({"type": "ping"}))
        await asyncio.wait_for(websocket.recv(), CONNECT_TIMEOUT)
        return websocket

    websockets = await asyncio.gather(*(connected() for _ in range(CROWD)), return_exceptions=True)
    try:
        if any(isinstance(result, BaseException) for result in websockets):
            return websockets
        await asyncio.to_thread(push)
        return await asyncio.gather(
            *(asyncio.wait_for(websocket.recv(), RECEIVE_TIMEOUT) for websocket in websockets),
            return_exceptions=True,
        )
    finally:
        await asyncio.gather(
            *(ws.close() for ws in websockets if not isinstance(ws, BaseException)),
            return_exceptions=True,
        )


def errors_in(log):
    return "\n".join(line for line in log.splitlines() if "Error" in line or "Exception" in line)


def test_300_websockets_connecting_to_one_server_at_once_all_hear_one_push(make_shop):
    shop = make_shop(broker="redis")
    # Each handshake reads the session from the database, one after another: give the crowd
    # more than Daphne's 5 s to be let in on a busy machine.
    port = shop.start_daphne("daphne", "--websocket_connect_timeout", str(CONNECT_TIMEOUT))
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
        f"errors in daphne's log:\n{errors_in(shop.log('daphne'))[-3000:]}"
    )
    events = [json.loads(frame) for frame in heard]
    assert {event["type"] for event in events} == {"price.changed"}, events[:3]
