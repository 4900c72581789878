"""Small helpers the lessons' tests share."""

import random
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


class RandomDraws:
    """The random module's draws, pinned to one end of their range for a test (jitter).

    A wait drawn at random up to a backoff (jitter) shows the backoff itself when every draw is
    the widest it can be, and its floor when the narrowest: a test of the waits then passes or
    fails for the code, never by chance. random(), uniform(), randint() and randrange() are
    pinned on the random module, and in `modules` where they were imported by name
    (`from random import uniform`). Celery's own jitter draws with random.randrange().

        RandomDraws(monkeypatch, tasks_module).pin(widest=True)
    """

    NAMES = ("random", "uniform", "randint", "randrange")

    def __init__(self, monkeypatch, *modules):
        self._monkeypatch = monkeypatch
        originals = {id(getattr(random, name)): name for name in self.NAMES}
        self._imported_by_name = [
            (module, attribute, originals[id(value)])
            for module in modules
            for attribute, value in vars(module).items()
            if id(value) in originals
        ]

    def pin(self, *, widest):
        """Make every draw return the top of its range (widest) or the bottom."""
        draws = {
            "random": lambda: 1.0 if widest else 0.0,
            "uniform": lambda a, b: max(a, b) if widest else min(a, b),
            "randint": lambda a, b: b if widest else a,
            "randrange": lambda start, stop=None, step=1: (
                (start if stop is None else stop) - 1 if widest else (0 if stop is None else start)
            ),
        }
        for name, draw in draws.items():
            self._monkeypatch.setattr(random, name, draw)
        for module, attribute, name in self._imported_by_name:
            self._monkeypatch.setattr(module, attribute, draws[name])
        return self
