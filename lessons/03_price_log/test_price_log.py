"""Lesson 03: a price log. Read top to bottom: the first failing test is your next step."""

import logging
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from shop.models import PriceChange, Product

pytestmark = pytest.mark.django_db

PRICES = "shop.prices"


@pytest.fixture(autouse=True)
def prices_at_info(caplog):
    caplog.set_level(logging.INFO, logger=PRICES)


def price_lines(caplog):
    return [record.getMessage() for record in caplog.records if record.name == PRICES]


def recorded(product):
    return list(product.price_changes.values_list("old_price", "new_price"))


def change_price(product, price):
    product.price = Decimal(price)
    product.save()


# TODO 1: log and record a change of price.


def test_changing_a_price_logs_the_old_and_the_new_price(mug, caplog):
    change_price(mug, "10.00")

    assert price_lines(caplog) == ["Mug: 9.50 -> 10.00"], (
        "Changing the mug's price from 9.50 to 10.00 should log exactly 'Mug: 9.50 -> 10.00' "
        f"on the 'shop.prices' logger; it logged {price_lines(caplog)}. See TODO 1."
    )


def test_changing_a_price_records_a_price_change(mug):
    change_price(mug, "10.00")

    assert recorded(mug) == [(Decimal("9.50"), Decimal("10.00"))], (
        "Changing the mug's price from 9.50 to 10.00 should create one PriceChange with "
        f"old_price 9.50 and new_price 10.00; the mug's price changes are {recorded(mug)}. "
        "See TODO 1."
    )


def test_creating_a_product_logs_no_price_change(caplog):
    Product.objects.create(name="Mug", price=Decimal("9.50"))

    assert price_lines(caplog) == [] and not PriceChange.objects.exists(), (
        f"Creating a product logged {price_lines(caplog)} and recorded "
        f"{PriceChange.objects.count()} price changes. A new product has no old price: "
        "return early when instance._state.adding is True (TODO 1)."
    )


def test_saving_an_unchanged_price_logs_nothing(mug, caplog):
    mug.name = "Big mug"
    mug.save()

    assert price_lines(caplog) == [] and recorded(mug) == [], (
        f"Saving the mug with its price unchanged logged {price_lines(caplog)} and recorded "
        f"{recorded(mug)}. Log only when the price differs (TODO 1)."
    )


def test_the_same_price_written_with_fewer_decimals_is_no_change(mug, caplog):
    change_price(mug, "9.5")

    assert price_lines(caplog) == [] and recorded(mug) == [], (
        "9.5 and 9.50 are the same price, yet saving the mug at Decimal('9.5') logged "
        f"{price_lines(caplog)}. Compare the prices as Decimals, not as strings (TODO 1)."
    )


def test_prices_are_logged_with_two_decimals(mug, caplog):
    change_price(mug, "12")

    assert price_lines(caplog) == ["Mug: 9.50 -> 12.00"], (
        "A price set as Decimal('12') should be logged as 12.00, like every other price: "
        f"expected ['Mug: 9.50 -> 12.00'], got {price_lines(caplog)}. Format each price with "
        "two decimals, e.g. f'{price:.2f}' (TODO 1)."
    )


def test_a_save_that_leaves_out_the_price_logs_nothing(mug, caplog):
    mug.price = Decimal("10.00")
    mug.name = "Big mug"
    mug.save(update_fields=["name"])  # Writes the name only: the row keeps 9.50.

    assert price_lines(caplog) == [] and recorded(mug) == [], (
        "save(update_fields=['name']) does not write the price, yet it logged "
        f"{price_lines(caplog)}. Return early when update_fields is given and leaves out "
        "'price' (TODO 1)."
    )


# TODO 2: what the log costs. Remember the loaded price instead of asking the database.


def test_a_price_change_costs_two_queries_the_update_and_the_insert(mug, django_assert_num_queries):
    mug.price = Decimal("10.00")
    with django_assert_num_queries(
        2,
        info="Saving a new price should run the PriceChange's INSERT and the product's UPDATE, "
        "nothing more. A third query is the seed tutorial's SELECT: return the price "
        "remember_loaded_price() kept instead (TODO 2). Only one? See TODO 1.",
    ):
        mug.save()


def test_loading_products_without_their_price_runs_no_extra_query(
    mug, tea, django_assert_num_queries
):
    with django_assert_num_queries(
        1,
        info="Loading products with .only('name') should run one query. Reading instance.price "
        "in remember_loaded_price() loads a deferred price, with one query per product: skip "
        "it when 'price' is in instance.get_deferred_fields() (TODO 2).",
    ):
        list(Product.objects.only("name"))


# TODO 3: a second change on the same product.


def test_a_second_change_logs_the_first_new_price_as_old(mug, caplog):
    change_price(mug, "10.00")
    change_price(mug, "11.00")

    assert price_lines(caplog) == ["Mug: 9.50 -> 10.00", "Mug: 10.00 -> 11.00"], (
        "Changing the mug's price twice (9.50 -> 10.00 -> 11.00) should log "
        "['Mug: 9.50 -> 10.00', 'Mug: 10.00 -> 11.00']; it logged "
        f"{price_lines(caplog)}. After a save, the price just written is the old price of "
        "the next save: remember it in remember_saved_price() (TODO 3)."
    )


# A product loaded without its price, given one since.


def test_a_price_set_on_a_product_loaded_without_it_is_logged(mug, caplog):
    product = Product.objects.only("name").get(pk=mug.pk)
    try:
        change_price(product, "10.00")
    except AttributeError as error:
        pytest.fail(
            f"Saving a product loaded with .only('name') failed: {error}. Nothing was "
            "remembered for it, so price_before_save() must still ask the database (TODO 2)."
        )

    assert price_lines(caplog) == ["Mug: 9.50 -> 10.00"], (
        "A product loaded with .only('name') and then given the price 10.00 should log "
        f"'Mug: 9.50 -> 10.00'; it logged {price_lines(caplog)}. See TODO 1 and 2."
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
