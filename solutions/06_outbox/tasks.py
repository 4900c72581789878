"""The worker's side: one task does what an outbox message asks, once however often it runs."""

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from shop.models import OutboxMessage

from .handlers import HANDLERS

# How long a run may hold its claim on a message. The outbox's own setting, not lesson 04's
# report lease: its handlers are not all reports. No live handler may outlive it, or a second
# run would do the work too; each handler sends one email, and EMAIL_TIMEOUT (10 s) bounds each
# of its socket operations (about ten), so two minutes is the worst. The price: the work of a
# run that died is done up to a lease later.
CLAIM_LEASE = getattr(settings, "OUTBOX_CLAIM_LEASE", timedelta(minutes=5))


@shared_task(
    # A mail server that is down is worth another try, later (lesson 04).
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
    # Acknowledged once it has run: a worker that dies mid-task leaves it to another.
    acks_late=True,
    bind=True,  # The task is `self`, for self.retry().
)
def handle_message(self, message_id):
    """Do what outbox message `message_id` asks for: once, however often it is delivered."""
    # Claim the message: one UPDATE, atomic on every database, no transaction left open. It
    # matches only while the work is not done and no live run holds it (lesson 04).
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE),
        pk=message_id,
        handled_at__isnull=True,
    ).update(claimed_at=now)
    message = OutboxMessage.objects.get(pk=message_id)
    if not claimed:
        if message.handled_at is not None:
            return  # Published twice (a relay died before marking it sent): done already.
        # Another run is doing it. Come back once its lease is over: if it died, take over.
        raise self.retry(countdown=CLAIM_LEASE.total_seconds())

    # The work, with no transaction open: no lock, no connection, waits on the mail server.
    try:
        HANDLERS[message.kind](**message.payload)
    except Exception:
        OutboxMessage.objects.filter(pk=message_id).update(claimed_at=None)  # For the retry.
        raise
    # Record it, and let go of the claim. A run that dies before this leaves its claim to
    # expire, and the redelivered task does the work again a lease later: at least once.
    message.handled_at, message.claimed_at = timezone.now(), None
    message.save(update_fields=["handled_at", "claimed_at"])
