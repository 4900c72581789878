"""The order report task: a Celery worker emails it, so that placing an order stays fast."""

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from shop.models import Order
from shop.signals import order_report_sent

from .reports import order_report_email

# How long a run may hold its claim on a report (TODO 4). No live send may outlive it, or a
# second run would send too: EMAIL_TIMEOUT (10 s) bounds each of a send's socket operations
# (connect, EHLO, STARTTLS, MAIL, RCPT, DATA, ..., about ten), so a send ends within two
# minutes even at worst. The price: the report of a run that died goes out up to a lease later.
CLAIM_LEASE = getattr(settings, "ORDER_REPORT_CLAIM_LEASE", timedelta(minutes=5))


@shared_task(
    # TODO 3: a mail server that is down or busy is worth another try, later. Retry
    # automatically on SMTPException, ConnectionError and TimeoutError, waiting twice as long
    # each time (exponential backoff, with jitter), never more than 5 minutes apart, 10 times.
    #
    # TODO 5: acknowledge the message once the task has run, not when it arrives. Only once
    # the task is idempotent (TODO 4)!
    bind=True,  # The task is `self`, for self.retry() (TODO 4).
)
def send_order_report(self, order_id):
    """Email the report of order `order_id` to its owner: once, however often this task runs."""
    # TODO 4: a message may be delivered twice, and a task may be queued twice. Make a second
    # run send nothing, with no transaction open while the mail server talks: claim, send,
    # record. Claim the report with ONE conditional UPDATE that sets report_claimed_at, where
    # report_sent_at is empty and report_claimed_at is empty or older than CLAIM_LEASE. No row
    # updated: return if the report is out, else another run has it: retry a lease later. If
    # the send fails, clear the claim and let the error go on. Then set report_sent_at (and
    # clear the claim).
    raise NotImplementedError(
        "TODO 2: load the order with id `order_id`, send it order_report_email(order), then "
        "announce it with order_report_sent (sender=Order, order=order), robustly"
    )
