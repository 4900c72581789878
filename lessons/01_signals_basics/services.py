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
    # TODO 3: now that the order and its lines are saved, send order_placed (sender=Order,
    # order=order) with send_robust(), so that a receiver that raises can neither break an
    # order that is already placed nor stop the other receivers. (Django logs each
    # receiver's exception for you: see the README.)
    return order


def change_prices(products, percent):
    """Change the price of every product in `products` (a queryset) by `percent`, in one query.

    `percent` is an int or a Decimal (10 or Decimal("2.5")), never a float: this is money.

    QuerySet.update() writes all rows with one UPDATE and sends no pre_save or post_save
    signal, so this function is the one place that announces a bulk change.
    Returns the number of products changed.
    """
    raise NotImplementedError(
        "TODO 5: update the prices with one QuerySet.update(), rounded to the cent (half a "
        "cent up), then send prices_changed with the changed product ids, and return how many"
    )
