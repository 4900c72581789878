"""Receivers: functions that react to signals. apps.py connects them."""

from .tasks import send_order_report


def queue_order_report(sender, instance, created, **kwargs):
    """post_save of Order: have a worker email the new order's report, once it is committed."""
    if created:
        # The id, not the order: a message is JSON, and the worker reads the order as it is
        # then. After the commit: a worker that looks before it finds no order, or no lines.
        send_order_report.delay_on_commit(instance.pk)
