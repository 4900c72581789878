"""Lesson 05 in a real browser: the /live/ page, served by Daphne, shows events as they happen.

Headless Chromium logs in through the login form and opens /live/; the page's plain JavaScript
(shop/static/shop/live.js) opens the WebSocket. Then a price changes elsewhere (another thread,
as another user's request or a Celery worker would change it), and the page must show it.
Skipped where no Chromium is installed: `python -m pytest -m "not browser"` leaves them out.
"""

import time
from decimal import Decimal

import pytest

from shop.models import PriceChange
from workshop.browser import in_another_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUSH_DEADLINE_MS = 1000


def log_in(page, server, username, password):
    """Log in through the form, land on /live/ (LOGIN_REDIRECT_URL), wait for its socket."""
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/live/")
    page.wait_for_selector("#status[data-state=connected]")


def change_price(product, old, new):
    PriceChange.objects.create(product=product, old_price=Decimal(old), new_price=Decimal(new))


def first_event_text(page):
    """The newest event on the page, once one shows; None if none shows within the deadline."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    event = page.locator("#events .event").first
    try:
        event.wait_for(timeout=PUSH_DEADLINE_MS)
    except PlaywrightTimeout:
        return None
    return event.text_content()


def test_a_price_change_shows_on_the_live_page_within_a_second(
    asgi_live_server, page, customer, mug
):
    log_in(page, asgi_live_server, "alice", "wonderland-42")

    started = time.monotonic()
    in_another_thread(change_price, mug, "9.50", "10.00")
    shown = first_event_text(page)
    elapsed_ms = (time.monotonic() - started) * 1000

    assert shown == "Mug: 9.50 → 10.00", (
        f"Within {PUSH_DEADLINE_MS} ms of the price change, /live/ should show "
        f"'Mug: 9.50 → 10.00'; after {elapsed_ms:.0f} ms it shows {shown!r}. The tests in "
        "test_channels_push.py say which step is missing."
    )


def test_the_live_page_reconnects_after_a_drop(asgi_live_server, page, customer, mug):
    # Keep a handle on every socket the page opens, so that the test can drop one.
    page.add_init_script(
        "window.openedSockets = [];"
        "window.WebSocket = class extends WebSocket {"
        "  constructor(...args) { super(...args); window.openedSockets.push(this); }"
        "};"
    )
    log_in(page, asgi_live_server, "alice", "wonderland-42")

    page.evaluate("window.openedSockets.at(-1).close()")
    page.wait_for_selector("#status[data-state=reconnecting]")
    page.wait_for_selector("#status[data-state=connected]")
    in_another_thread(change_price, mug, "9.50", "10.00")
    shown = first_event_text(page)

    sockets = page.evaluate("window.openedSockets.length")
    assert sockets == 2 and shown == "Mug: 9.50 → 10.00", (
        f"After its socket dropped, /live/ should open a new one ({sockets} opened) and show "
        f"the next price change, 'Mug: 9.50 → 10.00' (it shows {shown!r})."
    )
