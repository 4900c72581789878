"""What the shop does. It announces what happened with signals and does not know who listens."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Round

from shop.models import Order, OrderLine, Product

from .signals import order_placed, prices_changed


def place_order(owner, products):
    """Create an order with one line per product, then announce it with order_placed."""
    with transaction.atomic():
        order = Order.objects.create(owner=owner)
        OrderLine.objects.bulk_create(
            OrderLine(order=order, product=product, unit_price=product.price)
            for product in products
        )
    # The order is placed: send_robust() catches what a receiver raises, so one broken listener
    # can neither undo that nor stop the others hearing of it. Django logs each exception it
    # catches, with its traceback, on the "django.dispatch" logger at ERROR: nothing is left
    # for place_order() to do with the (receiver, response) pairs it returns.
    order_placed.send_robust(sender=Order, order=order)
    return order


def change_prices(products, percent):
    """Change the price of every product in `products` (a queryset) by `percent`, in one query.

    `percent` is an int or a Decimal (10 or Decimal("2.5")), never a float: this is money.

    QuerySet.update() writes all rows with one UPDATE and sends no pre_save or post_save
    signal, so this function is the one place that announces a bulk change.
    Returns the number of products changed.
    """
    factor = 1 + Decimal(percent) / 100  # Decimal, never float: this is money.
    # The ids as a list, read before the update: a filter on the price may not match after it.
    product_ids = list(products.values_list("pk", flat=True))
    # Round() rounds in the database, half a cent up: 3.75 + 10% = 4.125 becomes 4.13.
    Product.objects.filter(pk__in=product_ids).update(price=Round(F("price") * factor, 2))
    # The prices have changed, whatever a receiver does: robust, as for order_placed.
    prices_changed.send_robust(sender=Product, product_ids=product_ids, percent=percent)
    return len(product_ids)
