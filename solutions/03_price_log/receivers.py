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
    # A new product has no old price; a fixture (raw) is data restored as it was; and a save
    # whose update_fields leave out the price does not write it.
    if instance._state.adding or raw:
        return
    if update_fields is not None and "price" not in update_fields:
        return
    # The price may have been set as a string ("10.00") or a float (10.1): compare what the
    # field makes of it, a Decimal. Decimals compare as numbers: 9.5 == 9.50.
    as_decimal = sender._meta.get_field("price").to_python
    old_price, new_price = as_decimal(price_before_save(instance)), as_decimal(instance.price)
    if new_price != old_price:
        instance._price_change = (old_price, new_price)


def record_price_change(sender, instance, **kwargs):
    """post_save of Product: log and record the change noted before the save, now written."""
    # Recorded after the UPDATE succeeded, so a failed save records nothing; inside the
    # caller's transaction.atomic() (the admin has one), the row and its record commit together.
    if instance._price_change is None:
        return
    old_price, new_price = instance._price_change
    # format() keeps a Decimal exact, and two decimals read the same however it was typed.
    logger.info("%s: %s -> %s", instance.name, f"{old_price:.2f}", f"{new_price:.2f}")
    PriceChange.objects.create(product=instance, old_price=old_price, new_price=new_price)


def price_before_save(product):
    """The price `product` had in the database before this save."""
    try:
        return product._loaded_price
    except AttributeError:
        # Loaded without its price (.only(), .defer()) and given one since: nothing was
        # remembered, and only the database knows the old price.
        return type(product)._base_manager.values_list("price", flat=True).get(pk=product.pk)


def remember_loaded_price(sender, instance, **kwargs):
    """post_init of Product: remember the price this product was loaded (or built) with."""
    # A deferred price is not loaded: reading it here would run one query per product.
    if "price" not in instance.get_deferred_fields():
        instance._loaded_price = instance.price


def remember_saved_price(sender, instance, update_fields, **kwargs):
    """post_save of Product: the price just written is the one the next save changes from."""
    if update_fields is None or "price" in update_fields:
        instance._loaded_price = instance.price
