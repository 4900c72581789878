"""Fixtures for lesson 02: receivers held as in production, and a mail server that refuses."""

import gc
import socket

import pytest
from django.utils import inspect as django_inspect

# A permanent refusal (5xx): trying again will not help, and the signup must stand anyway.
REFUSAL = "550 5.7.1 Relaying denied for the welcome email"


@pytest.fixture
def refusing_smtp_server(deliver_by_smtp):
    """The loopback SMTP server Django delivers to, answering every message with REFUSAL."""
    sink = deliver_by_smtp.sink

    async def refuse(server, session, envelope):  # aiosmtpd's DATA hook: its reply is final.
        sink.attempts += 1
        return REFUSAL

    sink.handle_DATA = refuse
    return deliver_by_smtp


@pytest.fixture
def mail_server_down(settings):
    """Django's SMTP backend pointed at a port on loopback where nothing listens.

    The port is held, bound but not listening, so a connection is refused at once.
    """
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = held.getsockname()
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield


@pytest.fixture(scope="session", autouse=True)
def receivers_held_as_in_production():
    """Let a receiver that nothing keeps alive vanish, as it does in production.

    Django holds receivers by weak reference: a function that nothing else keeps alive (one
    defined inside ready()) is gone once it is garbage. But with DEBUG on, as when the apps
    loaded, connect() checks each receiver's signature and Django caches that check, with a
    strong reference to the function: it survives in development and vanishes in production.
    Drop the cache (DEBUG off never fills it) and collect the garbage, as a server would.
    """
    getattr(django_inspect._get_func_parameters, "cache_clear", lambda: None)()
    gc.collect()
