"""What lesson 05's tests use to talk to your consumer and watch the channel layer.

Nothing to edit here. A test fails at once, with advice, when your consumer raises; it waits
at most TIMEOUT for a frame that should come.
"""

import asyncio
import json
import logging
import re
import traceback
import warnings
from contextlib import asynccontextmanager, contextmanager, suppress

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.exceptions import SynchronousOnlyOperation

from shop.asgi import application as shop_application

PATH = "/ws/notifications/"
TIMEOUT = 0.3  # seconds to wait for a frame that should come (they take milliseconds)
LESSON_FILE = re.compile(r"(consumers|receivers)\.py$")


# What the consumer did.


async def next_message(communicator, timeout=TIMEOUT):
    """The consumer's next ASGI message ({"type": "websocket.send", "text": ...}), or None if
    it sends none within `timeout` s. If the consumer raises, this raises that, at once."""
    getting = asyncio.ensure_future(communicator.output_queue.get())
    await asyncio.wait(
        {getting, communicator.future}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    if getting.done():
        return getting.result()
    getting.cancel()
    if communicator.future.done():
        communicator.future.result()  # Raises what the consumer raised.
    return None


async def attempt(awaitable):
    """(its result, None), or (None, the exception) if it raised. A test then fails outside
    the except clause: its report is the advice, not the trace of the consumer's exception."""
    try:
        return await awaitable, None
    except Exception as error:
        return None, error


async def handshake(communicator, who="a logged-in user"):
    """Open the socket: the consumer's answer, {"type": "websocket.accept"} or a close."""
    __tracebackhide__ = True  # A failure here is reported at the test's line.
    await communicator.send_input({"type": "websocket.connect"})
    answer = await next_message(communicator)
    if answer is None:
        pytest.fail(
            f"The consumer neither accepted nor closed the socket of {who} within {TIMEOUT} s "
            "of the handshake: connect() must end in accept() for a logged-in user, and in "
            "accept() then close(code=CLOSE_NOT_LOGGED_IN) for an anonymous visitor. See "
            "connect() (TODO 1 and 2)."
        )
    return answer


def members(layer):
    """{group: number of connections} of the in-memory layer, empty groups left out."""
    return {group: len(channels) for group, channels in layer.groups.items() if channels}


def recording_sends(application, log):
    """The application, logging "accept", "send" and "close" as the consumer sends them."""

    async def app(scope, receive, send):
        async def logged_send(message):
            log.append(message["type"].removeprefix("websocket."))
            await send(message)

        return await application(scope, receive, logged_send)

    return app


def recording_joins(group_add, log):
    """A layer's group_add, logging "join <group>" once the group has the connection."""

    async def logged_group_add(group, channel):
        await group_add(group, channel)
        log.append(f"join {group}")

    return logged_group_add


# What went wrong, in the lesson's words.


def where_in_lesson(error):
    """ " (consumers.py:42)" for the deepest line of the lesson's files in the traceback."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if LESSON_FILE.search(frame.filename):
            return f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
    return ""


def consumer_failed(error, when, see):
    """Fail the test with advice about an exception the consumer raised."""
    __tracebackhide__ = True  # A failure here is reported at the test's line.
    if isinstance(error, NotImplementedError) and str(error).startswith("TODO"):
        raise error  # Not done yet: the kit says so, and where.
    text = f"{type(error).__name__}: {error}{where_in_lesson(error)}"
    if isinstance(error, SynchronousOnlyOperation) or "AsyncToSync in the same thread" in str(
        error
    ):
        pytest.fail(
            f"The consumer made a blocking call on the event loop {when}: {text}. Its methods "
            "run on the event loop: await the channel layer's methods directly (no "
            "async_to_sync), and reach the database only through database_sync_to_async."
        )
    if "is not JSON serializable" in str(error):
        pytest.fail(
            f"The consumer raised {text} {when}: a frame carries only what JSON can (strings, "
            "numbers, lists, objects); the receivers send prices as strings, ids as numbers. "
            f"See {see}."
        )
    if "can't be used in 'await' expression" in str(error):
        pytest.fail(
            f"The consumer raised {text} {when}: Channels awaits every handler of an async "
            "consumer, and a handler written with `def` returns None. Write it `async def`, "
            "and await send_json() in it. See TODO 3 and 4 in consumers.py."
        )
    if "'bool' object is not callable" in str(error):
        pytest.fail(
            f"The consumer raised {text} {when}: user.is_authenticated is a property, not a "
            "method (since Django 1.10): write `if not user.is_authenticated:`, no "
            "parentheses. See TODO 1 in consumers.py."
        )
    if "unexpected keyword argument 'bytes_data'" in str(error):
        pytest.fail(
            f"The consumer raised {text} {when}: Channels calls receive(text_data=...) for a "
            "text frame and receive(bytes_data=...) for a binary one. Keep the signature "
            "receive(self, text_data=None, bytes_data=None, **kwargs), and answer a binary "
            "frame with an error frame. See TODO 5 in consumers.py."
        )
    if "Group name must be" in str(error) and "!" in invalid_name(error):
        pytest.fail(
            f"The consumer raised {text} {when}: the name it refused, "
            f"{invalid_name(error)!r}, is the connection's channel, not a group. The group "
            "comes first: group_add(group, self.channel_name). See TODO 2 in consumers.py."
        )
    if "Group name must be" in str(error):
        pytest.fail(f"The consumer raised {text} {when}. {group_name_hint(error)}See TODO 2.")
    if "No handler for message type" in str(error):
        pytest.fail(
            f"The consumer raised {text} {when}: Channels calls the method named after a "
            "message's type, dots made underscores: price.changed -> price_changed(), "
            "report.sent -> report_sent(). See TODO 3 in consumers.py."
        )
    pytest.fail(f"The consumer raised {text} {when}; the socket died with it. See {see}.")


def what_differs(expected, heard):
    """Advice on how the messages a group heard differ from the expected ones ("" if not)."""
    if heard == expected or not heard:
        return ""
    if len(heard) == 2 * len(expected) and heard[::2] == heard[1::2] == expected:
        return (
            "Every message was sent twice: the receiver is connected twice. apps.py connects "
            "it already (with a dispatch_uid); a @receiver decorator on it, or another "
            "connect(), adds a second connection. "
        )
    not_json = [
        f"{key} is {a_type(value)}"
        for message in heard
        for key, value in message.items()
        if not is_json(value)
    ]
    if not_json:
        return (
            f"Some values are not JSON: {', '.join(dict.fromkeys(not_json))}. A frame (and "
            "the Redis layer's msgpack) carries only strings, numbers, lists and objects: "
            "send names, ids and prices as strings. "
        )
    if len(heard) != len(expected):
        return f"That is {len(heard)} message(s), not {len(expected)}. "
    for sent, wanted in zip(heard, expected, strict=True):
        if sent == wanted:
            continue
        missing = [key for key in wanted if key not in sent]
        extra = [key for key in sent if key not in wanted]
        if missing or extra:
            wrong = [f"missing {key!r}" for key in missing]
            wrong += [f"{key!r} is not in the wire format" for key in extra]
            return (
                f"The message has the keys {list(sent)}: {'; '.join(wrong)}. Send exactly the "
                "README's keys (the demo and the benchmarks read them). "
            )
        key = next(key for key in wanted if sent[key] != wanted[key])
        got, want = sent[key], wanted[key]
        if type(got) is not type(want):
            return (
                f"{key}: sent {got!r}, {a_type(got)}; expected {want!r}, {a_type(want)} (ids "
                "are numbers, prices strings). "
            )
        return f"{key}: sent {got!r}, expected {want!r}. "
    return ""


def a_type(value):
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiouAEIOU" else f"a {name}"


def is_json(value):
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def invalid_name(error):
    """The name that the channel layer refused as a group's ("" if not found)."""
    for frame, _ in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_name == "require_valid_group_name":
            return str(frame.f_locals.get("name", ""))
    return ""


def never_awaited_hint():
    names = [name for name in unawaited_coroutines() if not name.startswith("AsyncMock")]
    if not names:
        return ""
    return (
        f"A coroutine was never awaited: {', '.join(names)}. In async code, put `await` "
        "before it; in sync code, call it through async_to_sync(...)(...). "
    )


def short(frame):
    text = repr(frame)
    return text if len(text) <= 60 else f"{text[:45]}... ({len(frame):,} characters)"


# A browser's socket.


class Socket:
    """One browser's WebSocket, as the tests see it."""

    def __init__(self, communicator):
        self.communicator = communicator
        self.last_sent = None

    def _after(self):
        if self.last_sent is None:
            return ""
        kind = "a binary frame " if isinstance(self.last_sent, bytes) else ""
        return f" after the client sent {kind}{short(self.last_sent)}"

    async def send(self, frame):
        """Send a text frame (a str) or a binary one (bytes)."""
        __tracebackhide__ = True  # A failure here is reported at the test's line.
        self.last_sent = frame
        data = {"text": frame} if isinstance(frame, str) else {"bytes": frame}
        _, error = await attempt(
            self.communicator.send_input({"type": "websocket.receive", **data})
        )
        if error:
            consumer_failed(error, "before the frame could be sent", see="the previous step")

    async def receive(self, expected, see):
        """The next JSON frame; `expected` and `see` (where to look) explain a failure."""
        __tracebackhide__ = True  # A failure here is reported at the test's line.
        after = self._after()
        message, error = await attempt(next_message(self.communicator))
        if error:
            consumer_failed(error, after.strip() or "while the test waited for a frame", see)
        if message is None:
            pytest.fail(
                f"No frame arrived within {TIMEOUT} s{after}; expected {expected}. "
                f"{never_awaited_hint()}See {see}."
            )
        if message["type"] == "websocket.close":
            pytest.fail(
                f"The consumer closed the socket (code {message.get('code', 1000)}){after}; "
                f"expected {expected}, and the socket to stay open. See {see}."
            )
        text = message.get("text")
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            pytest.fail(
                f"The consumer sent {short(text or message.get('bytes'))}, which is not JSON "
                f"text{after}; expected {expected}. Send frames with send_json(). See {see}."
            )


@asynccontextmanager
async def connected(headers, must_join=(), application=shop_application):
    """A WebSocket to /ws/notifications/ that the consumer accepted; closed on the way out.

    must_join: groups the connection must be in for the test to make sense (else: TODO 2).
    """
    __tracebackhide__ = True  # A failure here is reported at the test's line.
    communicator = WebsocketCommunicator(application, PATH, headers=headers)
    try:
        answer, error = await attempt(handshake(communicator))
        if error:
            consumer_failed(error, "when a logged-in user connected", see="connect()")
        if answer["type"] != "websocket.accept":
            pytest.fail(
                f"A logged-in user's connection was refused ({answer}): accept it. "
                "See connect() (TODO 1)."
            )
        layer = get_channel_layer()
        missing = [group for group in must_join if not layer.groups.get(group)]
        if missing:
            pytest.fail(
                f"The connection is not in the group(s) {missing}, so nothing sent there can "
                f"reach it: do TODO 2 first. {never_awaited_hint()}"
            )
        yield Socket(communicator)
        error = await disconnected(communicator)
        if error:
            consumer_failed(error, "when the socket closed", see="disconnect()")
    finally:
        await closed(communicator)


async def disconnected(communicator):
    """Close the socket as a browser does; the exception the consumer raised then, or None."""
    await communicator.send_input({"type": "websocket.disconnect", "code": 1001})
    _, error = await attempt(communicator.wait(TIMEOUT))
    return None if isinstance(error, TimeoutError) else error


async def closed(communicator):
    # A consumer that failed or hung has been reported by the test already.
    with suppress(Exception, asyncio.CancelledError):
        await communicator.disconnect(timeout=TIMEOUT)


async def group_send(group, message):
    await get_channel_layer().group_send(group, message)


@contextmanager
def json_decoding():
    """The lengths of the texts json.loads() decodes meanwhile (decode_json() calls it)."""
    decoded = []
    real_loads = json.loads

    def loads(text, *args, **kwargs):
        decoded.append(len(text))
        return real_loads(text, *args, **kwargs)

    json.loads = loads
    try:
        yield decoded
    finally:
        json.loads = real_loads


# The channel layer, as the receivers use it.


class Inbox:
    """A channel that joined a group, as a consumer would, to see what is sent to the group."""

    def __init__(self, layer, group):
        self.layer = layer
        self.group = group
        self.channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, self.channel)

    def messages(self):
        """Every message sent to the group since the last call, at once (the in-memory layer
        has them queued by the time group_send returns)."""
        return async_to_sync(self._drain)()

    async def _drain(self):
        received = []
        while True:
            try:
                received.append(await asyncio.wait_for(self.layer.receive(self.channel), 0.005))
            except TimeoutError:
                return received

    def why_nothing(self, heard):
        if heard:
            return ""
        if self.group in self.layer.channels:
            return (
                f"Your code sent to a channel named {self.group!r} (layer.send()), which no "
                "connection reads: the connections are in a group of that name, and a group "
                "hears only group_send(group, message). "
            )
        if stale_sends:
            return (
                f"Your code did send, to {stale_sends}, but through a channel layer that is no "
                "longer the current one: call get_channel_layer() when you send (a layer "
                "fetched once, at import, misses the one these tests install). "
            )
        if callback_errors:
            error = callback_errors[-1]
            return (
                f"Your on_commit() callback raised {type(error).__name__}: {error}"
                f"{where_in_lesson(error)}; robust=True logged it on 'django.db.backends.base' "
                f"and went on. {group_name_hint(error)}"
            )
        return never_awaited_hint()


def group_name_hint(error):
    if "Group name must be" not in str(error):
        return ""
    return (
        "Group names are ASCII letters, digits, '-', '_' and '.', shorter than 100 "
        "characters: use groups.PRICES and groups.for_user(). "
    )


callback_errors = []  # what on_commit(..., robust=True) caught and logged during the test


class CallbackErrors(logging.Handler):
    """Collects the exceptions that robust on_commit() callbacks raised (Django logs them)."""

    def emit(self, record):
        if record.exc_info and not isinstance(record.exc_info[1], ChannelLayerDown):
            callback_errors.append(record.exc_info[1])


@contextmanager
def recording_callback_errors():
    handler = CallbackErrors(logging.ERROR)
    logger = logging.getLogger("django.db.backends.base")
    callback_errors.clear()
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


stale_sends = []  # groups sent to through a layer that a test had already replaced


def retire(layer):
    """A replaced layer: what is sent through it is noted in stale_sends, and goes nowhere."""

    async def group_send(group, message):
        stale_sends.append(group)

    layer.group_send = group_send


class ChannelLayerDown(Exception):
    """What a channel layer whose server does not answer raises (a test double)."""


class BrokenLayer:
    """Makes a layer's group_send raise, as Redis does when it is down; spots the logs of it."""

    MESSAGE = "the channel layer is down (a test double of an unreachable Redis)"

    def __init__(self, layer):
        self.failures = []

        async def group_send(group, message):
            error = ChannelLayerDown(self.MESSAGE)
            self.failures.append(error)
            raise error

        layer.group_send = group_send

    def mentioned_in(self, record):
        exception = record.exc_info[1] if record.exc_info else None
        while exception is not None:
            if isinstance(exception, ChannelLayerDown):
                return True
            exception = exception.__cause__ or exception.__context__
        return self.MESSAGE in record.getMessage()

    def other_records(self, caplog):
        seen = [
            f"{record.levelname} on {record.name!r}: {record.getMessage()[:60]!r}"
            for record in caplog.records
            if record.levelno >= 20
        ]
        return "; ".join(seen) or "none"


@contextmanager
def saving(when="when a PriceChange was saved"):
    """Turn an exception that a save (or a signal) raised into advice."""
    __tracebackhide__ = True  # A failure here is reported at the test's line.
    try:
        yield
    except (ChannelLayerDown, AttributeError, TypeError, ValueError) as error:
        raised = error
    else:
        return
    # Failing outside the except clause keeps the report to the advice, without the trace of
    # everything the save went through.
    pytest.fail(advice_for_save(raised, when))


def advice_for_save(error, when):
    text = f"{type(error).__name__}: {str(error).rstrip('.')}{where_in_lesson(error)}"
    if isinstance(error, ChannelLayerDown):
        return (
            f"The channel layer's failure escaped {when}: {error}. The data is saved, yet the "
            "admin would answer 500. Schedule the push with transaction.on_commit(..., "
            "robust=True), which logs the error instead of raising it. See TODO 6."
        )
    if "__qualname__" in str(error):
        return (
            f"Raised {when}: {text}. on_commit(..., robust=True) names a failed callback by "
            "its __qualname__, and a functools.partial has none (Django 5.2): pass a lambda "
            "or a def instead. See TODO 6 in receivers.py."
        )
    if "callback must be a callable" in str(error):
        return (
            f"Raised {when}: {text}. on_commit() takes a function to call later, "
            "on_commit(lambda: send_to_group(group, message), robust=True); "
            "on_commit(send_to_group(...)) sends at once and hands on_commit the result, "
            "None. See TODO 6 in receivers.py."
        )
    if "Group name must be" in str(error):
        return f"Pushing raised {text} {when}. {group_name_hint(error)}See TODO 6 and 7."
    if "required positional argument" in str(error) or "unexpected keyword" in str(error):
        return (
            f"Raised {when}: {text}. A signal passes its arguments by name: post_save sends "
            "sender=, instance= and created=; order_report_sent sends sender= and order=. "
            "Name the receiver's parameters so, and take the rest as **kwargs. See TODO 6 "
            "and 7 in receivers.py."
        )
    # A Decimal's own method called on a price that arrived as an int, a str or a float.
    wrong_type = re.search(
        r"'(int|str|float)' object has no attribute '(quantize|normalize)'", str(error)
    )
    if isinstance(error, ValueError) or "must be real number" in str(error) or wrong_type:
        return (
            f"Raised {when}: {text}. A price may arrive as a Decimal, an int or a str: "
            "format Decimal(price). See TODO 6 in receivers.py."
        )
    return f"Raised {when}: {text}. See TODO 6 and 7 in receivers.py."


# Coroutines that were never awaited: their RuntimeWarning says which.

_caught = []


@contextmanager
def recording_unawaited_coroutines():
    """Record warnings while a test runs, then pass them on to pytest's report."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _caught.append(caught)
        try:
            yield
        finally:
            _caught.remove(caught)
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def unawaited_coroutines():
    found = []
    for caught in _caught:
        for warning in caught:
            match = re.search(r"coroutine '([^']+)' was never awaited", str(warning.message))
            if match:
                found.append(match.group(1))
    return found
