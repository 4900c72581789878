"""Lesson 05: push events with Channels. Read top to bottom: the first failing test is next.

The WebSockets here go through the shop's whole ASGI application (shop/asgi.py): the origin
check, the session middleware that finds the user from their cookie, the routing, and then
your consumer. `alice`, `bob` and `anonymous` are the headers their browsers would send.
"""

import asyncio
from contextlib import asynccontextmanager, contextmanager, suppress
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import transaction

from channels_push import groups
from shop.asgi import application
from shop.models import Order, PriceChange
from shop.signals import order_report_sent

# Real commits: the consumer reads the session from another thread, and the receivers push
# only when a transaction commits. Naming the apps whose tables the tests use keeps the
# database reset after each test quick.
APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "shop"]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)

PATH = "/ws/notifications/"
TIMEOUT = 0.3  # seconds to wait for a frame that should come (they take milliseconds)
QUIET = 0.1  # seconds to wait for a frame that should not come


class Socket:
    """One browser's WebSocket, as the tests see it."""

    def __init__(self, communicator):
        self.communicator = communicator

    async def receive(self, expected, see):
        """The next JSON frame; `expected` and `see` (which TODO) explain a failure."""
        try:
            return await self.communicator.receive_json_from(timeout=TIMEOUT)
        except TimeoutError:
            pytest.fail(f"No frame arrived within {TIMEOUT} s; expected {expected}. See {see}.")
        except AssertionError:
            pytest.fail(f"The consumer closed the socket; expected {expected}. See {see}.")
        except Exception as error:
            pytest.fail(f"The consumer raised {type(error).__name__}: {error}. See {see}.")

    async def send(self, text):
        try:
            await self.communicator.send_to(text_data=text)
        except Exception as error:
            pytest.fail(f"The consumer had failed before {text} was sent: {error!r}")

    async def receives_nothing(self):
        try:
            return await self.communicator.receive_nothing(timeout=QUIET)
        except Exception as error:
            pytest.fail(f"The consumer raised {type(error).__name__}: {error}")


@asynccontextmanager
async def connected(headers):
    """A WebSocket to /ws/notifications/ that the consumer accepted; closed on the way out."""
    communicator = WebsocketCommunicator(application, PATH, headers=headers)
    try:
        accepted, _ = await communicator.connect(timeout=TIMEOUT)
    except Exception as error:
        pytest.fail(f"Connecting raised {type(error).__name__}: {error}. See connect().")
    if not accepted:
        pytest.fail("A logged-in user's connection was refused. See connect() (TODO 1).")
    try:
        yield Socket(communicator)
    finally:
        await closed(communicator)


async def closed(communicator):
    # A consumer that failed or hung has been reported by the test already.
    with suppress(Exception, asyncio.CancelledError):
        await communicator.disconnect(timeout=TIMEOUT)


async def group_send(group, message):
    await get_channel_layer().group_send(group, message)


ERROR_FRAME = 'an error frame {"type": "error", "error": "<what went wrong>"}'
STILL_OPEN = '{"type": "pong"}: the socket should stay open'
PRICE_CHANGED = {
    "type": "price.changed",
    "product_id": 1,
    "product": "Mug",
    "old_price": "9.50",
    "new_price": "10.00",
}


# TODO 1: only logged-in users get a connection.


@pytest.mark.anyio
async def test_an_anonymous_connection_is_accepted_then_closed_with_4401(anonymous):
    communicator = WebsocketCommunicator(application, PATH, headers=anonymous)
    try:
        accepted, _ = await communicator.connect(timeout=TIMEOUT)
        message = await communicator.receive_output(timeout=TIMEOUT) if accepted else None
    except TimeoutError:
        message = None
    except Exception as error:
        pytest.fail(f"The consumer raised {type(error).__name__}: {error}. See TODO 1.")
    finally:
        await closed(communicator)

    assert accepted, (
        "The consumer closed an anonymous connection before accepting it: that refuses the "
        "handshake (HTTP 403), and a browser sees code 1006, as for a dropped network, so it "
        "would keep reconnecting. Accept first, then close with code 4401. See TODO 1."
    )
    assert message == {"type": "websocket.close", "code": 4401}, (
        "A connection without a logged-in user should be closed at once with code 4401 "
        f"(CLOSE_NOT_LOGGED_IN); after accepting, the consumer answered {message or 'nothing'}. "
        "See TODO 1 in consumers.py."
    )


# TODO 2 and 3: join the groups, and forward their events.


@pytest.mark.anyio
async def test_a_connection_joins_prices_and_its_users_group(alice, customer, channel_layer):
    async with connected(alice):
        members = {group: len(channels) for group, channels in channel_layer.groups.items()}

    expected = {"prices": 1, f"user.{customer.pk}": 1}
    assert members == expected, (
        f"alice's connection should be in the groups {expected} (group: connections); the "
        f"layer has {members}. See TODO 2 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_price_change_sent_to_prices_reaches_the_browser(alice):
    async with connected(alice) as socket:
        await group_send("prices", PRICE_CHANGED)
        frame = await socket.receive(
            f"the price change {PRICE_CHANGED}", see="TODO 3 in consumers.py"
        )

    assert frame == PRICE_CHANGED, (
        f"The browser should receive the event as it was sent, {PRICE_CHANGED}; it received "
        f"{frame}. See TODO 3 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_user_receives_their_own_report_event(alice, customer):
    event = {"type": "report.sent", "order_id": 7}
    async with connected(alice) as socket:
        await group_send(f"user.{customer.pk}", event)
        frame = await socket.receive(
            f"alice's report event {event}", see="TODO 2 and 3 in consumers.py"
        )

    assert frame == event, (
        f"alice should receive {event}, sent to her group user.{customer.pk}; she received "
        f"{frame}. See TODO 2 and 3 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_user_never_receives_another_users_event(alice, bob, other_customer):
    event = {"type": "report.sent", "order_id": 7}
    async with connected(alice) as alice_socket, connected(bob) as bob_socket:
        await group_send(f"user.{other_customer.pk}", event)
        await bob_socket.receive(f"bob's report event {event}", see="TODO 2 and 3 in consumers.py")
        alice_heard_nothing = await alice_socket.receives_nothing()

    assert alice_heard_nothing, (
        "alice received bob's report event. Join only the user's own group, "
        "groups.for_user(user.pk), and never a group shared by all users for personal "
        "events. See TODO 2 in consumers.py."
    )


# TODO 4: leave the groups.


@pytest.mark.anyio
async def test_a_closed_connection_leaves_its_groups(alice, channel_layer):
    async with connected(alice):
        joined = set(channel_layer.groups)
    left_behind = {group: set(channels) for group, channels in channel_layer.groups.items()}

    if not joined:
        pytest.fail("The connection joined no group, so it cannot leave one: do TODO 2 first.")
    assert not left_behind, (
        f"After the socket closed, the layer still has {left_behind}: the layer would keep "
        "queueing messages for a channel nobody reads. See TODO 4 in consumers.py."
    )


# TODO 5: the client's frames: ping, and anything else.


@pytest.mark.anyio
async def test_ping_is_answered_with_pong(alice):
    async with connected(alice) as socket:
        await socket.send('{"type": "ping"}')
        frame = await socket.receive('{"type": "pong"}', see="TODO 5 in consumers.py")

    assert frame == {"type": "pong"}, (
        f'{{"type": "ping"}} should be answered with {{"type": "pong"}}, not {frame}. '
        "See TODO 5 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_frame_that_is_not_json_gets_an_error_and_the_socket_stays_open(alice):
    async with connected(alice) as socket:
        await socket.send("hello?")
        error = await socket.receive(ERROR_FRAME, see="TODO 5 in consumers.py")
        await socket.send('{"type": "ping"}')
        still_open = await socket.receive(STILL_OPEN, see="TODO 5 in consumers.py")

    assert error.get("type") == "error" and error.get("error"), (
        f'A frame that is not JSON should be answered with {{"type": "error", "error": '
        f'"<what went wrong>"}}, not {error}. See TODO 5 in consumers.py (receive).'
    )
    assert still_open == {"type": "pong"}


@pytest.mark.anyio
async def test_an_unknown_message_gets_an_error_and_the_socket_stays_open(alice):
    async with connected(alice) as socket:
        await socket.send('{"type": "subscribe", "group": "user.1"}')
        error = await socket.receive(ERROR_FRAME, see="TODO 5 in consumers.py")
        await socket.send('{"type": "ping"}')
        still_open = await socket.receive(STILL_OPEN, see="TODO 5 in consumers.py")

    assert error.get("type") == "error" and error.get("error"), (
        f'A message other than ping should be answered with {{"type": "error", "error": '
        f'"<what went wrong>"}}, not {error}. See TODO 5 in consumers.py (receive_json).'
    )
    assert still_open == {"type": "pong"}


# TODO 6 and 7: push from sync code, once the transaction commits.


class Inbox:
    """A channel that joined a group, as a consumer would, to see what is sent to the group."""

    def __init__(self, layer, group):
        self.layer = layer
        self.group = group
        self.channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, self.channel)

    def messages(self):
        return async_to_sync(self._drain)()

    async def _drain(self):
        received = []
        while True:
            try:
                received.append(await asyncio.wait_for(self.layer.receive(self.channel), 0.02))
            except TimeoutError:
                return received


@contextmanager
def pushing():
    """Turn an exception raised while pushing into advice."""
    try:
        yield
    except TypeError as error:
        pytest.fail(
            f"Pushing raised TypeError: {error}. Group names are ASCII letters, digits, '-', "
            "'_' and '.': use groups.PRICES and groups.for_user(), and make the message "
            "JSON-friendly (prices as strings)."
        )


def change_price(product, old, new):
    return PriceChange.objects.create(
        product=product, old_price=Decimal(old), new_price=Decimal(new)
    )


def test_a_new_price_change_is_broadcast_to_prices(channel_layer, mug):
    inbox = Inbox(channel_layer, groups.PRICES)
    with pushing():
        change_price(mug, "9.50", "10.00")

    expected = [{**PRICE_CHANGED, "product_id": mug.pk}]
    assert inbox.messages() == expected, (
        f"Saving a new PriceChange should send {expected} to the group 'prices'; it sent "
        f"{inbox.messages() or 'nothing'}. See TODO 6 in receivers.py."
    )


def test_a_price_change_is_announced_only_once_its_transaction_commits(channel_layer, mug):
    inbox = Inbox(channel_layer, groups.PRICES)
    with pushing(), transaction.atomic():
        change_price(mug, "9.50", "10.00")
        before_commit = inbox.messages()
    after_commit = inbox.messages()

    assert not before_commit, (
        "The price change was announced inside its transaction, before it was committed: a "
        "browser could fetch the product and still see the old price. Send it in "
        "transaction.on_commit(). See TODO 6 in receivers.py."
    )
    assert len(after_commit) == 1, (
        f"Once the transaction committed, 'prices' should get one message; it got "
        f"{after_commit}. See TODO 6 in receivers.py."
    )


def test_a_rolled_back_price_change_is_never_announced(channel_layer, mug):
    inbox = Inbox(channel_layer, groups.PRICES)
    with pushing(), pytest.raises(RuntimeError), transaction.atomic():
        change_price(mug, "9.50", "10.00")
        raise RuntimeError("the payment provider is down: roll back")

    assert inbox.messages() == [], (
        "A price change that was rolled back was announced anyway: browsers now show a price "
        "that never existed. Send in transaction.on_commit(), which drops its callbacks on "
        "rollback. See TODO 6 in receivers.py."
    )


def test_a_sent_report_is_announced_to_its_owner_only(channel_layer, customer, other_customer):
    order = Order.objects.create(owner=customer)
    alice_inbox = Inbox(channel_layer, groups.for_user(customer.pk))
    bob_inbox = Inbox(channel_layer, groups.for_user(other_customer.pk))
    everyone = Inbox(channel_layer, groups.PRICES)
    with pushing():
        order_report_sent.send(sender=Order, order=order)

    heard = {
        "alice": alice_inbox.messages(),
        "bob": bob_inbox.messages(),
        "prices": everyone.messages(),
    }
    expected = {"alice": [{"type": "report.sent", "order_id": order.pk}], "bob": [], "prices": []}
    assert heard == expected, (
        f"order_report_sent for alice's order should reach her group only: {expected}; the "
        f"groups got {heard}. See TODO 7 in receivers.py."
    )


# All together: a change saved by sync code reaches every browser.


@pytest.mark.anyio
async def test_a_price_change_reaches_every_connected_user(alice, bob, mug):
    async with connected(alice) as alice_socket, connected(bob) as bob_socket:
        with pushing():
            await database_sync_to_async(change_price)(mug, "9.50", "10.00")
        frames = [
            await alice_socket.receive(
                "the price change", see="TODO 6 in receivers.py, TODO 2 and 3 in consumers.py"
            ),
            await bob_socket.receive(
                "the price change", see="TODO 6 in receivers.py, TODO 2 and 3 in consumers.py"
            ),
        ]

    expected = {**PRICE_CHANGED, "product_id": mug.pk}
    assert frames == [expected, expected], (
        f"Both alice and bob should receive {expected}; they received {frames}. "
        "See TODO 6 in receivers.py and TODO 2 and 3 in consumers.py."
    )
