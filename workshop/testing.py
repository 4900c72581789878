"""Small helpers the lessons' tests share."""

import time
from contextlib import contextmanager


@contextmanager
def received(signal, **connect_kwargs):
    """Collect the keyword arguments of every send of `signal` inside the `with` block.

    with received(order_placed) as calls:
        place_order(...)
    assert calls[0]["order"] == order
    """
    calls = []

    def listener(sender, **kwargs):
        kwargs.pop("signal", None)
        calls.append({"sender": sender, **kwargs})

    signal.connect(listener, weak=False, **connect_kwargs)
    try:
        yield calls
    finally:
        signal.disconnect(listener, **connect_kwargs)


@contextmanager
def before_each_send(hook):
    """Call hook() each time Django's test mail backend (locmem, `mailoutbox`) is asked to send,
    in the sending thread, then send as it would have.

    with before_each_send(lambda: in_a_transaction.append(connection.in_atomic_block)):
        ...
    """
    from unittest import mock

    from django.core.mail.backends.locmem import EmailBackend

    send_messages = EmailBackend.send_messages

    def hooked(backend, messages):
        hook()
        return send_messages(backend, messages)

    with mock.patch.object(EmailBackend, "send_messages", hooked):
        yield


@contextmanager
def restored_receivers(*signals):
    """Undo whatever a test connects to these signals (Django's own tests do the same)."""
    saved = {signal: list(signal.receivers) for signal in signals}
    try:
        yield
    finally:
        for signal, receivers in saved.items():
            with signal.lock:  # As Signal.connect() and disconnect() change the list.
                signal.receivers[:] = receivers
                signal.sender_receivers_cache.clear()


def wait_until(condition, timeout=5.0, what=None, interval=0.01):
    """Poll condition() until it returns something true, and return that.

    After `timeout` seconds: raise TimeoutError("<what> within <timeout> s") if `what` is given,
    else return the last (false) value. Polls every `interval` seconds: short, so that a test
    ends as soon as what it waits for has happened.
    """
    deadline = time.monotonic() + timeout
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(interval)
    if not result and what is not None:
        raise TimeoutError(f"{what} within {timeout} s")
    return result
