"""Waking the relay without polling: PostgreSQL's LISTEN/NOTIFY. Elsewhere, the relay polls.

A NOTIFY sent inside a transaction is delivered when the transaction commits, and not at all
if it rolls back: the relay wakes up exactly when there is a committed message to publish.
"""

import time

from django.db import connection

CHANNEL = "outbox"


def wake_the_relays(sender, created, **kwargs):
    """post_save of OutboxMessage: on PostgreSQL, tell the listening relays, at the commit."""
    if created and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


def wait_for_new_messages(timeout):
    """Return when a new message is committed (PostgreSQL), or after `timeout` seconds."""
    if connection.vendor != "postgresql":
        connection.close()  # Polling: no connection held open while the relay sleeps.
        time.sleep(timeout)
        return
    connection.ensure_connection()
    listener = connection.connection  # the psycopg connection under Django's, in autocommit
    # Django's own wrapper: psycopg's errors become Django's (a dropped connection raises
    # django.db.OperationalError, which the relay's loop expects).
    with connection.wrap_database_errors:
        listener.execute(f"LISTEN {CHANNEL}")  # Once per connection; repeating it does no harm.
        for _notification in listener.notifies(timeout=timeout, stop_after=1):
            pass
