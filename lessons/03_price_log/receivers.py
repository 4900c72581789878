"""Receivers: the price log. apps.py connects them to Product's signals.

A save logs a price change by comparing the new price with the price the product was loaded
with. Remembering that price costs nothing; asking the database for it costs a query per save.
"""

import logging

from shop.models import PriceChange

logger = logging.getLogger("shop.prices")


def note_price_change(sender, instance, raw, update_fields, **kwargs):
    """pre_save of Product: note whether this save changes the price (the row still has the old)."""
    instance._price_change = None  # Forget what an earlier save that failed may have noted.
    # TODO 1: return without a word when the product is new (instance._state.adding), when
    # `raw` is True (loaddata), or when update_fields is given and leaves out "price".
    # Otherwise compare price_before_save(instance) with instance.price as Decimals (the price
    # may have been set as a string or a float). If they differ, note the change for
    # record_price_change(): instance._price_change = (old_price, new_price).


def record_price_change(sender, instance, **kwargs):
    """post_save of Product: log and record the change noted before the save, now written."""
    # TODO 1: if note_price_change() noted a change, log it as "Mug: 9.50 -> 10.00" (both
    # prices with two decimals) at INFO on `logger`, and create a PriceChange for the product
    # with its old_price and new_price. Here, after the UPDATE, a failed save records nothing.


def price_before_save(product):
    """The price `product` had in the database before this save."""
    # TODO 2: this is the seed tutorial's way: one SELECT on every save. Return the price that
    # remember_loaded_price() kept on the product instead. Keep this query only for a product
    # that has nothing remembered (it was loaded without its price).
    return type(product)._base_manager.values_list("price", flat=True).get(pk=product.pk)


def remember_loaded_price(sender, instance, **kwargs):
    """post_init of Product: remember the price this product was loaded (or built) with."""
    # TODO 2: keep instance.price on the instance, as instance._loaded_price. But a queryset
    # may defer the price (Product.objects.only("name")): then it is not loaded, and reading
    # it here would run a query for every product. instance.get_deferred_fields() says.


def remember_saved_price(sender, instance, update_fields, **kwargs):
    """post_save of Product: the price just written is the one the next save changes from."""
    # TODO 3: after a save that wrote the price (update_fields is None or names "price"),
    # remember instance.price again, so that a second change on the same product logs the
    # first new price as its old one.
