"""Lesson 03: a price log. Read top to bottom: the first failing test is your next step."""

import logging
import re
import traceback
from decimal import Decimal, InvalidOperation

import pytest
from django.core import serializers
from django.db import IntegrityError, connection, transaction
from django.forms import modelform_factory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.models import PriceChange, Product

pytestmark = pytest.mark.django_db

PRICES = "shop.prices"
ADVICE_TYPES = (
    "A price may be set as a Decimal, a string ('10.00') or a float (10.1): turn both prices "
    "into Decimals before comparing and formatting them, e.g. with the model field's "
    "to_python() (TODO 1)."
)


class PriceLog:
    """What the code under test logged (every logger, every level) and printed."""

    def __init__(self, caplog, capsys):
        self.caplog, self.capsys = caplog, capsys
        self.callbacks_run = 0

    def lines(self):
        """The messages logged at INFO on 'shop.prices': the price log."""
        # A line logged once the change commits is fine too.
        self.callbacks_run += run_on_commit_callbacks()
        return [
            message_of(record)
            for record in self.caplog.records
            if record.name == PRICES and record.levelno == logging.INFO
        ]

    def strays(self):
        """Records sent elsewhere (another logger, another level), described."""
        return [
            f"{message_of(record)!r} on logger {record.name!r} at {record.levelname}"
            for record in self.caplog.records
            if not record.name.startswith("django")
            and (record.name, record.levelno) != (PRICES, logging.INFO)
        ]

    def told(self, expected=()):
        """The price log, and where anything else went, for an assertion message."""
        lines = self.lines()
        said = f"it logged {lines} at INFO on 'shop.prices'"
        said += written_otherwise(lines, expected)
        if self.callbacks_run and expected and lines != list(expected):
            said += (
                ": transaction.on_commit() callbacks run at the commit, after every save made "
                "before it. Give a callback the name and prices of its own save "
                "(functools.partial(logger.info, ...)), not a function that reads them from the "
                "instance when it runs"
            )
        twice = lines[::2] == lines[1::2] and (not expected or lines[::2] == list(expected))
        if lines and len(lines) % 2 == 0 and twice:
            said += (
                ": every line twice, so a receiver runs twice. apps.py already connects each "
                "receiver once (with a dispatch_uid); a @receiver decorator, or a connect() of "
                "your own, connects it a second time: remove it"
            )
        if strays := self.strays():
            said += (
                f", and elsewhere: {strays}. Log with the module's `logger` "
                "(logging.getLogger('shop.prices')) at INFO level"
            )
        if printed := self.capsys.readouterr().out.strip():
            said += (
                f", and printed {printed!r}. print() writes to the terminal, not to the log: "
                "use logger.info()"
            )
        return said


def message_of(record):
    """The message as it was written when logged: its arguments (a product) may change since."""
    # A handler formats a record when it is logged: record.message is what it wrote then.
    return getattr(record, "message", None) or record.getMessage()


LOG_LINE = re.compile(r"(?P<name>.*): (?P<old>\S+) -> (?P<new>\S+)")


def written_otherwise(lines, expected):
    """What differs when `lines` log the `expected` changes, written another way."""
    if not expected or len(lines) != len(expected):
        return ""
    names, prices = set(), set()
    for line, wanted in zip(lines, expected, strict=True):
        got, want = LOG_LINE.fullmatch(line), LOG_LINE.fullmatch(wanted)
        if not got or not want:
            return ""
        try:
            if any(Decimal(got[key]) != Decimal(want[key]) for key in ("old", "new")):
                return ""
        except InvalidOperation:
            return ""
        names.add(got["name"] == want["name"])
        prices.add((got["old"], got["new"]) == (want["old"], want["new"]))
    said = ""
    if False in prices:
        said += (
            ": the right prices, written otherwise. Log each with two decimals, "
            "f'{price:.2f}' of the Decimal (a float drops the trailing zero: 9.5, 10.0)"
        )
    if False in names:
        said += (
            ": the right prices, under another name. Log the product's name, instance.name "
            "(`sender` is the Product class)"
        )
    return said


def run_on_commit_callbacks():
    """Run the transaction.on_commit() callbacks waiting for a commit that a test never makes.

    Each test runs in a transaction that is rolled back at its end: without this, a log line
    written once the change commits would never be seen. The PriceChange gets no such help:
    it belongs in the product's own transaction (test_changing_a_price_records_a_price_change).
    """
    waiting, connection.run_on_commit[:] = connection.run_on_commit[:], []
    for _savepoints, callback, _robust in waiting:
        callback()
    return len(waiting)


@pytest.fixture
def log(caplog, capsys):
    # Every logger, every level: a record gone astray can be named.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=PRICES)
    return PriceLog(caplog, capsys)


def recorded(product):
    return list(product.price_changes.values_list("old_price", "new_price"))


def save(product, advice=None, **options):
    """product.save(), failing with advice if a receiver raises instead."""
    try:
        product.save(**options)
    except (TypeError, ValueError, ArithmeticError, AttributeError) as error:
        pytest.fail(
            f"Saving {product.name} with the price {product.price!r} raised "
            f"{type(error).__name__}{raised_in(error)}: {error}. {advice or advice_for(error)}"
        )


def create_product(name, price):
    """Product.objects.create(), failing with advice if a receiver raises instead."""
    try:
        return Product.objects.create(name=name, price=price)
    except (TypeError, ValueError, ArithmeticError, AttributeError) as error:
        pytest.fail(
            f"Creating the product {name} with the price {price!r} raised "
            f"{type(error).__name__}{raised_in(error)}: {error}. {advice_for(error)}"
        )


@pytest.fixture
def mug(db):
    return create_product("Mug", Decimal("9.50"))


@pytest.fixture
def tea(db):
    return create_product("Tea", Decimal("4.00"))


RECEIVERS = (
    "note_price_change",
    "record_price_change",
    "price_before_save",
    "remember_loaded_price",
    "remember_saved_price",
)


def raised_in(error):
    """' in remember_saved_price()': the lesson's function that `error` was raised in, if any."""
    names = [frame.f_code.co_name for frame, _line in traceback.walk_tb(error.__traceback__)]
    ours = [name for name in names if name in RECEIVERS]
    return f" in {ours[-1]}()" if ours else ""


def advice_for(error):
    """What a receiver that raised `error` during a save most likely got wrong."""
    if "positional argument" in str(error) or "unexpected keyword" in str(error):
        return (
            "A receiver asks for an argument its signal does not send. post_init sends only "
            "`instance`; pre_save sends `raw` and `update_fields` but no `created` (a new "
            "product has instance._state.adding True); post_save sends `created`, `raw` and "
            "`update_fields`. Name only what the signal sends, and take the rest as **kwargs."
        )
    if "'method'" in str(error):
        return (
            "A method was used without calling it: instance.get_deferred_fields() returns the "
            "deferred fields, instance.get_deferred_fields (without the ()) is the method itself."
        )
    if 'must be a "Product" instance' in str(error):
        return (
            "A PriceChange's product is the product itself: product=instance (or its pk, as "
            "product_id=instance.pk) (TODO 1)."
        )
    if "unpack" in str(error):
        return (
            "instance._price_change is None when the save changes no price (a new product, "
            "an unchanged price): check it for None before unpacking it (TODO 1)."
        )
    if "NoneType" in str(error) and "iterable" in str(error):
        return (
            "update_fields is None when save() is called without it (every field is "
            "written): check `update_fields is not None` before looking inside it, in "
            "pre_save (TODO 1) as in post_save (TODO 3)."
        )
    if "NoneType" in str(error):
        return (
            "A price of None: a product built without a price (Product(name='Cup'), the "
            "admin's add form) has None until one is set, and one loaded without its price "
            "(.only('name')) has no price to remember. Remember a price as it is, convert it "
            "only to compare, remember nothing for a deferred one, and let price_before_save() "
            "ask the database (TODO 2)."
        )
    if "_loaded_price" in str(error):
        return (
            "Nothing was remembered for this product (it was loaded without its price), and "
            "reading a missing attribute raises AttributeError: price_before_save() must "
            "catch it and still ask the database (TODO 2)."
        )
    if "_price_change" in str(error):
        return (
            "note_price_change() must set instance._price_change on every save, None when "
            "there is no change to record (TODO 1)."
        )
    if isinstance(error, AttributeError):
        return "A receiver read an attribute that was never set on this product."
    return ADVICE_TYPES


def change_price(product, price):
    product.price = Decimal(price)
    save(product)


# TODO 1: log and record a change of price.


def test_changing_a_price_logs_the_old_and_the_new_price(mug, log):
    change_price(mug, "10.00")

    assert log.lines() == ["Mug: 9.50 -> 10.00"], (
        "Changing the mug's price from 9.50 to 10.00 should log exactly 'Mug: 9.50 -> 10.00' "
        f"at INFO on the 'shop.prices' logger; {log.told(['Mug: 9.50 -> 10.00'])}. See TODO 1."
    )


def test_changing_a_price_records_a_price_change(mug):
    change_price(mug, "10.00")

    if not recorded(mug) and connection.run_on_commit:
        pytest.fail(
            "The PriceChange waits in a transaction.on_commit() callback, which this test's "
            "transaction never runs. Create it in record_price_change() itself: inside the "
            "caller's transaction, the row and its record commit together, or not at all "
            "(TODO 1)."
        )

    changes = recorded(mug)
    more = (
        "Creating the mug was no change of price: a new product has no old price. "
        if len(changes) > 1
        else ""
    )
    assert changes == [(Decimal("9.50"), Decimal("10.00"))], (
        "Changing the mug's price from 9.50 to 10.00 should create one PriceChange with "
        f"old_price 9.50 and new_price 10.00; the mug's price changes are {changes}. "
        f"{more}See TODO 1."
    )


def test_creating_a_product_logs_no_price_change(log):
    create_product("Mug", Decimal("9.50"))

    assert log.lines() == [] and not PriceChange.objects.exists(), (
        f"Creating a product logged {log.lines()} and recorded "
        f"{PriceChange.objects.count()} price changes. A new product has no old price: "
        "return early when instance._state.adding is True (TODO 1)."
    )


def test_creating_a_product_whose_pk_is_set_logs_no_price_change(log):
    cup = Product(pk=4242, name="Cup", price=Decimal("3.00"))
    cup.price = Decimal("3.50")  # Changed before its first save: still a new product.
    try:
        save(cup)
    except Product.DoesNotExist:
        pytest.fail(
            "Creating a product whose pk was set before its first save raised DoesNotExist: "
            "a pk does not mean the row exists. Return early when instance._state.adding is "
            "True, not when instance.pk is None (TODO 1)."
        )

    assert log.lines() == [] and not PriceChange.objects.exists(), (
        "Creating a product with its pk set (Product(pk=4242, ...)) logged "
        f"{log.lines()} and recorded {PriceChange.objects.count()} price changes. "
        "A primary key can be set before the first save: test instance._state.adding, not "
        "instance.pk (TODO 1)."
    )


def test_saving_an_unchanged_price_logs_nothing(mug, log):
    mug.name = "Big mug"
    save(mug)

    assert log.lines() == [] and recorded(mug) == [], (
        f"Saving the mug with its price unchanged logged {log.lines()} and recorded "
        f"{recorded(mug)}. Log only when the price differs (TODO 1)."
    )


def test_the_same_price_written_with_fewer_decimals_is_no_change(mug, log):
    change_price(mug, "9.5")

    assert log.lines() == [] and recorded(mug) == [], (
        "9.5 and 9.50 are the same price, yet saving the mug at Decimal('9.5') logged "
        f"{log.lines()}. Compare the prices as Decimals with != (not as strings, not with "
        "`is not`, which asks whether they are the same object) (TODO 1)."
    )


def test_prices_are_logged_with_two_decimals(mug, log):
    change_price(mug, "12")

    assert log.lines() == ["Mug: 9.50 -> 12.00"], (
        "A price set as Decimal('12') should be logged as 12.00, like every other price: "
        f"expected ['Mug: 9.50 -> 12.00'], {log.told()}. Format each price with "
        "two decimals, e.g. f'{price:.2f}' (TODO 1)."
    )


def test_a_price_set_as_a_string_is_logged_and_recorded(mug, log):
    mug.price = "10.00"  # As a script or a fixture might set it: the field accepts it.
    save(mug)

    assert (log.lines(), recorded(mug)) == (
        ["Mug: 9.50 -> 10.00"],
        [(Decimal("9.50"), Decimal("10.00"))],
    ), (
        "Setting the mug's price to the string '10.00' should log 'Mug: 9.50 -> 10.00' and "
        f"record (9.50, 10.00); {log.told()} and recorded {recorded(mug)}. "
        f"{ADVICE_TYPES}"
    )


def test_a_product_created_with_a_string_price_logs_its_changes(log):
    cup = create_product("Cup", "3.5")
    cup.price = Decimal("3.50")
    save(cup)  # The same price.
    cup.price = Decimal("4")
    save(cup)

    assert log.lines() == ["Cup: 3.50 -> 4.00"], (
        "A product created with price='3.5', saved at Decimal('3.50') (no change) and then at "
        f"Decimal('4'), should log ['Cup: 3.50 -> 4.00']; {log.told()}. "
        f"{ADVICE_TYPES}"
    )


def test_float_prices_compare_as_the_prices_they_stand_for(log):
    cup = create_product("Cup", Decimal("10.10"))
    cup.price = 10.10  # The same price: a float only approximates it.
    save(cup)
    cup.price = 0.30
    save(cup)

    assert (log.lines(), recorded(cup)) == (
        ["Cup: 10.10 -> 0.30"],
        [(Decimal("10.10"), Decimal("0.30"))],
    ), (
        "A cup at 10.10, saved with the float 10.10 (no change) and then with 0.30, should "
        f"log ['Cup: 10.10 -> 0.30'] and record (10.10, 0.30); {log.told()} and "
        f"recorded {recorded(cup)}. Decimal(10.1) is 10.0999999999999996447..., and a Decimal "
        "never equals a float it does not hold exactly. Convert with the field's to_python() "
        "(or Decimal(str(price))), never Decimal(float) (TODO 1)."
    )


def test_a_change_from_or_to_a_price_of_zero_is_logged(log):
    sample = create_product("Sample", Decimal("0.00"))
    change_price(sample, "2.50")
    gift = create_product("Gift", Decimal("2.50"))
    change_price(gift, "0")

    assert log.lines() == ["Sample: 0.00 -> 2.50", "Gift: 2.50 -> 0.00"], (
        "A free sample (0.00) priced at 2.50, and a gift at 2.50 made free, should log "
        f"['Sample: 0.00 -> 2.50', 'Gift: 2.50 -> 0.00']; {log.told()}. 0.00 is a price "
        "like any other, and Decimal('0.00') is falsy: compare prices with !=, and test for "
        "a missing one with `is None`, never with `not price` or `price or ...` (TODO 1)."
    )


def test_a_save_that_leaves_out_the_price_logs_nothing(mug, log):
    mug.price = Decimal("10.00")
    mug.name = "Big mug"
    save(mug, update_fields=["name"])  # Writes the name only: the row keeps 9.50.

    assert log.lines() == [] and recorded(mug) == [], (
        "save(update_fields=['name']) does not write the price, yet it logged "
        f"{log.lines()} and recorded {recorded(mug)}. Return early when update_fields "
        "is given and leaves out 'price' (TODO 1)."
    )


def test_a_save_whose_update_fields_name_the_price_is_logged(mug, log):
    mug.price = Decimal("10.00")
    save(mug, update_fields=["price"])
    tea = create_product("Tea", Decimal("4.00"))
    tea.name, tea.price = "Green tea", Decimal("4.50")
    save(tea, update_fields=["name", "price"])

    expected = ["Mug: 9.50 -> 10.00", "Green tea: 4.00 -> 4.50"]
    assert log.lines() == expected, (
        "save(update_fields=['price']) and save(update_fields=['name', 'price']) both write the "
        f"price: they should log {expected}; {log.told()}. Return early only when "
        "update_fields is given and leaves 'price' out: not whenever it is given, and not "
        "whenever it names more than 'price' (TODO 1)."
    )


def test_loading_a_fixture_logs_nothing(mug, log):
    fixture = '[{"model": "shop.product", "pk": %d, "fields": {"name": "Mug", "price": "7.00"}}]'
    for restored in serializers.deserialize("json", fixture % mug.pk):
        restored.save()  # What loaddata does: Model.save_base(raw=True).

    assert log.lines() == [] and recorded(mug) == [], (
        f"Loading a fixture logged {log.lines()} and recorded {recorded(mug)}. "
        "loaddata saves with raw=True: that is data being restored, not a change of price. "
        "Return early when `raw` is True (TODO 1)."
    )


def fail_to_save(product):
    """Save `product` with a name the database refuses (NOT NULL): its UPDATE fails."""
    name, product.name = product.name, None
    with pytest.raises(IntegrityError), transaction.atomic():
        product.save()
    product.name = name


def test_a_save_that_fails_logs_nothing(mug, log):
    mug.price = Decimal("10.00")
    fail_to_save(mug)

    assert log.lines() == [], (
        "A save whose UPDATE failed changed no price, yet it logged "
        f"{log.lines()}. Log in record_price_change() (post_save, sent only once the "
        "row is written), not in pre_save (TODO 1)."
    )


# Committed for real, so the tables are emptied after the test: naming the one app it uses
# keeps that quick (Django then does not re-create every content type and permission).
@pytest.mark.django_db(transaction=True, available_apps=["shop"])
def test_a_save_that_fails_outside_a_transaction_records_nothing(mug):
    mug.price = Decimal("10.00")
    mug.name = None  # NOT NULL: the UPDATE fails.
    with pytest.raises(IntegrityError):
        mug.save()  # Autocommit, as in a script: every query commits at once.

    assert not PriceChange.objects.exists(), (
        "A save whose UPDATE failed (outside any transaction) left a PriceChange behind: "
        f"{list(PriceChange.objects.values_list('old_price', 'new_price'))}. pre_save runs "
        "before the UPDATE; create the PriceChange in record_price_change() (post_save), "
        "once the row is written (TODO 1)."
    )


def test_after_a_failed_save_the_next_save_records_only_its_own_change(mug, log):
    mug.price = Decimal("10.00")
    fail_to_save(mug)
    mug.name = "Big mug"
    save(mug, update_fields=["name"])  # Leaves the price out: nothing to record.

    assert log.lines() == [] and recorded(mug) == [], (
        "After a save that failed, a save of the name alone logged "
        f"{log.lines()} and recorded {recorded(mug)}: a change noted for the failed "
        "save was recorded by the next one. Set instance._price_change on every pre_save, "
        "None when there is nothing to record (TODO 1)."
    )


# The admin and forms save products too: the price arrives as the form cleaned it.


def product_form_data(name, price):
    """What the product's admin form posts: its fields, and the empty price change inline."""
    return {
        "name": name,
        "price": price,
        "price_changes-TOTAL_FORMS": "0",
        "price_changes-INITIAL_FORMS": "0",
        "price_changes-MIN_NUM_FORMS": "0",
        "price_changes-MAX_NUM_FORMS": "1000",
    }


def post_to_admin(admin_client, url, data):
    try:
        response = admin_client.post(url, data)
    except (TypeError, ValueError, ArithmeticError, AttributeError) as error:
        pytest.fail(
            f"Saving a product in the admin raised {type(error).__name__}{raised_in(error)}: "
            f"{error}. {advice_for(error)}"
        )
    assert response.status_code == 302, f"The admin refused the form: {response.text[:300]}"


def test_changing_the_price_in_the_admin_records_it(admin_client, mug, log):
    url = reverse("admin:shop_product_change", args=[mug.pk])
    post_to_admin(admin_client, url, product_form_data("Mug", "10.00"))

    assert (log.lines(), recorded(mug)) == (
        ["Mug: 9.50 -> 10.00"],
        [(Decimal("9.50"), Decimal("10.00"))],
    ), (
        "Changing the mug's price to 10.00 on its admin page should log 'Mug: 9.50 -> 10.00' "
        f"and record (9.50, 10.00); {log.told()} and recorded {recorded(mug)}. "
        "See TODO 1."
    )


def test_saving_a_product_unchanged_in_the_admin_records_nothing(admin_client, mug, log):
    url = reverse("admin:shop_product_change", args=[mug.pk])
    post_to_admin(admin_client, url, product_form_data("Big mug", "9.5"))

    assert log.lines() == [] and recorded(mug) == [], (
        "Renaming the mug in the admin, its price typed as 9.5 (the same as 9.50), logged "
        f"{log.lines()} and recorded {recorded(mug)}. Compare prices as Decimals "
        "(TODO 1)."
    )


def test_adding_a_product_in_the_admin_records_no_price_change(admin_client, log):
    post_to_admin(admin_client, reverse("admin:shop_product_add"), product_form_data("Cup", "3"))

    assert log.lines() == [] and not PriceChange.objects.exists(), (
        f"Adding a product in the admin logged {log.lines()} and recorded "
        f"{PriceChange.objects.count()} price changes. A new product has no old price "
        "(TODO 1)."
    )


def test_a_model_form_that_changes_the_price_records_it(mug, log):
    ProductForm = modelform_factory(Product, fields=["name", "price"])
    form = ProductForm({"name": "Mug", "price": "10.00"}, instance=Product.objects.get(pk=mug.pk))
    assert form.is_valid(), form.errors
    try:
        form.save()
    except (TypeError, ValueError, ArithmeticError, AttributeError) as error:
        pytest.fail(
            f"Saving a ModelForm raised {type(error).__name__}{raised_in(error)}: {error}. "
            f"{advice_for(error)}"
        )

    assert (log.lines(), recorded(mug)) == (
        ["Mug: 9.50 -> 10.00"],
        [(Decimal("9.50"), Decimal("10.00"))],
    ), (
        "A ModelForm that changes the mug's price to '10.00' should log 'Mug: 9.50 -> 10.00' "
        f"and record (9.50, 10.00); {log.told()} and recorded {recorded(mug)}. "
        "See TODO 1."
    )


# TODO 2: what the log costs. Remember the loaded price instead of asking the database.

# Inside a test's transaction, a receiver's own transaction.atomic() block adds a SAVEPOINT and
# its RELEASE: harmless, and not what these tests count.
SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def assert_queries(expected, run, why):
    """Call run(); fail with `why` and the queries run, unless they were `expected` many."""
    with CaptureQueriesContext(connection) as captured:
        run()
    queries = [query["sql"] for query in captured if not query["sql"].startswith(SAVEPOINTS)]
    if len(queries) == expected:
        return
    if any(sql.startswith("SELECT") and "shop_pricechange" in sql for sql in queries):
        why = (
            "It looked for a PriceChange before writing one: get_or_create() and "
            "update_or_create() ask first, record a price that comes back to an earlier one "
            "only once, and update_or_create() keeps one row per product. Every change is a new "
            "row: create it with PriceChange.objects.create() (TODO 1)."
        )
    listed = "".join(f"\n  {sql}" for sql in queries)
    pytest.fail(f"Expected {expected} queries, {len(queries)} were run. {why}{listed}")


def test_a_price_change_costs_two_queries_the_update_and_the_insert(mug):
    mug.price = Decimal("10.00")
    assert_queries(
        2,
        lambda: save(mug),
        "Saving a new price should run the product's UPDATE and the PriceChange's INSERT, "
        "nothing more. A third query is the seed tutorial's SELECT: return the price "
        "remember_loaded_price() kept instead (TODO 2). Only one? See TODO 1.",
    )


def test_changing_the_price_of_a_loaded_product_costs_two_queries(mug):
    product = Product.objects.get(pk=mug.pk)
    product.price = Decimal("10.00")
    assert_queries(
        2,
        lambda: save(product),
        "Saving a new price on a product loaded with Product.objects.get() should run the "
        "UPDATE and the INSERT, nothing more. A third query is a SELECT for the old price: "
        "remember the price a product is loaded with in remember_loaded_price() (post_init) "
        "and return it from price_before_save() (TODO 2). Only one? See TODO 1.",
    )


def test_changing_a_price_of_zero_costs_two_queries():
    sample = create_product("Sample", Decimal("0.00"))
    sample.price = Decimal("2.50")
    assert_queries(
        2,
        lambda: save(sample),
        "Saving a new price on a free sample (0.00) should run the UPDATE and the INSERT, "
        "nothing more. A remembered price of 0.00 is still remembered: Decimal('0.00') is "
        "falsy, so `remembered or <query>` asks the database. Test for a missing price with "
        "hasattr() or `is None` (TODO 2).",
    )


def test_a_save_without_a_price_change_costs_one_query(mug):
    mug.name = "Big mug"
    assert_queries(
        1,
        lambda: save(mug),
        "Saving the mug with its price unchanged should run its UPDATE and nothing else: "
        "no SELECT for the old price (TODO 2), no PriceChange (TODO 1).",
    )


def load_without_price(products):
    """list(products), which leave the price unloaded, failing with advice if a receiver raises."""
    try:
        return list(products)
    except (KeyError, TypeError, AttributeError) as error:
        pytest.fail(
            f"Loading products with .only('name') raised {type(error).__name__}"
            f"{raised_in(error)}: {error}. "
            "Their price is deferred, not loaded: remember_loaded_price() must remember "
            "nothing when 'price' is in instance.get_deferred_fields() (TODO 2)."
        )


def test_each_loaded_product_remembers_its_own_price(mug, tea, log):
    loaded_mug, _loaded_tea = Product.objects.order_by("name")  # The mug is built first.
    change_price(loaded_mug, "10.00")

    assert log.lines() == ["Mug: 9.50 -> 10.00"], (
        "Loading the mug (9.50) and the tea (4.00), then saving the mug at 10.00, should log "
        f"'Mug: 9.50 -> 10.00'; {log.told()}. Each product remembers its own price: keep it "
        "on the instance (instance._loaded_price), not on the class (sender) or in a "
        "module-level variable, which the next product loaded overwrites (TODO 2)."
    )


def test_loading_products_without_their_price_runs_no_extra_query(
    mug, tea, django_assert_num_queries
):
    with django_assert_num_queries(
        1,
        info="Loading products with .only('name') should run one query. Reading instance.price "
        "in remember_loaded_price() loads a deferred price, with one query per product: skip "
        "it when 'price' is in instance.get_deferred_fields() (TODO 2).",
    ):
        load_without_price(Product.objects.only("name"))


def test_a_product_loaded_without_its_name_remembers_its_price(mug):
    product = Product.objects.defer("name").get(pk=mug.pk)
    product.price = Decimal("10.00")
    with CaptureQueriesContext(connection) as queries:
        save(product)  # Its log line loads the name: that query is fine.

    selects = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    asked = [sql for sql in selects if '"price"' in sql.partition(" FROM ")[0]]
    assert not asked, (
        "A product loaded with .defer('name') has its price, yet saving a new one asked the "
        f"database for it: {asked}. Skip remembering only when 'price' itself is in "
        "instance.get_deferred_fields(), not when any field is (TODO 2)."
    )


def test_a_price_set_on_a_product_loaded_without_it_is_logged(mug, log):
    [product] = load_without_price(Product.objects.only("name").filter(pk=mug.pk))
    change_price(product, "10.00")

    assert log.lines() == ["Mug: 9.50 -> 10.00"], (
        "A product loaded with .only('name') and then given the price 10.00 should log "
        f"'Mug: 9.50 -> 10.00'; {log.told()}. Nothing was remembered for it: "
        "price_before_save() must ask the database, from pre_save, before the UPDATE overwrites "
        "the old price (TODO 2)."
    )


# TODO 3: a second change on the same product.


def test_a_second_change_logs_the_first_new_price_as_old(mug, log):
    change_price(mug, "10.00")
    change_price(mug, "11.00")

    expected = ["Mug: 9.50 -> 10.00", "Mug: 10.00 -> 11.00"]
    assert log.lines() == expected, (
        "Changing the mug's price twice (9.50 -> 10.00 -> 11.00) should log "
        f"{expected}; {log.told(expected)}. After a "
        "save, the price just written is the old price of the next save: remember it in "
        "remember_saved_price() (TODO 3)."
    )


def test_one_price_change_is_recorded_per_real_change(mug):
    for price in ("10.00", "11.00", "10.00", "11.00"):  # A sale on and off, and on again.
        change_price(mug, price)
    save(mug)  # Nothing changed.

    expected = [("9.50", "10.00"), ("10.00", "11.00"), ("11.00", "10.00"), ("10.00", "11.00")]
    expected = sorted((Decimal(old), Decimal(new)) for old, new in expected)
    assert sorted(recorded(mug)) == expected, (
        "Four changes of price (9.50 -> 10.00 -> 11.00 -> 10.00 -> 11.00) and a save without "
        "change should leave four PriceChange rows, one for every change, (10.00, 11.00) "
        f"twice; they are {recorded(mug)}. Remember the saved price in remember_saved_price() "
        "(TODO 3), and create a new PriceChange for every change (TODO 1)."
    )


def test_after_a_failed_save_the_next_full_save_logs_the_real_change(mug, log):
    mug.price = Decimal("10.00")
    fail_to_save(mug)  # The row keeps 9.50.
    save(mug)  # Now the price is written: 9.50 -> 10.00.

    assert log.lines() == ["Mug: 9.50 -> 10.00"], (
        "After a save that failed, which leaves the row at 9.50, a save at 10.00 should log "
        f"'Mug: 9.50 -> 10.00'; {log.told()}. Remember the new price only once a save has "
        "written it: in remember_saved_price() (post_save, sent only when the UPDATE "
        "succeeded), not in pre_save (TODO 3)."
    )


def test_a_change_after_a_save_of_the_price_by_update_fields_logs_from_it(mug, log):
    mug.price = Decimal("10.00")
    save(mug, update_fields=["price"])  # Writes the price: the row holds 10.00.
    mug.name, mug.price = "Big mug", Decimal("11.00")
    save(mug, update_fields=["name", "price"])  # The row holds 11.00.
    change_price(mug, "12.00")

    expected = ["Mug: 9.50 -> 10.00", "Big mug: 10.00 -> 11.00", "Big mug: 11.00 -> 12.00"]
    assert log.lines() == expected, (
        "save(update_fields=['price']) at 10.00, save(update_fields=['name', 'price']) at "
        f"11.00, then a save at 12.00, should log {expected}; {log.told()}. A save whose "
        "update_fields name 'price', alone or with other fields, writes it too: remember it "
        "when update_fields is None or names 'price' (TODO 3)."
    )


def test_a_product_priced_before_its_first_save_logs_its_next_change(log):
    advice = (
        "The cup was built without a price (Product(name='Cup')) and given 3.00 before the save "
        "that created it, so post_init remembered None. Remember the price after every save "
        "that writes it, the one that created the product (created=True) included, in "
        "remember_saved_price() (TODO 3)."
    )
    cup = Product(name="Cup")
    cup.price = Decimal("3.00")
    save(cup, advice)  # Created: nothing to log.
    cup.price = Decimal("3.50")
    save(cup, advice)

    assert log.lines() == ["Cup: 3.00 -> 3.50"], (
        "A cup priced 3.00 before its first save, then saved at 3.50, should log "
        f"['Cup: 3.00 -> 3.50']; {log.told()}. {advice}"
    )


def test_a_full_save_after_one_that_left_out_the_price_logs_the_real_change(mug, log):
    mug.price = Decimal("10.00")
    save(mug, update_fields=["name"])  # The row keeps 9.50.
    save(mug)  # Now the price is written: 9.50 -> 10.00.

    assert log.lines() == ["Mug: 9.50 -> 10.00"], (
        "After save(update_fields=['name']), which leaves the row at 9.50, a full save at "
        f"10.00 should log 'Mug: 9.50 -> 10.00'; {log.told()}. Remember the "
        "saved price only when the save wrote it: update_fields is None or names 'price' "
        "(TODO 3)."
    )


# The log in the admin: shop/admin.py shows PriceChange rows inline on the product's page.


def shown_price_changes(html):
    """The (old, new) prices in the rows of the admin page's price change inline."""
    inline = html.partition('id="price_changes-group"')[2]
    old = re.findall(r'<td class="field-old_price">\s*<p>(.*?)</p>', inline)
    new = re.findall(r'<td class="field-new_price">\s*<p>(.*?)</p>', inline)
    return list(zip(old, new, strict=True))


def test_the_products_admin_page_shows_its_price_changes(admin_client, mug):
    change_price(mug, "10.00")
    change_price(mug, "11.00")

    response = admin_client.get(reverse("admin:shop_product_change", args=[mug.pk]))

    shown = shown_price_changes(response.text)
    assert shown == [("10.00", "11.00"), ("9.50", "10.00")], (
        "The mug's admin page should list its two price changes, newest first: "
        f"[('10.00', '11.00'), ('9.50', '10.00')]; it shows {shown}. Each change of price "
        "must create a PriceChange (TODO 1) with the price it changed from (TODO 3)."
    )
