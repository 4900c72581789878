"""Receivers: functions that react to signals. apps.py connects them."""

from shop.models import OutboxMessage


def write_order_report_message(sender, instance, created, **kwargs):
    """post_save of Order: note in the outbox that the new order's report is to be sent."""
    # TODO 1: for a new order (`created`), write an OutboxMessage with kind="order_report" and
    # payload={"order_id": <the order's id>}. Right now, inside the order's own transaction:
    # not on commit, and without talking to the broker. The relay publishes it later.


def write_welcome_email_message(sender, instance, created, **kwargs):
    """post_save of the user model: note in the outbox that the new user is to be welcomed."""
    # TODO 1: the same for a new user who has an email address: kind="welcome_email",
    # payload={"user_id": <the user's id>}.
