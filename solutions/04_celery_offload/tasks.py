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

# How long a run may hold its claim on a report. No live send may outlive it, or a second run
# would send too: EMAIL_TIMEOUT (10 s) bounds each of a send's socket operations (connect,
# EHLO, STARTTLS, MAIL, RCPT, DATA, ..., about ten), so a send ends within two minutes even at
# worst. The price: the report of a run that died goes out up to a lease later.
CLAIM_LEASE = getattr(settings, "ORDER_REPORT_CLAIM_LEASE", timedelta(minutes=5))


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
    bind=True,  # The task is `self`, for self.retry().
)
def send_order_report(self, order_id):
    """Email the report of order `order_id` to its owner: once, however often this task runs."""
    # Claim the report: one UPDATE, atomic on every database, no transaction left open. It
    # matches only while the report is not out and no live run holds it.
    now = timezone.now()
    claimed = Order.objects.filter(
        Q(report_claimed_at__isnull=True) | Q(report_claimed_at__lt=now - CLAIM_LEASE),
        pk=order_id,
        report_sent_at__isnull=True,
    ).update(report_claimed_at=now)
    order = Order.objects.get(pk=order_id)
    if not claimed:
        if order.report_sent_at is not None:
            return  # A repeated or redelivered task: the report is out already.
        # Another run is sending it. Come back once its lease is over: if it died, take over.
        raise self.retry(countdown=CLAIM_LEASE.total_seconds())

    # Send with no transaction open: no lock, no connection, waits on the mail server.
    try:
        order_report_email(order).send()
    except Exception:
        Order.objects.filter(pk=order_id).update(report_claimed_at=None)  # Free for the retry.
        raise
    # Record it, and let go of the claim. A run that dies before this leaves its claim to
    # expire, and the redelivered task sends again a lease later: at least once.
    order.report_sent_at, order.report_claimed_at = timezone.now(), None
    order.save(update_fields=["report_sent_at", "report_claimed_at"])

    # send_robust(): a receiver that fails must not fail the task, whose email is out. Django
    # logs that error itself, with its traceback, on the "django.dispatch" logger.
    order_report_sent.send_robust(sender=Order, order=order)
