"""`python -m workshop demo`, walked through in headless Chromium: its three flows, then Ctrl-C.

The demo runs as a process of its own (the `demo` fixture, tests/conftest.py), started as a
learner starts it, on a free port; the browser is asked for first, so that without one the test
skips before the demo starts.
"""

import re

import pytest

pytestmark = [pytest.mark.reference, pytest.mark.browser, pytest.mark.timeout(90)]


def test_the_demo_walks_through_signup_price_change_and_order(page, demo):
    from playwright.sync_api import expect

    page.goto(demo.url)

    # 1. Sign up: the welcome email arrives in the SMTP sink's inbox.
    page.fill("#id_username", "ada")
    page.fill("#id_email", "ada@example.com")
    page.fill("#id_password1", "analytical-engine-1843")
    page.fill("#id_password2", "analytical-engine-1843")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#username")).to_have_text("ada")
    inbox = page.locator("#inbox .message")
    expect(inbox).to_have_count(1)
    expect(inbox.first).to_contain_text("To: ada@example.com")
    expect(page.locator("#live-status")).to_contain_text("Connected")

    # 2. Change a price: the price log records it and every connected page hears of it.
    page.get_by_label("New price for Mug").fill("12.00")
    page.get_by_role("row", name=re.compile("^Mug")).get_by_role("button").first.click()
    expect(page.locator('#live li[data-type="price.changed"]')).to_contain_text(
        "Price of Mug: 9.50 → 12.00"
    )
    expect(page.locator(".price").first).to_have_text("12.00")
    expect(page.locator("#price-log")).to_contain_text("Mug: 9.50 → 12.00")
    expect(page.locator("#log")).to_contain_text("shop.prices: Mug: 9.50 -> 12.00")

    # 3. Place an order: the worker emails its report, then the owner is told, live.
    page.get_by_role("button", name="Order Tea", exact=True).click()
    expect(page.locator("#orders li")).to_have_count(1)
    expect(page.locator('#live li[data-type="report.sent"]')).to_contain_text(
        "The report for order #1 was sent"
    )
    expect(page.locator("#orders li").first).to_have_attribute("data-report-sent", "yes")
    expect(inbox).to_have_count(2)
    expect(inbox.first).to_contain_text("To: ada@example.com")

    # 4. Take the broker down: an order is still placed, and its report waits in the outbox
    # (lesson 06) until the broker is back.
    page.get_by_role("button", name="Take the broker down").click()
    expect(page.locator("#broker-status")).to_have_text("down")
    page.get_by_role("button", name="Order Mug", exact=True).click()
    expect(page.locator("#orders li")).to_have_count(2)
    expect(page.locator('#outbox li[data-status="pending"]')).to_have_count(1)
    expect(page.locator("#outbox-pending")).to_have_text("1")
    expect(page.locator("#orders li").first).to_have_attribute("data-report-sent", "no")
    page.get_by_role("button", name="Bring the broker back").click()
    expect(page.locator("#outbox-pending")).to_have_text("0")
    expect(page.locator("#orders li").first).to_have_attribute("data-report-sent", "yes")
    expect(inbox).to_have_count(3)

    # Ctrl-C stops the server, the worker and the mail sink.
    seconds = demo.interrupt()
    assert seconds is not None, f"Ctrl-C did not stop the demo:\n{''.join(demo.output)}"
    assert demo.process.returncode == 0 and seconds < 6, (
        f"The demo should stop cleanly within a few seconds of Ctrl-C; it took {seconds:.1f} s "
        f"and exited with {demo.process.returncode}:\n{''.join(demo.output)}"
    )
