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


def announce_price_change(sender, instance, created, **kwargs):
    """post_save of PriceChange: tell every connection, once the transaction commits."""
    # TODO 6: for a new PriceChange (created) only, build the message
    #   {"type": "price.changed", "product_id": 1, "product": "Mug",
    #    "old_price": "9.50", "new_price": "10.00"}
    # with prices as strings of two decimals, f"{Decimal(price):.2f}" (a Decimal is not JSON,
    # and the instance holds whatever it was given: Decimal("9.5"), 10, "9.5"). Send it to
    # groups.PRICES once the transaction commits, robustly (a channel layer that is down must
    # not fail the save):
    # transaction.on_commit(lambda: send_to_group(groups.PRICES, message), robust=True).


def announce_report_sent(sender, order, **kwargs):
    """order_report_sent: tell the order's owner, and no one else."""
    # TODO 7: send {"type": "report.sent", "order_id": 7} to the group of the order's owner,
    # groups.for_user(order.owner_id), after commit and robustly, as in TODO 6.
