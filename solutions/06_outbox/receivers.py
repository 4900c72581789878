"""Receivers: functions that react to signals. apps.py connects them."""

from shop.models import OutboxMessage


def write_order_report_message(sender, instance, created, **kwargs):
    """post_save of Order: note in the outbox that the new order's report is to be sent."""
    if created:
        # Now, not on commit: the row joins the order's own transaction, so both are
        # committed together or neither is. The relay publishes it later.
        OutboxMessage.objects.create(kind="order_report", payload={"order_id": instance.pk})


def write_welcome_email_message(sender, instance, created, **kwargs):
    """post_save of the user model: note in the outbox that the new user is to be welcomed."""
    if created and instance.email:
        OutboxMessage.objects.create(kind="welcome_email", payload={"user_id": instance.pk})
