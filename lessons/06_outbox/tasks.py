"""The worker's side: one task does what an outbox message asks, once however often it runs."""

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from shop.models import OutboxMessage

from .handlers import HANDLERS

# How long a run may hold its claim on a message (TODO 5). The outbox's own setting, not lesson
# 04's report lease: its handlers are not all reports. No live handler may outlive it, or a
# second run would do the work too; each handler sends one email, and EMAIL_TIMEOUT (10 s)
# bounds each of its socket operations (about ten), so two minutes is the worst. The price: the
# work of a run that died is done up to a lease later.
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
    bind=True,  # The task is `self`, for self.retry() (TODO 5).
)
def handle_message(self, message_id):
    """Do what outbox message `message_id` asks for: once, however often it is delivered."""
    # TODO 5: a message may be published twice (a relay that dies after publishing and before
    # marking it sent publishes it again). Make a second run do nothing, with no transaction
    # open while the handler talks to the mail server: claim, run, record, as in lesson 04.
    # Claim the message with ONE conditional UPDATE that sets claimed_at, where handled_at is
    # empty and claimed_at is empty or older than CLAIM_LEASE. No row updated: return if
    # handled_at is set, else another run has it: retry a lease later. If the handler fails,
    # clear the claim and let the error go on. Then set handled_at (and clear the claim).
    message = OutboxMessage.objects.get(pk=message_id)
    HANDLERS[message.kind](**message.payload)
