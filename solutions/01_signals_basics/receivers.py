"""Receivers: functions that react to signals. apps.py connects them.

Every receiver takes `sender` and `**kwargs`: Django may add arguments to a signal later, and a
receiver that does not accept them would break.
"""

import logging

logger = logging.getLogger("shop.events")


def log_new_product(sender, instance, created, **kwargs):
    """post_save of Product: log "New product: <name> at <price>", on creation only."""
    if created:
        logger.info("New product: %s at %s", instance.name, instance.price)


def log_order_placed(sender, order, **kwargs):
    """order_placed: log "Order #<pk> placed by <username>: <total>"."""
    logger.info("Order #%s placed by %s: %s", order.pk, order.owner.get_username(), order.total)
