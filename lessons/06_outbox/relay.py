"""The relay: publish the outbox's pending messages to Celery, and mark each one sent.

It runs in a process of its own (`python manage.py relay_outbox`), never in a web request, so
a broker that is down or stalled costs the shop nothing but a delay. Several relays may run at
once: each takes the rows the others have not locked.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from shop.celery import app
from shop.models import OutboxMessage

from .tasks import handle_message

BATCH_SIZE = 100  # messages taken, and locked, at a time
BROKER_TIMEOUT = 1.0  # seconds to connect to the broker, or to hear back, before giving up
FIRST_RETRY_DELAY = 1  # seconds to wait after a failed publish; doubled after each failure,
MAX_RETRY_DELAY = 300  # up to 5 minutes. Whole seconds: an int doubled a thousand times is only
# a big int, where a float (or a timedelta) overflows and the relay dies a week into an outage.


@dataclass
class Relayed:
    published: int  # messages the broker took, now marked sent
    failed: int  # messages left pending, each with its next attempt scheduled


def relay_pending(batch_size=BATCH_SIZE):
    """Publish up to `batch_size` due messages, oldest first; each is marked sent, or retried."""
    with transaction.atomic():
        # TODO 2: take the messages to publish: pending (sent_at is None) and due
        # (next_attempt_at is now or earlier), oldest first, at most `batch_size` of them. Lock
        # their rows until the commit, and skip rows another relay has locked rather than wait.
        messages = []
        published = 0
        with broker_connection() as connection:
            try:
                for message in messages:
                    # TODO 3: publish handle_message with the message's id over `connection`,
                    # with Celery's own retries off (retry=False). Then, and only then, set the
                    # message's sent_at to now and save it.
                    raise NotImplementedError(
                        f"TODO 3: publish handle_message with message #{message.pk}'s id over "
                        "`connection`, retry=False, then mark the message sent"
                    )
                    published += 1
            except (OperationalError, *connection.connection_errors) as error:
                # The broker is down or stalled: the rest of the batch waits for it, too.
                for message in messages[published:]:
                    schedule_retry(message, error)
    return Relayed(published=published, failed=len(messages) - published)


def broker_connection():
    """A connection to the broker that gives up fast, instead of Celery's patient defaults.

    Celery waits 4 s to connect (broker_connection_timeout), then retries, and Redis waits for
    an answer forever: right for a worker, wrong for a relay with a batch of rows locked. One
    try, a short timeout: the relay's own schedule (schedule_retry) decides when to try again.
    """
    return app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT,
        transport_options={
            "max_retries": 0,  # no reconnecting inside a publish
            "socket_connect_timeout": BROKER_TIMEOUT,  # Redis
            "socket_timeout": BROKER_TIMEOUT,  # Redis: an answer that never comes
        },
    )


def schedule_retry(message, error):
    """Leave `message` pending, to be tried again later: 1 s, 2 s, 4 s... up to 5 minutes."""
    # TODO 4: count the failed attempt (attempts), schedule the next one (next_attempt_at):
    # FIRST_RETRY_DELAY seconds from now after the first failure, twice as long after each
    # further one, never more than MAX_RETRY_DELAY; keep the error in last_error; save.
    raise NotImplementedError(
        "TODO 4: add one to message.attempts, set next_attempt_at with a delay that doubles "
        "after each failure (at most MAX_RETRY_DELAY), keep the error in last_error, and save"
    )
