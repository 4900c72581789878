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
    # TODO 5: a message may be published twice (a relay that dies after publishing and before
    # marking it sent publishes it again). Make a second run do nothing: in one transaction,
    # load the message with its row locked, return if handled_at is set already, run its
    # handler, then set handled_at to now and save it.
    message = OutboxMessage.objects.get(pk=message_id)
    HANDLERS[message.kind](**message.payload)
