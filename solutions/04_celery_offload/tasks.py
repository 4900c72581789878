"""The order report task: a Celery worker emails it, so that placing an order stays fast."""

from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from shop.models import Order
from shop.signals import order_report_sent

from .reports import order_report_email


@shared_task(
    # A mail server that is down or busy is worth another try, later: after about 1, 2, 4,
    # 8, ... seconds, never more than 5 minutes apart, 10 times (a quarter of an hour at most),
    # then the task fails. Jitter picks each wait at random up to that, so that tasks that
    # failed together do not all come back together.
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
    # Acknowledge the message once the task has run, not when it arrives: if the worker dies
    # in between, the broker delivers it again. Safe only because the task is idempotent.
    acks_late=True,
)
def send_order_report(order_id):
    """Email the report of order `order_id` to its owner: once, however often this task runs."""
    with transaction.atomic():
        # The order's row stays locked until the block ends: a second run of this task for the
        # same order waits here, then sees report_sent_at. (SQLite ignores FOR UPDATE: see the
        # README for the option that serializes its transactions instead.)
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.report_sent_at is not None:
            return  # A repeated or redelivered task: the report is out already.
        order_report_email(order).send()
        # If the mark fails to commit after the send, the next run sends again: at least once.
        order.report_sent_at = timezone.now()
        order.save(update_fields=["report_sent_at"])

    # Outside the block: receivers hear of the report once it is committed. send_robust(): a
    # receiver that fails must not fail the task, whose email is out. Django logs that error
    # itself, with its traceback, on the "django.dispatch" logger.
    order_report_sent.send_robust(sender=Order, order=order)
