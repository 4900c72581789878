"""The relay_outbox command: `python manage.py relay_outbox` runs the relay, for good or --once."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connection

from outbox import notify, relay
from shop.models import OutboxMessage


class Command(BaseCommand):
    help = (
        "Publish the outbox's pending messages to the broker, retrying while it is down. "
        "Runs until stopped; with --once, publishes what is due and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="publish what is due, then exit: status 0 only if nothing is left pending",
        )
        parser.add_argument("--batch-size", type=int, default=relay.BATCH_SIZE)
        parser.add_argument(
            "--idle-wait",
            type=float,
            default=1.0,
            help="seconds to wait for new messages when none is due (PostgreSQL: woken at once)",
        )

    def handle(self, *, once, batch_size, idle_wait, **options):
        if once:
            self.drain(batch_size)
            # TODO 6: exit with a status that says whether everything was delivered: if any
            # message is still pending (sent_at is None), fail with a non-zero status and say
            # how many are left. A CommandError does both.
            return
        while True:
            try:
                self.drain(batch_size)
                notify.wait_for_new_messages(timeout=idle_wait)
            except (OperationalError, InterfaceError) as error:
                # The database restarted, or dropped the connection: the relay outlives it.
                # Closed, the connection is opened anew by the next query.
                self.stderr.write(f"Database unreachable, trying again in {idle_wait} s: {error}")
                connection.close()
                time.sleep(idle_wait)

    def drain(self, batch_size):
        """Publish batch after batch until none is due or the broker fails; return how many."""
        total = 0
        while True:
            relayed = relay.relay_pending(batch_size)
            total += relayed.published
            if relayed.published:
                self.stdout.write(f"Published {relayed.published} messages")
            if relayed.failed:
                self.stderr.write(f"{relayed.failed} messages not published: broker unreachable")
            if relayed.failed or relayed.published < batch_size:
                return total
