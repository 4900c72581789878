"""Receivers that push the shop's events to WebSockets. apps.py connects them.

They run in sync code (a view, a Celery task), so they call the async channel layer through
async_to_sync. And they push only once the transaction commits: a browser must never hear of
a change that was rolled back, nor hear of it before it can read it.
"""

from decimal import Decimal

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import groups


def send_to_group(group, message):
    """Send `message` to every connection in `group`, from sync code."""
    async_to_sync(get_channel_layer().group_send)(group, message)


def push_on_commit(group, message):
    """Send `message` to `group` once the transaction commits.

    robust=True: the data is saved whatever happens to the push, so a channel layer that is
    down must not turn the save into an exception; Django logs the failure (at ERROR, on the
    "django.db.backends.base" logger) and carries on. A lambda, not functools.partial: Django
    5.2 names the failed callback by its __qualname__, which a partial lacks.
    """
    transaction.on_commit(lambda: send_to_group(group, message), robust=True)


def as_price(value):
    """A price on the wire: a string with two decimals, "4.50" (JSON has no decimal type).

    Decimal() first: a just-saved instance holds what the caller gave it (Decimal("4.5"), 10,
    "4.5"), not what the database stores.
    """
    return f"{Decimal(value):.2f}"


def announce_price_change(sender, instance, created, raw=False, **kwargs):
    """post_save of PriceChange: tell every connection, once the transaction commits."""
    # Saving an existing row again is not news; nor is a fixture (raw: loaddata restoring
    # history as it was, when its product may not be loaded yet).
    if raw or not created:
        return
    message = {
        "type": "price.changed",
        "product_id": instance.product_id,
        "product": instance.product.name,
        "old_price": as_price(instance.old_price),
        "new_price": as_price(instance.new_price),
    }
    push_on_commit(groups.PRICES, message)


def announce_report_sent(sender, order, **kwargs):
    """order_report_sent: tell the order's owner, and no one else."""
    push_on_commit(groups.for_user(order.owner_id), {"type": "report.sent", "order_id": order.pk})
