"""Fixtures every lesson can use: customers, products, a mail server, a live server, a browser.

The course kit's pytest plugin (workshop/pytest_plugin.py) loads first: it adds --solutions and
keeps each lesson's tests to that lesson's own receivers.
"""

from decimal import Decimal

import pytest

# Customers are numbered from 1001 and orders from 1, so an order's id is never its owner's: code
# that looks one up by the other finds nothing, rather than the right row by chance.


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        pk=1001, username="alice", email="alice@example.com", password="wonderland-42"
    )


@pytest.fixture
def other_customer(django_user_model):
    return django_user_model.objects.create_user(
        pk=1002, username="bob", email="bob@example.com", password="builder-42"
    )


@pytest.fixture
def mug(db):
    from shop.models import Product

    return Product.objects.create(name="Mug", price=Decimal("9.50"))


@pytest.fixture
def tea(db):
    from shop.models import Product

    return Product.objects.create(name="Tea", price=Decimal("4.00"))


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (workshop/smtp.py); it keeps what it receives."""
    from workshop.smtp import SMTPServer

    with SMTPServer() as server:
        yield server


@pytest.fixture
def deliver_by_smtp(settings, smtp_server):
    """Make Django send mail through its SMTP backend to `smtp_server`."""
    for name, value in smtp_server.django_settings().items():
        setattr(settings, name, value)
    return smtp_server


@pytest.fixture
def asgi_live_server(transactional_db, settings):
    """The shop served by a real ASGI server (Daphne, in a thread; workshop/liveserver.py).

    Its `url` and `ws_url` are http://127.0.0.1:<port> and ws://... It sees the test database
    (committed data: hence transactional_db) and shares a channel layer with the test, so
    code run beside the test (workshop.browser.in_another_thread) can push to its sockets.
    """
    from workshop import liveserver

    settings.CHANNEL_LAYERS = liveserver.SHARED_CHANNEL_LAYERS
    return liveserver.start()


@pytest.fixture
def chromium():
    """A headless Chromium (a Playwright Browser); skipped where none is installed, failed on CI.

    One per test, closed after it: while Playwright runs, its event loop occupies the test's
    thread, and the async tests that come next need that thread free.
    """
    from workshop import browser

    with browser.launch() as launched:
        yield launched


@pytest.fixture
def page(chromium):
    """A fresh browser tab, with its own cookies; Playwright waits at most 5 s for anything."""
    context = chromium.new_context()
    context.set_default_timeout(5000)
    yield context.new_page()
    context.close()
