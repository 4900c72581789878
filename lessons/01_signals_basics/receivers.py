"""Receivers: functions that react to signals. apps.py connects them.

Every receiver takes `sender` and `**kwargs`: Django may add arguments to a signal later, and a
receiver that does not accept them would break.
"""

import logging

logger = logging.getLogger("shop.events")


def log_new_product(sender, instance, created, **kwargs):
    """post_save of Product: log "New product: <name> at <price>", on creation only."""
    # TODO 1: post_save fires on every save. When (and only when) `created` is True, log
    # "New product: Mug at 9.50" at INFO level on `logger` for the product `instance`.


def log_order_placed(sender, order, **kwargs):
    """order_placed: log "Order #<pk> placed by <username>: <total>"."""
    # TODO 4: log "Order #7 placed by alice: 13.50" at INFO level on `logger`.
    # (order.total adds up the order's lines.) Then connect this receiver in apps.py.
