"""Fixtures for lesson 05: a fresh channel layer, and the headers of a browser's WebSocket."""

from importlib import import_module

import pytest
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from channels_push.testing import (
    BrokenLayer,
    recording_callback_errors,
    recording_unawaited_coroutines,
    retire,
    stale_sends,
)


@pytest.fixture
def anyio_backend():
    # The async tests run on asyncio (anyio's pytest plugin runs them), as Channels does.
    return "asyncio"


@pytest.fixture
def channel_layer(settings):
    """A fresh in-memory channel layer: no groups or messages left over from another test."""
    previous = channel_layers.backends.get(DEFAULT_CHANNEL_LAYER)
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()
    stale_sends.clear()
    if previous is not None and previous is not layer:
        retire(previous)  # Code that kept it (fetched at import) is told so.
    return layer


def browser_headers(user=None):
    """What a browser on the shop's page sends with its WebSocket handshake: its Origin, and
    the session cookie of the user it is logged in as (if any)."""
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_of(user)}".encode()))
    return headers


def session_of(user):
    """The key of a real session in the database, holding what django.contrib.auth's login()
    stores (Client.force_login() does the same, and more that these tests do not need)."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


@pytest.fixture
def anonymous(channel_layer):
    return browser_headers()


@pytest.fixture
def alice(channel_layer, customer):
    return browser_headers(customer)


@pytest.fixture
def bob(channel_layer, other_customer):
    return browser_headers(other_customer)


def pytest_collection_modifyitems(items):
    # The browser tests check every step at once: run them after the steps' own tests.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def layer_down(channel_layer):
    """The channel layer, down: every group_send raises, as it does when Redis is unreachable."""
    return BrokenLayer(channel_layer)


@pytest.fixture(autouse=True)
def _hidden_failures():
    # A coroutine called without `await` does nothing but warn, and on_commit(..., robust=True)
    # logs a callback's exception instead of raising it: the tests' messages say which.
    with recording_unawaited_coroutines(), recording_callback_errors():
        yield
