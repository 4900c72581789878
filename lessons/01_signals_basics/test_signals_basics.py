"""Lesson 01: signals basics. Read top to bottom: the first failing test is your next step.

Fixtures from conftest.py: `only_receivers_connected_by_loading_the_app` leaves connected only
what loading the app connected (as on a server, where no test imports your modules);
`committed()` runs a block and then what it left for after the commit (each test's transaction
is rolled back, so `transaction.on_commit()` callbacks run only there); `place_order` calls
services.place_order() inside it.
"""

import importlib.util
import logging
import sys
import traceback
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import FieldError
from django.db import IntegrityError, connection, transaction
from django.db.models import signals as model_signals
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from shop.models import Order, OrderLine, Product
from signals_basics import receivers, services
from signals_basics.signals import order_placed, prices_changed
from workshop.testing import received, restored_receivers

pytestmark = pytest.mark.django_db

EVENTS = "shop.events"
NEW_MUG = "New product: Mug at 9.50"


@pytest.fixture(autouse=True)
def every_log_record(caplog):
    # Everything is captured, at any level on any logger, so that a failure can say where a
    # line went when it did not arrive as INFO on 'shop.events'.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=EVENTS)


def event_lines(caplog):
    """The lines logged at INFO on 'shop.events': what the lesson's receivers must log."""
    lines = [
        message_of(record)
        for record in caplog.records
        if record.name == EVENTS and record.levelno == logging.INFO
    ]
    return [line for line in lines if line is not None]


def message_of(record):
    """The record's line, or None when its message and arguments do not make one."""
    try:
        return record.getMessage()
    except (TypeError, ValueError):
        return None


def new_product_lines(caplog):
    return [line for line in event_lines(caplog) if line.startswith("New product")]


# TODO 1 and 2: a receiver for post_save, connected in apps.py.


def test_creating_a_product_logs_it(committed, caplog, capsys):
    try:
        with committed():
            Product.objects.create(name="Mug", price=Decimal("9.50"))
    except (TypeError, AttributeError) as error:
        pytest.fail(
            f"Creating a product raised {type(error).__name__}: {error}. "
            + receiver_error_advice(error, PRODUCT_RECEIVER)
        )

    assert new_product_lines(caplog) == [NEW_MUG], why_not_logged(
        NEW_MUG, caplog, capsys, PRODUCT_RECEIVER, log_new_product_alone
    )


def test_loading_the_app_connects_the_product_receiver(
    only_receivers_connected_by_loading_the_app, committed, caplog
):
    with committed():
        Product.objects.create(name="Mug", price=Decimal("9.50"))

    assert new_product_lines(caplog) == [NEW_MUG], not_connected_by_loading_the_app(
        "log_new_product", only_receivers_connected_by_loading_the_app, caplog, todo=2
    )


def test_saving_an_existing_product_does_not_log_it_again(mug, committed, caplog):
    caplog.clear()
    mug.price = Decimal("10.00")
    with committed():
        mug.save()

    assert new_product_lines(caplog) == [], (
        f"Saving a product that already exists logged {new_product_lines(caplog)}. post_save "
        "fires on every save: log only when the `created` argument is True (TODO 1)."
    )


def test_a_product_whose_save_fails_is_not_logged(committed, caplog):
    with committed(), pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(name="Ghost", price=None)  # The price column is NOT NULL.

    logged = [line for line in event_lines(caplog) if "Ghost" in line]
    assert logged == [], (
        f"A product whose save failed was logged anyway: {logged}. Log in post_save, which "
        "Django sends once the row is written, not in pre_save (TODO 2)."
    )


def test_saving_a_user_does_not_reach_the_product_receiver(committed, caplog):
    try:
        with committed():
            User.objects.create_user(username="carol")
    except AttributeError as error:
        pytest.fail(
            f"Saving a User called log_new_product, which failed: {error}. Connect it with "
            "sender=Product, so that it hears about products only (TODO 2)."
        )

    assert new_product_lines(caplog) == [], (
        "Saving a User logged a 'New product' line. Connect log_new_product with "
        "sender=Product, so that it hears about products only (TODO 2)."
    )


def test_a_reimported_receivers_module_still_logs_each_product_once(committed, caplog):
    # A module imported a second time (reloaded, or under another name) defines new function
    # objects, and ready() may run again: the receiver must stay connected once.
    with restored_receivers(model_signals.post_save, order_placed), a_fresh_import_of_receivers():
        apps.get_app_config("signals_basics").ready()
        with committed():
            Product.objects.create(name="Mug", price=Decimal("9.50"))

    logged = event_lines(caplog).count(NEW_MUG)
    assert logged == 1, (
        f"Creating one product logged it {logged} times after receivers.py was imported again "
        "and ready() ran again. "
        + (
            "Connect log_new_product in ready() first (TODO 2)."
            if logged == 0
            else "Give the connection a dispatch_uid that is the same string every time "
            '(post_save.connect(..., dispatch_uid="signals_basics.log_new_product") or '
            "@receiver(..., dispatch_uid=...); not uuid4() or id()): a second connect() with "
            "the same uid is ignored, even for a new function object (TODO 2)."
        )
    )


# TODO 3: a custom signal, sent robustly by the code that places orders.


def test_place_order_sends_order_placed_once_with_the_order(customer, mug, place_order):
    with received(order_placed) as calls:
        try:
            order = place_order(customer, [mug])
        except TypeError as error:
            pytest.fail(
                f"place_order() raised TypeError: {error}. "
                + receiver_error_advice(error, ORDER_RECEIVER)
            )

    assert isinstance(order, Order), (
        f"place_order() should return the new order; it returned {order!r}. Send order_placed, "
        "then `return order` (TODO 3)."
    )
    sent = [(call["sender"], call.get("order")) for call in calls]
    assert sent == [(Order, order)], (
        "place_order() should send order_placed once, with sender=Order (the class) and "
        f"order=<the new order>; what it sent: {[describe_call(c) for c in calls] or 'nothing'}. "
        "See TODO 3 in services.py."
    )


def test_order_placed_goes_out_once_the_order_and_its_lines_are_saved(
    customer, mug, tea, place_order
):
    lines_in_the_database = []

    def count_the_lines(sender, **kwargs):
        order = kwargs.get("order")
        lines = OrderLine.objects.filter(order_id=getattr(order, "pk", None))
        lines_in_the_database.append(sorted(lines.values_list("product__name", flat=True)))

    with restored_receivers(order_placed):
        order_placed.connect(count_the_lines)
        place_order(customer, [mug, tea])

    assert lines_in_the_database == [["Mug", "Tea"]], (
        "A receiver of order_placed should find the order's lines in the database (Mug and "
        f"Tea); it found {lines_in_the_database}. Send the signal once, after the lines are "
        "saved (after bulk_create), not before: receivers act on what has happened (TODO 3)."
        if lines_in_the_database
        else "place_order() did not send order_placed (TODO 3)."
    )


def test_a_failing_receiver_does_not_break_place_order(customer, mug, place_order):
    with restored_receivers(order_placed):
        order_placed.connect(broken_receiver)
        try:
            order = place_order(customer, [mug])
        except Exception as error:  # Whatever reaches the caller is the mistake.
            pytest.fail(
                "A receiver that raised broke place_order(): the order is placed, yet the "
                f"caller gets {type(error).__name__}: {error}. Send order_placed with "
                "send_robust(): it catches each receiver's exception and returns it instead "
                "(TODO 3)."
            )

    assert isinstance(order, Order) and Order.objects.filter(pk=order.pk).exists(), (
        f"place_order() should return the saved order even when a receiver raises; it "
        f"returned {order!r}. See TODO 3 in services.py."
    )


def test_a_failing_receiver_does_not_stop_the_other_receivers(customer, mug, place_order):
    with restored_receivers(order_placed):
        order_placed.connect(broken_receiver)
        with received(order_placed) as calls:
            try:
                place_order(customer, [mug])
            except RuntimeError:
                pytest.fail(
                    "A receiver that raised broke place_order(). Send order_placed with "
                    "send_robust(), which calls every receiver whatever the others do (TODO 3)."
                )

    assert len(calls) == 1, (
        "place_order() did not send order_placed (TODO 3)."
        if not calls and not order_placed_is_sent(place_order)
        else "A receiver connected after one that raised should still hear order_placed once; it "
        f"heard it {len(calls)} times. send() stops at the first receiver that raises, even "
        "inside a try/except; send_robust() calls every receiver (TODO 3)."
    )


def test_a_failing_receivers_error_is_logged_once_with_its_traceback(
    customer, mug, place_order, caplog
):
    error = RuntimeError("the warehouse is on fire")

    def broken_receiver(sender, **kwargs):
        raise error

    with restored_receivers(order_placed):
        order_placed.connect(broken_receiver)
        try:
            place_order(customer, [mug])
        except RuntimeError:
            pytest.fail("A receiver that raised broke place_order(): use send_robust() (TODO 3).")

    about_it = [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and (
            (record.exc_info and record.exc_info[1] is error)
            or "broken_receiver" in record.getMessage()
            or str(error) in record.getMessage()
        )
    ]
    assert about_it, (
        "When a receiver raises, its error must be logged, with its traceback; nothing at "
        f"WARNING or above mentioned it (records seen: {describe(caplog.records) or 'none'}). "
        "send_robust() logs each receiver's exception on the 'django.dispatch' logger at ERROR "
        "(TODO 3)."
    )
    assert len(about_it) == 1, (
        f"The receiver's error was logged {len(about_it)} times: {describe(about_it)}. "
        "send_robust() already logs each receiver's exception, with its traceback, on the "
        "'django.dispatch' logger at ERROR: log it once, do not log the responses again "
        "(TODO 3)."
    )
    [record] = about_it
    assert (record.name, record.levelname) == ("django.dispatch", "ERROR"), (
        f"The receiver's error was logged by '{record.name}' at {record.levelname}; the lesson "
        "relies on Django's own record: send_robust() logs it on 'django.dispatch' at ERROR. "
        "Send order_placed with send_robust() and leave the logging to Django (TODO 3)."
    )
    frames = traceback.extract_tb(record.exc_info[2]) if record.exc_info else []
    assert any(frame.name == "broken_receiver" for frame in frames), (
        "The error's record should carry the receiver's real exception and traceback "
        f"(exc_info); it carried {record.exc_info!r}. See TODO 3."
    )


# TODO 4: a receiver of the custom signal.


def test_placing_an_order_logs_it(other_customer, customer, mug, tea, caplog, capsys, place_order):
    # bob is user #1 and alice user #2, so an order's number differs from its owner's id.
    order = place_order(customer, [mug, tea])

    expected = f"Order #{order.pk} placed by alice: 13.50"
    assert event_lines(caplog).count(expected) == 1, why_not_logged(
        expected, caplog, capsys, ORDER_RECEIVER, lambda: log_order_placed_alone(order)
    )


def test_the_logged_total_is_what_the_order_costs_as_ordered(
    other_customer, customer, mug, tea, committed, caplog
):
    # Two mugs at the price of the day (9.00, not today's 9.50) and a tea: 22.00.
    order = Order.objects.create(owner=customer)
    OrderLine.objects.create(order=order, product=mug, quantity=2, unit_price=Decimal("9.00"))
    OrderLine.objects.create(order=order, product=tea, quantity=1, unit_price=Decimal("4.00"))
    with committed():
        order_placed.send_robust(sender=Order, order=order)

    expected = f"Order #{order.pk} placed by alice: 22.00"
    logged = [line for line in event_lines(caplog) if line.startswith(f"Order #{order.pk}")]
    assert logged == [expected], (
        f"For an order of 2 mugs at 9.00 (the price when ordered; the mug costs 9.50 today) and "
        f"a tea at 4.00, log_order_placed should log '{expected}'; it logged {logged}. Log "
        "order.total: each line's unit_price times its quantity, not the products' current "
        "prices, and not the unit prices alone (TODO 4)."
    )


def test_loading_the_app_connects_the_order_receiver(
    only_receivers_connected_by_loading_the_app, customer, mug, place_order, caplog
):
    order = place_order(customer, [mug])

    expected = f"Order #{order.pk} placed by alice: 9.50"
    assert event_lines(caplog).count(expected) == 1, not_connected_by_loading_the_app(
        "log_order_placed", only_receivers_connected_by_loading_the_app, caplog, todo=4
    )


def test_a_reimported_receivers_module_still_logs_each_order_once(
    customer, mug, place_order, caplog
):
    with restored_receivers(model_signals.post_save, order_placed), a_fresh_import_of_receivers():
        apps.get_app_config("signals_basics").ready()
        order = place_order(customer, [mug])

    logged = event_lines(caplog).count(f"Order #{order.pk} placed by alice: 9.50")
    assert logged == 1, (
        f"Placing one order logged it {logged} times after receivers.py was imported again and "
        "ready() ran again. "
        + (
            "Connect log_order_placed to order_placed in ready() first (TODO 4)."
            if logged == 0
            else "Give its connection a dispatch_uid of its own, the same string every time "
            "(not uuid4() or id()): a second connect() with the same uid is ignored, even "
            "for a new function object (TODO 4)."
        )
    )


# TODO 5: a bulk change, announced by the one function that makes it.


def test_change_prices_changes_the_given_products_by_the_percentage(mug, tea):
    Product.objects.create(name="Vase", price=Decimal("20.00"))

    change_prices(Product.objects.filter(name__in=["Mug", "Tea"]), percent=10)

    prices = {name: str(price) for name, price in Product.objects.values_list("name", "price")}
    expected = {"Mug": "10.45", "Tea": "4.40", "Vase": "20.00"}
    a_cent_over = [
        name
        for name, price in prices.items()
        if Decimal(price) - Decimal(expected.get(name, price)) == Decimal("0.01")
    ]
    assert prices == expected, (
        "change_prices(Mug and Tea, percent=10) should make Mug 10.45 and Tea 4.40 and leave "
        f"the Vase at 20.00; the prices are now {prices}. "
        + (
            f"{' and '.join(a_cent_over)} {'is' if len(a_cent_over) == 1 else 'are'} a cent "
            "over: round half a cent up, no more, with "
            "Round(..., 2) or quantize(Decimal('0.01'), rounding=ROUND_HALF_UP). Ceil() and "
            "ROUND_UP round every fraction of a cent up, and SQLite computes 4.00 * 1.1 * 100 "
            "as 440.00000000000006 (TODO 5)."
            if a_cent_over
            else "Tea, a whole 4.00, did not change: SQLite keeps it as the integer 4, and "
            "divides integers to an integer there (4 * 10 / 100 is 0). Multiply the price by "
            "one Decimal factor, F('price') * (1 + Decimal(percent) / 100) (TODO 5)."
            if prices.get("Tea") == "4.00" and prices.get("Mug") != "9.50"
            else "The new price is price * (1 + percent / 100), in Decimal (TODO 5)."
        )
    )


def test_change_prices_rounds_half_a_cent_up():
    Product.objects.create(name="Teapot", price=Decimal("3.75"))
    Product.objects.create(name="Fork", price=Decimal("1.01"))
    Product.objects.create(name="Spoon", price=Decimal("1.25"))

    change_prices(Product.objects.filter(name__in=["Teapot", "Fork"]), percent=10)
    change_prices(Product.objects.filter(name="Spoon"), percent=-10)

    prices = {name: str(price) for name, price in Product.objects.values_list("name", "price")}
    assert prices == {"Teapot": "4.13", "Fork": "1.11", "Spoon": "1.13"}, (
        "Prices are rounded to the cent, half a cent up: 3.75 + 10% = 4.125 becomes 4.13, "
        "1.25 - 10% = 1.125 becomes 1.13, and 1.01 + 10% = 1.111 becomes 1.11; they became "
        f"{prices}. Round half to even (Decimal.quantize() and round() by default), "
        "truncating or float arithmetic give 4.12; ROUND_UP, ROUND_CEILING and Ceil() round "
        "every fraction of a cent up, 1.12: round in the database with Round(..., 2), or in "
        "Python with quantize(Decimal('0.01'), rounding=ROUND_HALF_UP) (TODO 5)."
    )


def test_change_prices_computes_in_decimal_not_in_float():
    # 0.30 and 1.15 are not exact in binary: as floats, 0.30 * 1.15 is 0.34499999999999997.
    Product.objects.create(name="Saucer", price=Decimal("0.30"))
    Product.objects.create(name="Bowl", price=Decimal("1.10"))

    sent_to_the_database = []

    def keep_the_values(execute, sql, params, many, context):
        sent_to_the_database.extend(params or ())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep_the_values):
        change_prices(Product.objects.all(), percent=15)

    prices = {name: str(price) for name, price in Product.objects.values_list("name", "price")}
    assert prices == {"Saucer": "0.35", "Bowl": "1.27"}, (
        "0.30 + 15% = 0.345 becomes 0.35, and 1.10 + 15% = 1.265 becomes 1.27; they became "
        f"{prices}. A float (percent / 100, float(price), Decimal(1 + percent / 100)) is a "
        "binary approximation: 1.15 is 1.149999..., which rounds half a cent down. Keep money "
        "in Decimal: factor = 1 + Decimal(percent) / 100 (TODO 5)."
    )
    # SQLite computes in binary floating point and rounds 1.149999... * 0.30 up all the same;
    # PostgreSQL computes in decimal and gives 0.34. What the query is given tells them apart.
    almost = [value for value in sent_to_the_database if almost_but_not(value, FIFTEEN_PERCENT)]
    assert not almost, (
        f"The query was given {almost[:1]} where 15% means exactly "
        f"{' or '.join(map(str, FIFTEEN_PERCENT))}: a float went into the factor (percent / 100 "
        "is a float, and Decimal() of it keeps its binary error, 1.149999...). SQLite happens "
        "to round this one to 0.35; PostgreSQL computes in decimal and makes 0.345 0.34. Keep "
        "money in Decimal: factor = 1 + Decimal(percent) / 100 (TODO 5)."
    )


def test_change_prices_returns_how_many_products_it_changed(mug, tea):
    # Only the Tea costs less than 5.00; after the change, nothing does.
    changed = change_prices(Product.objects.filter(price__lt=5), percent=50)

    assert changed == 1, (
        "change_prices(products under 5.00, percent=50) changes the Tea alone and should "
        f"return 1; it returned {changed!r}. Count the products before the update (a filter "
        "on the price may not match after it), or return what update() returns (TODO 5)."
    )


def test_change_prices_runs_as_many_queries_for_six_products_as_for_two():
    Product.objects.bulk_create(
        Product(name=f"Cup {n}", price=Decimal("5.00") + n) for n in range(6)
    )

    with CaptureQueriesContext(connection) as two:
        change_prices(Product.objects.filter(name__in=["Cup 0", "Cup 1"]), percent=10)
    with CaptureQueriesContext(connection) as six:
        change_prices(Product.objects.all(), percent=10)

    assert len(six) == len(two), (
        f"change_prices() ran {len(two)} queries for 2 products and {len(six)} for 6: a query "
        "per product, as a save() in a loop makes. Change them all at once with one "
        "QuerySet.update() (TODO 5)."
    )


def test_change_prices_sends_prices_changed_once_with_the_product_ids(mug, tea):
    Product.objects.create(name="Vase", price=Decimal("20.00"))

    with received(prices_changed) as calls:
        change_prices(Product.objects.filter(name__in=["Mug", "Tea"]), percent=-20)

    sent = [(call["sender"], ids_in(call), call.get("percent")) for call in calls]
    assert sent == [(Product, sorted([mug.pk, tea.pk]), -20)], (
        "change_prices(Mug and Tea, percent=-20) should send prices_changed once, with "
        "sender=Product, product_ids=[the changed products' ids] and percent=-20; it sent "
        f"{sent}. update() sends no save signals, so this function must announce the change "
        "itself, once for the whole change (TODO 5)."
    )
    percent = calls[0].get("percent")
    assert not isinstance(percent, float), (
        f"prices_changed carried percent as a float, {percent!r}: a receiver that works out "
        "money from it gets float arithmetic. Send percent as change_prices() was given it, "
        "an int or a Decimal (TODO 5)."
    )


def test_prices_changed_names_the_products_even_when_the_filter_no_longer_matches(mug, tea):
    # Tea costs less than 5.00 before the change and 6.00 after it.
    with received(prices_changed) as calls:
        change_prices(Product.objects.filter(price__lt=5), percent=50)

    sent = [ids_in(call) for call in calls]
    assert sent == [[tea.pk]], (
        "change_prices(products under 5.00, percent=50) should send product_ids=[Tea's id]; "
        f"receivers got {sent}. Take the ids as a list before the update: a queryset "
        "evaluated after it (or ids read after it) no longer matches the changed products "
        "(TODO 5)."
    )


def test_a_receiver_of_prices_changed_sees_the_new_prices(mug, tea):
    prices_seen = []

    def read_the_prices(sender, **kwargs):
        prices_seen.append(str(Product.objects.get(pk=mug.pk).price))

    with restored_receivers(prices_changed):
        prices_changed.connect(read_the_prices)
        change_prices(Product.objects.filter(name="Mug"), percent=10)

    assert prices_seen == ["10.45"], (
        "A receiver of prices_changed should read the new prices in the database (Mug: "
        f"10.45); it read {prices_seen}. Send the signal after the update, not before (TODO 5)."
    )


def test_a_failing_receiver_of_prices_changed_breaks_neither_change_prices_nor_the_others(
    mug, caplog
):
    with restored_receivers(prices_changed):
        prices_changed.connect(broken_receiver)
        with received(prices_changed) as calls:
            try:
                changed = change_prices(Product.objects.filter(name="Mug"), percent=10)
            except Exception as error:  # Whatever reaches the caller is the mistake.
                pytest.fail(
                    "A receiver of prices_changed that raised broke change_prices(): the prices "
                    f"have changed, yet the caller gets {type(error).__name__}: {error}. Send "
                    "prices_changed with send_robust(), as order_placed (TODO 5)."
                )

    assert (changed, len(calls)) == (1, 1), (
        "With a receiver of prices_changed that raises, change_prices() should still return 1 "
        f"and a receiver connected after it should still hear the signal once; it returned "
        f"{changed!r} and the other receiver heard it {len(calls)} times. send() stops at the "
        "first receiver that raises, even inside a try/except: send prices_changed with "
        "send_robust() (TODO 5)."
    )


def test_a_failing_receiver_of_prices_changed_is_logged_once_by_django(mug, caplog):
    with restored_receivers(prices_changed):
        prices_changed.connect(broken_receiver)
        try:
            change_prices(Product.objects.filter(name="Mug"), percent=10)
        except RuntimeError:
            pytest.fail("A receiver that raised broke change_prices(): use send_robust() (TODO 5).")

    about_it = [
        (record.name, record.levelname)
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and (
            isinstance(record.exc_info and record.exc_info[1], RuntimeError)
            or FIRE in record.getMessage()
        )
    ]
    assert about_it == [("django.dispatch", "ERROR")], (
        "A receiver of prices_changed that raises should be logged once, by send_robust() on "
        f"'django.dispatch' at ERROR; the records about it: {about_it or 'none'}. Send it with "
        "send_robust() and do not log the responses again (TODO 5)."
    )


# Helpers of the tests above.


FIRE = "the warehouse is on fire"


def broken_receiver(sender, **kwargs):
    raise RuntimeError(FIRE)


def order_placed_is_sent(place_order):
    with received(order_placed) as calls:
        place_order(User.objects.create_user(username="dave"), [])
    return bool(calls)


@contextmanager
def a_fresh_import_of_receivers():
    """receivers.py imported again, as a reload or a second import path would: new functions.

    While it lasts, `from . import receivers` in ready() gets the fresh module; afterwards
    the original is back, with the functions that loading the app connected.
    """
    name = receivers.__name__
    package = sys.modules[name.rpartition(".")[0]]
    spec = importlib.util.find_spec(name)
    fresh = importlib.util.module_from_spec(spec)
    sys.modules[name], package.receivers = fresh, fresh
    try:
        spec.loader.exec_module(fresh)
        yield fresh
    finally:
        sys.modules[name], package.receivers = receivers, receivers


def log_new_product_alone():
    """Call receivers.log_new_product directly, as post_save would for a new Mug."""
    mug = Product(pk=999, name="Mug", price=Decimal("9.50"))
    mug._state.adding, mug._state.db = False, "default"  # As save() leaves them.
    receivers.log_new_product(
        sender=Product, instance=mug, created=True, raw=False, using="default",
        update_fields=None, signal=model_signals.post_save,
    )  # fmt: skip


def log_order_placed_alone(order):
    """Call receivers.log_order_placed directly, as order_placed would."""
    receivers.log_order_placed(sender=Order, order=order, signal=order_placed)


@dataclass(frozen=True)
class LessonReceiver:
    name: str  # in receivers.py
    called_as: str  # how the tests call it on their own
    todo_write: int
    todo_connect: int
    connect_to: str  # where it must be connected, as connections_of() names it
    example: str  # the logging call, written right
    sender: str  # the class that sends its signal
    the_object: str  # where the object it logs comes from


PRODUCT_RECEIVER = LessonReceiver(
    "log_new_product", "as post_save would for a new Mug (created=True)", 1, 2,
    "post_save for Product",
    'logger.info("New product: %s at %s", instance.name, instance.price)',
    "Product", "the product saved is post_save's `instance` argument",
)  # fmt: skip
ORDER_RECEIVER = LessonReceiver(
    "log_order_placed", "with the placed order", 4, 4, "order_placed for Order or any sender",
    'logger.info("Order #%s placed by %s: %s", order.pk, username, order.total)',
    "Order", "the order placed is the `order=` argument that place_order() sends",
)  # fmt: skip


def why_not_logged(expected, caplog, capsys, receiver, call_alone):
    """Why `expected` was not logged once at INFO on 'shop.events': the likeliest mistake."""
    lines = event_lines(caplog)
    prefix = expected.split(":")[0].split("#")[0]
    if lines.count(expected) > 1:
        return (
            f"It logged '{expected}' {lines.count(expected)} times: {receiver.name} is "
            "connected more than once (with @receiver and with connect(), say). Connect it "
            f"once, in ready() with a dispatch_uid (TODO {receiver.todo_connect})."
        )
    unformatted = [record for record in caplog.records if message_of(record) is None]
    if unformatted:
        record = unformatted[0]
        return (
            f"Expected '{expected}'; {receiver.name} called logger.{record.levelname.lower()}() "
            f"with the message {record.msg!r} and the arguments {record.args!r}, which do not "
            "make a line. " + format_advice(receiver)
        )
    elsewhere = [
        record
        for record in caplog.records
        if (message_of(record) or "").startswith(prefix)
        and (record.name, record.levelno) != (EVENTS, logging.INFO)
    ]
    if elsewhere:
        return (
            f"Expected '{expected}' at INFO on the 'shop.events' logger; it went to "
            f"{describe(elsewhere)}. Log with receivers.py's `logger` "
            f"(logging.getLogger('shop.events')) and logger.info() (TODO {receiver.todo_write})."
        )
    if prefix in capsys.readouterr().out:
        return (
            f"Expected '{expected}' logged at INFO on 'shop.events'; it was printed instead. "
            "Use logger.info(), not print(): a server's logs never see stdout "
            f"(TODO {receiver.todo_write})."
        )
    similar = [line for line in lines if line.casefold().startswith(prefix.casefold())]
    if similar:
        return (
            f"Expected exactly '{expected}' on 'shop.events'; it logged {similar}. "
            + wrong_line_advice(similar[0], expected, receiver)
        )
    caplog.clear()
    try:
        call_alone()
    except Exception as error:  # Whatever the receiver raises is worth reporting.
        return (
            f"Nothing was logged, and {receiver.name}, called {receiver.called_as}, raised "
            f"{type(error).__name__}: {error}. " + receiver_error_advice(error, receiver)
        )
    if expected not in event_lines(caplog):
        return (
            f"Expected '{expected}' on 'shop.events'; nothing was logged. Called "
            f"{receiver.called_as}, {receiver.name} logged {event_lines(caplog)}: write it "
            f"in receivers.py (TODO {receiver.todo_write})."
        )
    connected = connections_of(getattr(receivers, receiver.name))
    if connected:
        return (
            f"Expected '{expected}' on 'shop.events'; nothing was logged. {receiver.name} logs "
            f"it when called directly, but it is connected to {', '.join(connected)}, which "
            f"never reaches it here: connect it to {receiver.connect_to} (sender= is who sends "
            f"the signal) in ready() in apps.py (TODO {receiver.todo_connect})."
        )
    return (
        f"Expected '{expected}' on 'shop.events'; nothing was logged. {receiver.name} logs it "
        "when called directly, so nothing connected calls it. Connect it in ready() "
        f"in apps.py (TODO {receiver.todo_connect}). Django holds receivers by weak "
        "reference: a function defined inside ready(), or a lambda, is garbage once ready() "
        "returns; connect the module-level function from receivers.py (or pass weak=False)."
    )


def not_connected_by_loading_the_app(receiver, connected_later, caplog, todo):
    seen = f"With only what loading the app connected, the lesson logged {event_lines(caplog)}."
    if receiver in connected_later:
        return (
            f"{seen} {receiver} is connected only because the tests imported the lesson's "
            "modules: loading the app alone does not connect it, so on a server it would "
            "never run. An @receiver decorator connects when its module is imported, and "
            f"nothing imports receivers.py unless ready() does: connect {receiver} in ready() "
            f"in apps.py, or import receivers there (TODO {todo})."
        )
    return f"{seen} Connect {receiver} in ready() in apps.py (TODO {todo})."


def wrong_line_advice(logged, expected, receiver):
    todo = receiver.todo_write
    if logged.casefold() == expected.casefold():
        return (
            "Only the case of its letters differs: write the line as the README has it "
            f"(TODO {todo})."
        )
    if is_about_the_class(logged):
        return sender_advice(receiver)
    if logged.endswith(": 0.00"):
        return (
            "A total of 0.00 means the order had no lines yet: the receiver ran before "
            "bulk_create(). Connect log_order_placed to order_placed (sent once the lines are "
            f"saved), not to post_save of Order (TODO {todo})."
        )
    return (
        "Log the values as they are (the price and total are Decimals: 9.50 prints as "
        f"9.50), and the owner's username (TODO {todo})."
    )


ANOTHER_SENDER = (
    'a sender that is no model class (a "shop.Order" string? Only model signals such as '
    "post_save resolve those; a custom signal compares the sender itself)"
)


def connections_of(function):
    """Where a function is connected, as 'post_save for User': to explain a wrong sender."""
    signals = {
        name: getattr(model_signals, name)
        for name in ("pre_init", "post_init", "pre_save", "post_save", "pre_delete", "post_delete")
    }
    signals.update(order_placed=order_placed, prices_changed=prices_changed)
    senders = {id(model): model.__name__ for model in apps.get_models()}
    senders[id(None)] = "any sender"
    found = []
    for signal_name, signal in signals.items():
        for (_key, sender_id), reference, _is_async in signal.receivers:
            target = reference() if isinstance(reference, weakref.ReferenceType) else reference
            if target is function or getattr(target, "func", None) is function:
                found.append(f"{signal_name} for {senders.get(sender_id, ANOTHER_SENDER)}")
    return found


def receiver_error_advice(error, receiver):
    """What to change when a lesson receiver (or what calls it) raised `error`."""
    text = str(error)
    if "created" in text:
        return (
            "Only post_save passes `created`: connect log_new_product to post_save, not "
            "pre_save (TODO 2)."
        )
    if "format" in text:  # "not all arguments converted during string formatting", ...
        return format_advice(receiver)
    if is_about_the_class(text):
        return sender_advice(receiver)
    if not isinstance(error, TypeError):
        return f"See TODO {receiver.todo_write} in receivers.py."
    return (
        "Django calls a receiver with keyword arguments (signal, sender and the signal's own "
        "arguments, more in later versions): give every receiver `**kwargs`, and send "
        "order_placed with order=<the order> (TODOs 1, 3 and 4)."
    )


def format_advice(receiver):
    return (
        "logger.info() fills the %s placeholders of its message with the arguments after it, "
        f"one each: {receiver.example}. {{}} placeholders are str.format()'s, print()-style "
        'arguments have no placeholder, and "..." % a, b formats with `a` alone: use %s '
        f"placeholders, or log one f-string with no arguments (TODO {receiver.todo_write})."
    )


# What a model class's attributes look like, where an object's values were expected.
CLASS_ATTRIBUTES = ("DeferredAttribute", "Descriptor", "type object", "<property object")


def is_about_the_class(text):
    return any(mark in text for mark in CLASS_ATTRIBUTES)


def sender_advice(receiver):
    return (
        f"`sender` is the class that sends the signal ({receiver.sender}), not the object it is "
        f"about: {receiver.the_object} (TODO {receiver.todo_write})."
    )


def describe(records):
    return "; ".join(
        f"{record.levelname} on '{record.name}': {message_of(record)!r}" for record in records
    )


def describe_call(call):
    arguments = ", ".join(f"{name}={value!r}" for name, value in call.items())
    return f"send({arguments})"


def change_prices(products, percent):
    """services.change_prices(), then what it left for after the commit; advice if it raises."""
    try:
        # Each test's transaction is rolled back: run the on_commit() callbacks as a commit would.
        with TestCase.captureOnCommitCallbacks(execute=True):
            return services.change_prices(products, percent=percent)
    except (TypeError, FieldError) as error:
        if "expected a number" in str(error):
            advice = (
                "product_ids must be the ids themselves: "
                "list(products.values_list('pk', flat=True)); values('pk') gives dicts, and "
                "values_list('pk') without flat=True gives 1-tuples"
            )
        else:
            advice = "Money is a Decimal, never a float: make the factor 1 + Decimal(percent) / 100"
        pytest.fail(f"change_prices() raised {type(error).__name__}: {error}. {advice} (TODO 5).")


# The ways a change by 15% can be written exactly: a float's binary error makes values near them.
FIFTEEN_PERCENT = (Decimal("1.15"), Decimal("0.15"))


def almost_but_not(value, exact_values):
    """Is `value` (a query parameter) within a hair of one of `exact_values`, yet not equal?"""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return False
    try:
        value = Decimal(value)
    except ArithmeticError:  # A string that is not a number.
        return False
    return any(value != exact and abs(value - exact) < Decimal("1e-9") for exact in exact_values)


def ids_in(call):
    ids = call.get("product_ids")
    try:
        return sorted(ids)
    except TypeError:
        return ids
