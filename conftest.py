"""Fixtures every lesson can use: a customer and some products.

The course kit's pytest plugin (workshop/pytest_plugin.py) loads first and adds --solutions.
"""

import sys
import weakref
from decimal import Decimal

import pytest


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        username="alice", email="alice@example.com", password="wonderland-42"
    )


@pytest.fixture
def other_customer(django_user_model):
    return django_user_model.objects.create_user(
        username="bob", email="bob@example.com", password="builder-42"
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


@pytest.fixture(autouse=True)
def only_this_lessons_receivers(request):
    """A lesson's tests hear only that lesson's receivers, as when it runs on its own.

    `pytest --solutions` loads every lesson into one Django: without this, lesson 02's welcome
    email would land in lesson 04's outbox, and lesson 03's price log would add its queries to
    other lessons' product saves. Receivers of the shop, Django and the kit stay connected.
    """
    from workshop import course

    lesson = course.lesson_for_path(request.path)
    if lesson is None:  # The kit's own tests, under tests/: everything stays connected.
        yield
        return
    others = {other.package for other in course.lessons()} - {lesson.package}
    muted = {}
    for signal in loaded_django_signals():
        kept = [entry for entry in signal.receivers if receiver_package(entry[1]) not in others]
        if len(kept) < len(signal.receivers):
            muted[signal] = list(signal.receivers)
            signal.receivers[:] = kept
            signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        for signal, receivers in muted.items():
            signal.receivers[:] = receivers
            signal.sender_receivers_cache.clear()


def loaded_django_signals():
    """Every Django Signal defined in an imported module named like `signals`."""
    from django.dispatch import Signal

    found = {}
    for name, module in list(sys.modules.items()):
        if name.rpartition(".")[2] == "signals" and module is not None:
            for value in vars(module).values():
                if isinstance(value, Signal):
                    found[id(value)] = value
    return found.values()


def receiver_package(reference):
    """The top-level package of a connected receiver ("welcome_email"), or "" if unknown."""
    receiver = reference() if isinstance(reference, weakref.ReferenceType) else reference
    return (getattr(receiver, "__module__", None) or "").partition(".")[0]
