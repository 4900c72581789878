"""Receivers that push the shop's events to WebSockets. apps.py connects them.

They run in sync code (a view, a Celery task), so they call the async channel layer through
async_to_sync. And they push only once the transaction commits: a browser must never hear of
a change that was rolled back, nor hear of it before it can read it.
"""

from functools import partial

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
    # (prices as strings: a Decimal is not JSON) and send it to groups.PRICES with
    # send_to_group, but only once the transaction commits:
    # transaction.on_commit(partial(send_to_group, groups.PRICES, message)).


def announce_report_sent(sender, order, **kwargs):
    """order_report_sent: tell the order's owner, and no one else."""
    # TODO 7: send {"type": "report.sent", "order_id": 7} to the group of the order's owner,
    # groups.for_user(order.owner_id), after commit as in TODO 6.
