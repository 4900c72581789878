"""Small helpers the lessons' tests share."""

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
def restored_receivers(*signals):
    """Undo whatever a test connects to these signals (Django's own tests do the same)."""
    saved = {signal: list(signal.receivers) for signal in signals}
    try:
        yield
    finally:
        for signal, receivers in saved.items():
            signal.receivers[:] = receivers
            signal.sender_receivers_cache.clear()
