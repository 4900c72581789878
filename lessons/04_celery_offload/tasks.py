"""The order report task: a Celery worker emails it, so that placing an order stays fast."""

from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from shop.models import Order
from shop.signals import order_report_sent

from .reports import order_report_email


@shared_task(
    # TODO 3: a mail server that is down or busy is worth another try, later. Retry
    # automatically on SMTPException, ConnectionError and TimeoutError, waiting twice as long
    # each time (exponential backoff, with jitter), never more than 5 minutes apart, 10 times.
    #
    # TODO 5: acknowledge the message once the task has run, not when it arrives. Only once
    # the task is idempotent (TODO 4)!
)
def send_order_report(order_id):
    """Email the report of order `order_id` to its owner: once, however often this task runs."""
    # TODO 4: a message may be delivered twice, and a task may be queued twice. Make a second
    # run send nothing: in one transaction, load the order with its row locked, return if
    # order.report_sent_at is set already, and set it (to now) once the email has gone out.
    raise NotImplementedError(
        "TODO 2: load the order with id `order_id`, send it order_report_email(order), then "
        "announce it with order_report_sent (sender=Order, order=order), robustly"
    )
