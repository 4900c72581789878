"""Fixtures for lesson 01: the receivers as loading the app left them, and placing orders.

pytest imports this file after Django has loaded the apps (every `ready()` has run) and before
it imports the lesson's test module. So what is connected now is what loading the app connected:
an `@receiver` function is connected when its module is imported, and a test module that imports
receivers.py would connect it even if `ready()` never did. A real server imports no test module.
"""

import gc
import sys
import weakref
from functools import partial

import pytest
from django.db.models.signals import post_save
from django.utils import inspect as django_inspect

from workshop.testing import restored_receivers

# Django holds receivers by weak reference: a function that nothing else keeps alive (defined
# inside ready(), a lambda) is gone once it is garbage. But with DEBUG on, as here, connect()
# checks each receiver's signature and Django caches that check, with a strong reference to
# the function: it survives in development and vanishes in production. Drop the cache (DEBUG
# off never fills it) and collect the garbage, as a running server would.
getattr(django_inspect._get_func_parameters, "cache_clear", lambda: None)()
gc.collect()

# signals.py is not imported here: if loading the app never imported it, nothing is connected
# to its signals yet, and importing it now could connect receivers a learner put in it.
_signals = sys.modules.get("signals_basics.signals")
CONNECTED_BY_LOADING_THE_APP = {
    "post_save": list(post_save.receivers),
    "order_placed": list(_signals.order_placed.receivers) if _signals else [],
}


@pytest.fixture
def only_receivers_connected_by_loading_the_app():
    """Inside the test, the lesson's signals keep only what loading the app connected.

    Yields the names of the receivers left out: those connected later, by a test module
    importing receivers.py, say.
    """
    from signals_basics.signals import order_placed

    signals = {"post_save": post_save, "order_placed": order_placed}
    connected_later = []
    with restored_receivers(*signals.values()):
        for name, signal in signals.items():
            loaded = CONNECTED_BY_LOADING_THE_APP[name]
            connected_later += [name_of(entry) for entry in signal.receivers if entry not in loaded]
            signal.receivers[:] = [entry for entry in signal.receivers if entry in loaded]
            signal.sender_receivers_cache.clear()
        yield connected_later


def name_of(entry):
    _key, reference, _is_async = entry
    receiver = reference() if isinstance(reference, weakref.ReferenceType) else reference
    return getattr(receiver, "__qualname__", repr(receiver))


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the block, then what it left for after the commit.

    Each test runs in a transaction that is rolled back, never committed: the callbacks of
    `transaction.on_commit()` (if the lesson's code uses it) are run here as a commit would.
    """
    return partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture
def place_order(committed):
    """services.place_order(), then what it left for after the commit."""
    from signals_basics import services

    def place(owner, products):
        with committed():
            return services.place_order(owner, products)

    return place
