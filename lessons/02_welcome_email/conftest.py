"""Fixtures for lesson 02: a mail server that refuses the welcome email for good.

pytest imports this file after Django has loaded the apps (every `ready()` has run).
"""

import gc

import pytest
from django.utils import inspect as django_inspect

# Django holds receivers by weak reference: a function that nothing else keeps alive (one
# defined inside ready()) is gone once it is garbage. But with DEBUG on, as here, connect()
# checks each receiver's signature and Django caches that check, with a strong reference to the
# function: it survives in development and vanishes in production. Drop the cache (DEBUG off
# never fills it) and collect the garbage, as a running server would.
getattr(django_inspect._get_func_parameters, "cache_clear", lambda: None)()
gc.collect()

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
