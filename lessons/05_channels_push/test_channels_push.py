"""Lesson 05: push events with Channels. Read top to bottom: the first failing test is next.

The WebSockets here go through the shop's whole ASGI application (shop/asgi.py): the origin
check, the session middleware that finds the user from their cookie, the routing, and then
your consumer. `alice`, `bob` and `anonymous` are the headers their browsers would send. Group
names come from groups.py, as your consumer and receivers take them.
"""

import logging
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from channels_push import groups
from channels_push.consumers import MAX_FRAME_CHARS
from channels_push.testing import (
    PATH,
    TIMEOUT,
    Inbox,
    attempt,
    callback_errors,
    closed,
    connected,
    consumer_failed,
    disconnected,
    group_send,
    handshake,
    json_decoding,
    members,
    never_awaited_hint,
    next_message,
    recording_joins,
    recording_sends,
    saving,
    short,
    what_differs,
)
from shop.asgi import application
from shop.models import Order, PriceChange
from shop.signals import order_report_sent

# Real commits: the consumer reads the session from another thread, and the receivers push
# only when a transaction commits. Naming the apps whose tables the tests use keeps the
# database reset after each test quick (without contenttypes, Django does not re-create the
# content types and permissions before every test).
APPS = ["django.contrib.auth", "django.contrib.sessions", "shop"]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)

PING, PONG = '{"type": "ping"}', {"type": "pong"}
PRICE_CHANGED = {
    "type": "price.changed",
    "product_id": 1,
    "product": "Mug",
    "old_price": "9.50",
    "new_price": "10.00",
}


def is_error_frame(frame):
    return (
        isinstance(frame, dict)
        and frame.get("type") == "error"
        and isinstance(frame.get("error"), str)
        and frame["error"] != ""
    )


# TODO 1: only logged-in users get a connection.


@pytest.mark.anyio
async def test_an_anonymous_connection_is_accepted_then_closed_with_4401(anonymous):
    communicator = WebsocketCommunicator(application, PATH, headers=anonymous)
    first, error = await attempt(handshake(communicator, "an anonymous visitor"))
    then = None
    if not error and first["type"] == "websocket.accept":
        then, error = await attempt(after_explanations(communicator))
    await closed(communicator)
    if error:
        consumer_failed(error, "when an anonymous visitor connected", see="TODO 1")

    assert first["type"] == "websocket.accept", (
        "The consumer closed an anonymous connection before accepting it: that refuses the "
        "handshake (HTTP 403), and a browser sees code 1006, as for a dropped network, so it "
        "would keep reconnecting. Accept first, then close with code 4401. See TODO 1."
    )
    assert then is not None, (
        f"The consumer accepted an anonymous visitor and kept the socket open for {TIMEOUT} s: "
        "close it at once with code=CLOSE_NOT_LOGGED_IN (4401). See TODO 1 in consumers.py."
    )
    assert then["type"] == "websocket.close" and then.get("code") == 4401, (
        "After accepting an anonymous visitor the consumer should close with code 4401 "
        f"(CLOSE_NOT_LOGGED_IN); it sent {then}. See TODO 1 in consumers.py."
    )


async def after_explanations(communicator):
    """The consumer's next message past text frames that explain a refusal (allowed)."""
    for _ in range(3):
        message = await next_message(communicator)
        if message is None or message["type"] != "websocket.send":
            return message
    return message


@pytest.mark.anyio
async def test_an_anonymous_connection_joins_no_group(anonymous, channel_layer):
    communicator = WebsocketCommunicator(application, PATH, headers=anonymous)
    _, error = await attempt(handshake(communicator, "an anonymous visitor"))
    joined = members(channel_layer)
    await closed(communicator)
    if error:
        consumer_failed(error, "when an anonymous visitor connected", see="TODO 1")

    assert not joined, (
        f"A refused anonymous connection joined the groups {joined}: check the user first, "
        "and `return` after close(), before joining anything. See TODO 1 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_refused_anonymous_connection_ends_cleanly(anonymous):
    communicator = WebsocketCommunicator(application, PATH, headers=anonymous)
    _, error = await attempt(handshake(communicator, "an anonymous visitor"))
    if not error:
        # The browser's side of the close (it comes after connect() has returned).
        error = await disconnected(communicator)
    await closed(communicator)

    if error:
        consumer_failed(
            error,
            "when the refused anonymous socket closed (Channels calls disconnect() for it "
            "too, though connect() returned early: read only what connect() always set)",
            see="TODO 1 in consumers.py",
        )


# TODO 2: join the groups, before accepting; leave them when the socket closes.


@pytest.mark.anyio
async def test_a_connection_joins_prices_and_its_users_group(alice, customer, channel_layer):
    async with connected(alice):
        joined = members(channel_layer)

    expected = {groups.PRICES: 1, groups.for_user(customer.pk): 1}
    assert joined, (
        f"alice's connection joined no group. {never_awaited_hint()}Channels joins a class "
        "attribute `groups` before connect(), but groups that you set in connect() you join "
        "yourself: await self.channel_layer.group_add(group, self.channel_name). See TODO 2."
    )
    assert joined == expected, (
        f"alice's connection should be in the groups {expected} (group: connections), "
        f"groups.PRICES and groups.for_user(user.pk); the layer has {joined}. See TODO 2."
    )


@pytest.mark.anyio
async def test_a_connection_joins_its_groups_before_it_is_accepted(alice, channel_layer):
    handshake_log = []
    channel_layer.group_add = recording_joins(channel_layer.group_add, handshake_log)
    async with connected(alice, application=recording_sends(application, handshake_log)):
        pass

    joins = [step for step in handshake_log if step.startswith("join")]
    late = handshake_log[handshake_log.index("accept") :] if "accept" in handshake_log else []
    late_joins = [step for step in late if step.startswith("join")]
    assert joins, "alice's connection joined no group. See TODO 2 in consumers.py."
    assert not late_joins, (
        f"The consumer accepted the socket, then joined its groups ({handshake_log}): a push "
        "sent in between is lost, and the browser, connected, never hears of it. Join the "
        "groups first, then accept(). See TODO 2 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_closed_connection_leaves_its_groups(alice, channel_layer):
    async with connected(alice):
        joined = members(channel_layer)
    left_behind = members(channel_layer)

    if not joined:
        pytest.fail("The connection joined no group, so it cannot leave one: do TODO 2 first.")
    assert not left_behind, (
        f"After the socket closed, the layer still has {left_behind} (group: connections): it "
        "would keep queueing messages for a channel nobody reads. Keep the groups in "
        "self.groups, which Channels leaves when the socket closes, or leave them yourself in "
        "disconnect() with group_discard. See TODO 2 in consumers.py."
    )


# TODO 3: forward the groups' events.


@pytest.mark.anyio
async def test_a_price_change_sent_to_prices_reaches_the_browser(alice, channel_layer):
    async with connected(alice, must_join=[groups.PRICES]) as socket:
        await group_send(groups.PRICES, PRICE_CHANGED)
        frame = await socket.receive(
            f"the price change {PRICE_CHANGED}", see="TODO 3 in consumers.py"
        )

    assert frame == PRICE_CHANGED, (
        f"The browser should receive the event as it was sent, {PRICE_CHANGED}; it received "
        f"{frame}. See TODO 3 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_user_receives_their_own_report_event(alice, customer, channel_layer):
    event = {"type": "report.sent", "order_id": 7}
    alices_group = groups.for_user(customer.pk)
    async with connected(alice, must_join=[alices_group]) as socket:
        await group_send(alices_group, event)
        frame = await socket.receive(f"alice's report event {event}", see="TODO 3")

    assert frame == event, (
        f"alice should receive {event}, sent to her group {alices_group}; she received "
        f"{frame}. See TODO 3 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_user_never_receives_another_users_event(
    alice, bob, customer, other_customer, channel_layer
):
    bobs_event = {"type": "report.sent", "order_id": 7}
    alices_event = {"type": "report.sent", "order_id": 8}
    bobs_next_event = {"type": "report.sent", "order_id": 9}
    alices_group, bobs_group = groups.for_user(customer.pk), groups.for_user(other_customer.pk)
    async with (
        connected(alice, must_join=[alices_group]) as alice_socket,
        connected(bob, must_join=[bobs_group]) as bob_socket,
    ):
        await group_send(bobs_group, bobs_event)
        await group_send(alices_group, alices_event)
        await group_send(bobs_group, bobs_next_event)
        # A channel's messages arrive in order: another user's event would come first.
        frame = await alice_socket.receive(f"alice's own event {alices_event}", see="TODO 3")
        bobs_frames = [
            await bob_socket.receive(f"bob's own event {event}", see="TODO 3")
            for event in (bobs_event, bobs_next_event)
        ]

    assert frame == alices_event, (
        f"alice received {frame} before her own event {alices_event}: bob's event, sent to his "
        f"group {bobs_group}, reached her. Join only the user's own group, "
        "groups.for_user(user.pk), for personal events. See TODO 2 in consumers.py."
    )
    assert bobs_frames == [bobs_event, bobs_next_event], (
        f"bob should receive his own events {[bobs_event, bobs_next_event]}; he received "
        f"{bobs_frames}: alice's event, sent to her group {alices_group}, reached bob. Each "
        "connection joins its own user's group only; a class attribute `groups = []` that "
        "connect() appends to is one list shared by every connection: assign self.groups = "
        "[...] instead. See TODO 2 in consumers.py."
    )


# TODO 4: answer the client's messages: ping, and anything else.


@pytest.mark.anyio
async def test_ping_is_answered_with_pong(alice):
    async with connected(alice) as socket:
        await socket.send(PING)
        frame = await socket.receive('{"type": "pong"}', see="TODO 4 in consumers.py")
        await socket.send(PING)
        second = await socket.receive('{"type": "pong"} to a second ping', see="TODO 4")

    assert frame == PONG, (
        f'{PING} should be answered with {{"type": "pong"}}, not {frame}. See TODO 4 in '
        "consumers.py."
    )
    assert second == PONG, (
        f"A second ping was answered with {second}, not a pong: the first ping got the pong "
        "and then another frame too. Answer a ping with the pong only (the error frame is "
        "for anything else: if/else). See TODO 4 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_pong_goes_only_to_the_socket_that_pinged(alice, bob, other_customer):
    event = {"type": "report.sent", "order_id": 7}
    bobs_group = groups.for_user(other_customer.pk)
    async with connected(alice) as alice_socket, connected(bob, must_join=[bobs_group]) as bob:
        await alice_socket.send(PING)
        await alice_socket.receive('{"type": "pong"}', see="TODO 4 in consumers.py")
        await group_send(bobs_group, event)
        frame = await bob.receive(f"bob's own event {event}", see="TODO 4 in consumers.py")

    assert frame == event, (
        f"alice pinged, and bob received {frame} before his own event {event}: the pong "
        "went to a group, not only to alice. Answer with self.send_json(...), which "
        "writes to this socket; group_send() is for events. See TODO 4 in consumers.py."
    )


@pytest.mark.anyio
async def test_an_unknown_message_gets_an_error_and_the_socket_stays_open(alice):
    await answered_with_errors(
        alice, ['{"type": "subscribe", "group": "user.1"}', "{}"], see="TODO 4 in consumers.py"
    )


@pytest.mark.anyio
async def test_json_that_is_not_an_object_gets_an_error_and_the_socket_stays_open(alice):
    # receive_json() gets any JSON value; only an object has keys to read.
    await answered_with_errors(
        alice, ['[{"type": "ping"}]', '"ping"', "42", "null", "true"], see="TODO 4 in consumers.py"
    )


async def answered_with_errors(headers, frames, see):
    """Each frame must be answered with an error frame, and a ping after them with a pong."""
    __tracebackhide__ = True  # A failure here is reported at the test's line.
    async with connected(headers) as socket:
        for frame in frames:
            await socket.send(frame)
            answer = await socket.receive("an error frame", see=see)
            kind = "a binary frame " if isinstance(frame, bytes) else ""
            assert is_error_frame(answer), (
                f"The client sent {kind}{short(frame)}: it should be answered with "
                f'{{"type": "error", "error": "<what went wrong>"}}, not {answer}. See {see}.'
            )
        await socket.send(PING)
        after = await socket.receive("a pong: the socket should stay open after an error", see=see)
        assert after == PONG, (
            f"After {short(frames[-1])} and its error frame, a ping was answered with {after}, "
            "not a pong: the consumer sent more than one frame for one bad frame. Send one "
            f"error frame, then `return`. See {see}."
        )


# TODO 5: decode the client's frames yourself: whatever comes, the socket stays open.


@pytest.mark.anyio
async def test_a_frame_that_is_not_json_gets_an_error_and_the_socket_stays_open(alice):
    await answered_with_errors(alice, ["hello?", '{"type": "ping"', ""], see="TODO 5")


@pytest.mark.anyio
async def test_a_binary_frame_gets_an_error_and_the_socket_stays_open(alice):
    # An empty binary frame is a frame too: b"" is falsy, and its text_data is None all the same.
    await answered_with_errors(alice, [PING.encode(), b""], see="TODO 5 in consumers.py")


@pytest.mark.anyio
async def test_json_nested_too_deep_gets_an_error_and_the_socket_stays_open(alice):
    # 2,000 lists deep: Python's JSON decoder raises RecursionError, not ValueError.
    await answered_with_errors(alice, ["[" * 2000 + "]" * 2000], see="TODO 5 in consumers.py")


@pytest.mark.anyio
async def test_a_frame_longer_than_max_frame_chars_gets_an_error_unread(alice):
    # A ping padded to 100,000 characters: decoding it is work an attacker chooses.
    padded_ping = '{"type": "ping", "padding": "' + "x" * 100_000 + '"}'
    spaced_ping = PING.ljust(100_000)  # JSON allows spaces: a cut-off copy would be a ping.
    with json_decoding() as decoded:
        await answered_with_errors(
            alice, [padded_ping, spaced_ping], see="MAX_FRAME_CHARS and TODO 5"
        )

    too_long = [size for size in decoded if size > MAX_FRAME_CHARS]
    assert not too_long, (
        f"The consumer decoded a frame of {too_long[0]:,} characters, then refused it: check "
        "len(text_data) > MAX_FRAME_CHARS first, and answer a long frame unread (not decoded). "
        "See TODO 5 in consumers.py."
    )


@pytest.mark.anyio
async def test_a_frame_of_exactly_max_frame_chars_is_read(alice):
    # "At most MAX_FRAME_CHARS": a frame of exactly that length is still a frame to read.
    # A ping with spaces after it (JSON allows them), MAX_FRAME_CHARS characters in all.
    ping = PING.ljust(MAX_FRAME_CHARS)
    async with connected(alice) as socket:
        await socket.send(ping)
        frame = await socket.receive('{"type": "pong"}', see="MAX_FRAME_CHARS and TODO 5")

    assert frame == PONG, (
        f"A ping of exactly MAX_FRAME_CHARS ({MAX_FRAME_CHARS}) characters was answered with "
        f"{frame}: frames of at most MAX_FRAME_CHARS are read, only longer ones refused "
        "(len(text_data) > MAX_FRAME_CHARS). See TODO 5 in consumers.py."
    )


# TODO 6 and 7: push from sync code, once the transaction commits, robustly.


def change_price(product, old, new):
    return PriceChange.objects.create(product=product, old_price=old, new_price=new)


def test_a_new_price_change_is_broadcast_to_prices(channel_layer, mug, tea):
    inbox = Inbox(channel_layer, groups.PRICES)
    with saving():
        change_price(tea, Decimal("4.00"), Decimal("4.20"))
        change_price(mug, Decimal("9.50"), Decimal("10.00"))

    expected = [
        {**PRICE_CHANGED, "product_id": tea.pk, "product": "Tea"},
        {**PRICE_CHANGED, "product_id": mug.pk, "product": "Mug"},
    ]
    expected[0].update(old_price="4.00", new_price="4.20")
    heard = inbox.messages()
    assert heard == expected, (
        f"Saving two new PriceChanges (tea, then the mug) should send {expected} to the group "
        f"{groups.PRICES!r}; it sent {heard or 'nothing'}. {inbox.why_nothing(heard)}"
        f"{not_strings(heard)}{what_differs(expected, heard)}See TODO 6 in receivers.py."
    )


def not_strings(messages):
    prices = [m.get(key) for m in messages for key in ("old_price", "new_price") if key in m]
    wrong = [price for price in prices if not isinstance(price, str)]
    if not wrong:
        return ""
    return (
        f'Prices must be strings with two decimals ("4.20"); these are not: {wrong}. JSON '
        "has no decimal type, and a float turns 9.50 into 9.5. "
    )


def test_prices_are_sent_as_strings_with_two_decimals(channel_layer, mug):
    inbox = Inbox(channel_layer, groups.PRICES)
    with saving():
        change_price(mug, Decimal("9.5"), 10)  # What a form or a script may hand the model.

    heard = inbox.messages()
    prices = [(message.get("old_price"), message.get("new_price")) for message in heard]
    assert prices == [("9.50", "10.00")], (
        "A PriceChange saved with old_price=Decimal('9.5') and new_price=10 should be sent "
        f'as "old_price": "9.50", "new_price": "10.00" (strings, two decimals: the README\'s '
        f"wire format); it sent {prices or 'nothing'}. str() keeps what the instance holds: "
        'format with f"{Decimal(price):.2f}". See TODO 6 in receivers.py.'
    )


def test_a_price_over_a_thousand_is_sent_as_a_plain_number(channel_layer, mug):
    inbox = Inbox(channel_layer, groups.PRICES)
    with saving():
        change_price(mug, Decimal("999.99"), Decimal("1234.50"))

    heard = inbox.messages()
    prices = [(message.get("old_price"), message.get("new_price")) for message in heard]
    assert prices == [("999.99", "1234.50")], (
        'A PriceChange from 999.99 to 1234.50 should be sent as "999.99" and "1234.50": '
        "plain numbers with two decimals, no thousands separator nor currency sign (the "
        f"browser formats them for display); it sent {prices or 'nothing'}. "
        'Format with f"{Decimal(price):.2f}". See TODO 6 in receivers.py.'
    )


def test_prices_given_as_strings_are_sent_with_two_decimals(channel_layer, mug):
    inbox = Inbox(channel_layer, groups.PRICES)
    with saving("with prices given as strings"):
        change_price(mug, "9.5", "10")

    heard = inbox.messages()
    prices = [(message.get("old_price"), message.get("new_price")) for message in heard]
    assert prices == [("9.50", "10.00")], (
        'A PriceChange saved with old_price="9.5" and new_price="10" (Django accepts strings) '
        f'should be sent as "9.50" and "10.00"; it sent {prices or "nothing"}. Convert with '
        "Decimal(price) before formatting. See TODO 6 in receivers.py."
    )


def test_an_updated_price_change_is_not_announced_again(channel_layer, mug):
    with saving():
        change = change_price(mug, Decimal("9.50"), Decimal("10.00"))
    inbox = Inbox(channel_layer, groups.PRICES)
    change.new_price = Decimal("10.50")
    with saving("when an existing PriceChange was saved again"):
        change.save()

    heard = inbox.messages()
    assert heard == [], (
        f"Saving an existing PriceChange again sent {heard}: only a new one (post_save's "
        "`created`) is news. See TODO 6 in receivers.py."
    )
    assert not callback_errors, (
        "Saving an existing PriceChange again scheduled an on_commit() callback that raised "
        f"{type(callback_errors[0]).__name__}: {callback_errors[0]}; robust=True logged it at "
        "ERROR, as it would for every update. For an existing row, `return` before "
        "scheduling anything (schedule the push inside `if created`). See TODO 6 in "
        "receivers.py."
    )


def test_a_price_change_is_announced_only_once_its_transaction_commits(channel_layer, mug):
    inbox = Inbox(channel_layer, groups.PRICES)
    with saving(), transaction.atomic():
        change_price(mug, Decimal("9.50"), Decimal("10.00"))
        before_commit = inbox.messages()
    after_commit = inbox.messages()

    assert not before_commit, (
        "The price change was announced inside its transaction, before it was committed: a "
        "browser could fetch the product and still see the old price. Send it in "
        "transaction.on_commit(). See TODO 6 in receivers.py."
    )
    assert len(after_commit) == 1, (
        f"Once the transaction committed, {groups.PRICES!r} should get one message; it got "
        f"{after_commit}. {inbox.why_nothing(after_commit)}See TODO 6 in receivers.py."
    )


def test_a_rolled_back_price_change_is_never_announced(channel_layer, mug):
    inbox = Inbox(channel_layer, groups.PRICES)
    with saving(), pytest.raises(RuntimeError), transaction.atomic():
        change_price(mug, Decimal("9.50"), Decimal("10.00"))
        raise RuntimeError("the payment provider is down: roll back")

    assert inbox.messages() == [], (
        "A price change that was rolled back was announced anyway: browsers now show a price "
        "that never existed. Send in transaction.on_commit(), which drops its callbacks on "
        "rollback. See TODO 6 in receivers.py."
    )


def test_a_price_change_is_saved_when_the_channel_layer_is_down(layer_down, mug):
    with saving("while the channel layer was down"), transaction.atomic():
        change = change_price(mug, Decimal("9.50"), Decimal("10.00"))

    assert PriceChange.objects.filter(pk=change.pk).exists(), (
        "The PriceChange saved while the channel layer was down is not in the database: a "
        "failed push must not undo the save. See TODO 6 in receivers.py."
    )


def test_a_push_that_fails_is_logged_once_at_error(layer_down, mug, caplog):
    caplog.set_level(logging.DEBUG)
    with saving("while the channel layer was down"), transaction.atomic():
        change_price(mug, Decimal("9.50"), Decimal("10.00"))

    about_it = [record for record in caplog.records if layer_down.mentioned_in(record)]
    seen = [f"{record.levelname} on {record.name!r}" for record in about_it]
    without_exception = [
        r for r in caplog.records if r.levelno >= logging.WARNING and not r.exc_info
    ]
    assert about_it or not without_exception, (
        "The push failed (the channel layer was down), and the log says so without the "
        f"exception: {layer_down.other_records(caplog)}. Log a failure with its exception and "
        "traceback (logger.exception() in the except block), or let on_commit(..., "
        "robust=True) log it for you. See TODO 6 in receivers.py."
    )
    assert about_it, (
        "The push failed (the channel layer was down) and nothing said so in a log: a lost "
        "push must be logged, at ERROR. on_commit(..., robust=True) does it for you (on "
        f"'django.db.backends.base'). Records seen: {layer_down.other_records(caplog)}. "
        "See TODO 6 in receivers.py."
    )
    assert len(about_it) == 1, (
        f"The failed push was logged {len(about_it)} times ({seen}): log it once. "
        "on_commit(..., robust=True) logs it already. See TODO 6 in receivers.py."
    )
    assert about_it[0].levelno >= logging.ERROR, (
        f"The failed push was logged at {seen[0]}: a lost push is an ERROR. "
        "See TODO 6 in receivers.py."
    )


def test_a_sent_report_is_announced_to_its_owner_only(channel_layer, customer, other_customer):
    # An order id that is neither owner's id: a lookup by the wrong one goes to the wrong group.
    order = Order.objects.create(pk=customer.pk + other_customer.pk + 100, owner=customer)
    alice_inbox = Inbox(channel_layer, groups.for_user(customer.pk))
    bob_inbox = Inbox(channel_layer, groups.for_user(other_customer.pk))
    everyone = Inbox(channel_layer, groups.PRICES)
    with saving("when order_report_sent was sent"):
        order_report_sent.send(sender=Order, order=order)

    heard = {
        "alice": alice_inbox.messages(),
        "bob": bob_inbox.messages(),
        "prices": everyone.messages(),
    }
    expected = {"alice": [{"type": "report.sent", "order_id": order.pk}], "bob": [], "prices": []}
    assert heard == expected, (
        f"order_report_sent for alice's order {order.pk} should reach her group only: "
        f"{expected}; the groups got {heard}. {alice_inbox.why_nothing(heard['alice'])}"
        f"{what_differs(expected['alice'], heard['alice'])}See TODO 7 in receivers.py."
    )


def test_a_report_is_announced_only_once_its_transaction_commits(channel_layer, customer):
    order = Order.objects.create(owner=customer)
    inbox = Inbox(channel_layer, groups.for_user(customer.pk))
    with saving("when order_report_sent was sent"), transaction.atomic():
        order_report_sent.send(sender=Order, order=order)
        before_commit = inbox.messages()
    after_commit = inbox.messages()

    assert not before_commit and len(after_commit) == 1, (
        "order_report_sent inside a transaction should be announced once, after the commit: "
        f"before it, the owner's group got {before_commit}; after it, {after_commit}. Use "
        "transaction.on_commit() as in TODO 6. See TODO 7 in receivers.py."
    )


def test_a_report_event_survives_a_channel_layer_that_is_down(layer_down, customer):
    order = Order.objects.create(owner=customer)
    # saving() fails the test, with advice, if the layer's error escapes the signal.
    with saving("when order_report_sent was sent while the channel layer was down"):
        order_report_sent.send(sender=Order, order=order)


# All together: a change saved by sync code reaches every browser.


@pytest.mark.anyio
async def test_a_price_change_reaches_every_connected_user(alice, bob, mug, channel_layer):
    see = "TODO 6 in receivers.py, TODO 2 and 3 in consumers.py"
    async with (
        connected(alice, must_join=[groups.PRICES]) as alice_socket,
        connected(bob, must_join=[groups.PRICES]) as bob_socket,
    ):
        with saving():
            await database_sync_to_async(change_price)(mug, Decimal("9.50"), Decimal("10.00"))
        frames = [
            await alice_socket.receive("the price change", see=see),
            await bob_socket.receive("the price change", see=see),
        ]

    expected = {**PRICE_CHANGED, "product_id": mug.pk}
    assert frames == [expected, expected], (
        f"Both alice and bob should receive {expected}; they received {frames}. See {see}."
    )
