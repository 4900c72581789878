"""Receivers: functions that react to signals. apps.py connects them."""

from .tasks import send_order_report


def queue_order_report(sender, instance, created, **kwargs):
    """post_save of Order: have a worker email the new order's report, once it is committed."""
    # TODO 1: for a new order (`created`) only, queue send_order_report with the order's id.
    # Not the order itself: a task message is JSON, and the worker loads a fresh order anyway.
    # And not right now: when post_save fires, the order's lines are not saved yet and the
    # transaction may still roll back. Queue it once the transaction commits; Celery's tasks
    # in a Django project have a method for that.
