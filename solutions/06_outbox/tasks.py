"""The worker's side: one task does what an outbox message asks, once however often it runs."""

from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from shop.models import OutboxMessage

from .handlers import HANDLERS


@shared_task(
    # A mail server that is down is worth another try, later (lesson 04).
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
    # Acknowledged once it has run: a worker that dies mid-task leaves it to another.
    acks_late=True,
)
def handle_message(message_id):
    """Do what outbox message `message_id` asks for: once, however often it is delivered."""
    with transaction.atomic():
        # Locked until the commit: a second delivery of the same message waits here, then
        # finds it handled. (SQLite lets one transaction write at a time.)
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.handled_at is not None:
            return  # Published twice (a relay died before marking it sent): done already.
        HANDLERS[message.kind](**message.payload)
        message.handled_at = timezone.now()
        message.save(update_fields=["handled_at"])
