"""Lesson 01: signals basics. Read top to bottom: the first failing test is your next step."""

import importlib
import logging
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db.models.signals import post_save

from shop.models import Order, Product
from signals_basics import receivers, services
from signals_basics.signals import order_placed, prices_changed
from workshop.testing import received, restored_receivers

pytestmark = pytest.mark.django_db

EVENTS = "shop.events"


@pytest.fixture(autouse=True)
def events_at_info(caplog):
    caplog.set_level(logging.INFO, logger=EVENTS)


def event_lines(caplog):
    return [record.getMessage() for record in caplog.records if record.name == EVENTS]


# TODO 1 and 2: a receiver for post_save, connected in apps.py.


def test_creating_a_product_logs_it(caplog):
    Product.objects.create(name="Mug", price=Decimal("9.50"))

    assert event_lines(caplog) == ["New product: Mug at 9.50"], (
        "Creating a product should log exactly 'New product: Mug at 9.50' on the "
        f"'shop.events' logger; it logged {event_lines(caplog)}. Write log_new_product in "
        "receivers.py (TODO 1) and connect it to post_save in apps.py (TODO 2)."
    )


def test_saving_an_existing_product_does_not_log_it_again(mug, caplog):
    caplog.clear()
    mug.price = Decimal("10.00")
    mug.save()

    assert event_lines(caplog) == [], (
        f"Saving a product that already exists logged {event_lines(caplog)}. post_save fires "
        "on every save: log only when the `created` argument is True."
    )


def test_saving_a_user_does_not_reach_the_product_receiver(caplog):
    try:
        User.objects.create_user(username="carol")
    except AttributeError as error:
        pytest.fail(
            f"Saving a User called log_new_product, which failed: {error}. Connect it with "
            "sender=Product, so that it hears about products only."
        )

    assert not any(line.startswith("New product") for line in event_lines(caplog)), (
        "Saving a User logged a 'New product' line. Connect log_new_product with "
        "sender=Product, so that it hears about products only."
    )


def test_a_reimported_receivers_module_still_logs_each_product_once(caplog):
    with restored_receivers(post_save, order_placed):
        # A module imported a second time (reloaded, or under another name) defines new
        # function objects, and ready() may run again: the receiver must stay connected once.
        importlib.reload(receivers)
        apps.get_app_config("signals_basics").ready()
        Product.objects.create(name="Mug", price=Decimal("9.50"))

    logged = event_lines(caplog).count("New product: Mug at 9.50")
    assert logged == 1, (
        f"Creating one product logged it {logged} times after ready() ran again. "
        + (
            "Connect log_new_product in ready() first (TODO 2)."
            if logged == 0
            else "Pass a dispatch_uid to post_save.connect(): a second connect() with the "
            "same uid is ignored, even for a new function object."
        )
    )


# TODO 3 and 4: a custom signal, sent robustly by domain code.


def test_place_order_sends_order_placed_with_the_order(customer, mug):
    with received(order_placed) as calls:
        order = services.place_order(customer, [mug])

    assert [(call["sender"], call.get("order")) for call in calls] == [(Order, order)], (
        f"place_order() should send order_placed once, with sender=Order and order=<the new "
        f"order>; the signal was sent {len(calls)} times: {calls}. See TODO 3 in services.py."
    )


def test_a_failing_receiver_does_not_stop_place_order(customer, mug):
    def broken_receiver(sender, **kwargs):
        raise RuntimeError("the warehouse is on fire")

    with received(order_placed) as calls, restored_receivers(order_placed):
        order_placed.connect(broken_receiver)
        try:
            order = services.place_order(customer, [mug])
        except RuntimeError:
            pytest.fail(
                "A receiver that raised broke place_order(). Send order_placed with "
                "send_robust(): it catches each receiver's exception and returns it."
            )

    assert calls and Order.objects.filter(pk=order.pk).exists(), (
        "place_order() should still save the order and announce it with order_placed when "
        "one receiver raises. See TODO 3 in services.py."
    )


def test_a_failing_receivers_error_is_logged_with_its_traceback(customer, mug, caplog):
    def broken_receiver(sender, **kwargs):
        raise RuntimeError("the warehouse is on fire")

    with restored_receivers(order_placed):
        order_placed.connect(broken_receiver)
        services.place_order(customer, [mug])

    errors = [r for r in caplog.records if r.name == EVENTS and r.levelno >= logging.ERROR]
    assert errors and errors[0].exc_info and "broken_receiver" in errors[0].getMessage(), (
        "When a receiver raises, place_order() should log an error on 'shop.events' that "
        "names the receiver and carries the traceback (exc_info=response). Errors logged: "
        f"{[r.getMessage() for r in errors]}. See TODO 3 in services.py."
    )


def test_placing_an_order_logs_it(customer, mug, tea, caplog):
    caplog.clear()
    order = services.place_order(customer, [mug, tea])

    expected = f"Order #{order.pk} placed by alice: 13.50"
    assert expected in event_lines(caplog), (
        f"Placing an order should log '{expected}' on 'shop.events'; it logged "
        f"{event_lines(caplog)}. Write log_order_placed in receivers.py and connect it to "
        "order_placed in apps.py (TODO 4)."
    )


# TODO 5: a bulk change, announced by the one function that makes it.


def test_change_prices_changes_every_product_rounded_to_cents(mug, tea):
    services.change_prices(Product.objects.all(), percent=10)

    prices = dict(Product.objects.values_list("name", "price"))
    assert prices == {"Mug": Decimal("10.45"), "Tea": Decimal("4.40")}, (
        f"change_prices(all products, percent=10) should give Mug 10.45 and Tea 4.40; the "
        f"prices are now {prices}. See TODO 5 in services.py."
    )


def test_change_prices_sends_prices_changed_with_the_product_ids(mug, tea):
    with received(prices_changed) as calls:
        services.change_prices(Product.objects.filter(name="Mug"), percent=-20)

    sent = [(call["sender"], call.get("product_ids"), call.get("percent")) for call in calls]
    assert sent == [(Product, [mug.pk], -20)], (
        "change_prices() should send prices_changed once, with sender=Product, "
        f"product_ids=[the changed products' ids] and percent; it sent {sent}. update() sends "
        "no save signals, so this function must announce the change itself (TODO 5)."
    )
