"""What each kind of outbox message asks for: the work itself. The worker calls these.

Each takes the message's payload as keyword arguments, and raises if the work fails (the task
then retries). Once one returns, the work is done: tasks.py records that.
"""

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from shop.models import Order
from shop.signals import order_report_sent


def send_order_report(order_id):
    """Email the report of order `order_id` to its owner, and announce it after the commit."""
    order = Order.objects.select_related("owner").get(pk=order_id)
    lines = "\n".join(
        f"{line.quantity} x {line.product.name} at {line.unit_price}: {line.subtotal}"
        for line in order.lines.select_related("product")
    )
    EmailMessage(
        subject=f"Your order #{order.pk}",
        body=f"Hi {order.owner.get_username()},\n\n{lines}\n\nTotal: {order.total}\n",
        to=[order.owner.email],
    ).send()
    order.report_sent_at = timezone.now()
    order.save(update_fields=["report_sent_at"])
    # Lesson 05 tells the browser. Receivers hear of it once the work is committed.
    transaction.on_commit(lambda: announce_report(order), robust=True)


def announce_report(order):
    # send_robust(): a receiver that fails must not fail the task, whose email is out. Django
    # logs that error itself, with its traceback, on the "django.dispatch" logger (lesson 01).
    order_report_sent.send_robust(sender=Order, order=order)


def send_welcome_email(user_id):
    """Email a welcome to user `user_id`."""
    user = get_user_model().objects.get(pk=user_id)
    EmailMessage(
        subject="Welcome to the Event shop",
        body=f"Hi {user.get_username()},\n\nthank you for signing up.\n\nThe Event shop\n",
        to=[getattr(user, user.get_email_field_name())],
    ).send()


# The kinds of message the receivers write, and what the worker does for each.
HANDLERS = {
    "order_report": send_order_report,
    "welcome_email": send_welcome_email,
}
