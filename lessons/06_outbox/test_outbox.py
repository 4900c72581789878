"""Lesson 06: a transactional outbox. Read top to bottom: the first failing test is next.

The broker here is Celery's in-memory one, and the worker is real (workshop/worker.py), started
by `published.run_worker()` once the relay has done its part. `published` lists the
handle_message tasks that reached the broker. `broker.refusing()` and `broker.hanging()` take
the broker down for a `with` block: a port where nothing listens, and a socket that accepts and
never answers. These tests commit for real: the worker sees only what is committed.
"""

import logging
import re
import threading
import time
from contextlib import contextmanager, suppress
from datetime import timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.contrib.auth import get_user_model
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.transaction import TransactionManagementError
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import EncodeError, OperationalError

from outbox import handlers, notify, relay, tasks
from outbox.tasks import handle_message
from shop.models import Order, OrderLine, OutboxMessage
from shop.signals import order_report_sent
from workshop.testing import before_each_send

APPS = ["django.contrib.auth", "django.contrib.sessions", "shop", "outbox"]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)
# Tests where nothing but this thread touches the database run in a transaction that is rolled
# back at the end, which is faster than emptying every table.
ROLLED_BACK = pytest.mark.django_db


@pytest.fixture(autouse=True)
def order_ids_unlike_user_ids(db):
    """Orders numbered from 6 while users are numbered from 2: a mixed-up id shows."""
    User = get_user_model()
    User.objects.bulk_create([User(username="warehouse")])  # bulk_create: no signals.
    owner = User.objects.get(username="warehouse")
    Order.objects.bulk_create([Order(owner=owner) for _ in range(5)])


def place_order(owner, *products):
    """Place an order as the shop's order page does: the order and its lines, in one commit."""
    with transaction.atomic():
        order = Order.objects.create(owner=owner)
        OrderLine.objects.bulk_create(
            OrderLine(order=order, product=product, unit_price=product.price)
            for product in products
        )
    return order


def sign_up(username, email):
    with transaction.atomic():
        return get_user_model().objects.create_user(username, email, "a-long-password")


@contextmanager
def messages_written():
    """The outbox messages written during the block, as (kind, payload) pairs."""
    before = OutboxMessage.objects.order_by("pk").values_list("pk", flat=True).last() or 0
    written = []
    yield written
    written.extend(
        OutboxMessage.objects.filter(pk__gt=before).order_by("pk").values_list("kind", "payload")
    )


def relay_pending(**kwargs):
    """Run the relay once, as the relay_outbox command does; what goes wrong fails with advice."""
    try:
        return relay.relay_pending(**kwargs)
    except EncodeError as error:
        pytest.fail(
            f"Publishing failed: {error}. A message is JSON, and a model instance is not: "
            "publish handle_message with the message's id, message.pk (TODO 3)."
        )
    except (OperationalError, OSError) as error:
        pytest.fail(
            f"The relay let the broker's error out: {type(error).__name__}: {error}. A broker "
            "that is down is what the relay is for: catch it around the publishing, leave the "
            "messages pending and schedule their next attempt (TODO 3 and 4)."
        )
    except TransactionManagementError as error:
        pytest.fail(
            f"{error}. Take and lock the messages inside relay_pending's transaction.atomic() "
            "block, and publish them there (TODO 2)."
        )


def write_messages(count, user):
    """`count` welcome messages for `user`, written straight into the outbox, oldest first."""
    return [
        OutboxMessage.objects.create(kind="welcome_email", payload={"user_id": user.pk})
        for _ in range(count)
    ]


def message_of(order):
    """The outbox message of `order`'s report; fail with advice if placing it wrote none."""
    message = OutboxMessage.objects.filter(payload__order_id=order.pk).first()
    if message is None:
        pytest.fail(
            f"Placing order #{order.pk} wrote no outbox message, so there is nothing to relay: "
            "write it first, in write_order_report_message (TODO 1)."
        )
    return message


def outbox_state(message):
    message.refresh_from_db()
    return message


def make_due(*messages):
    """As if the wait before each message's next attempt were over."""
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
        next_attempt_at=timezone.now()
    )


# TODO 1: the order and its message, in one transaction.


@ROLLED_BACK
def test_placing_an_order_writes_its_report_message_to_the_outbox(customer, mug):
    with messages_written() as written:
        order = place_order(customer, mug)

    assert written == [("order_report", {"order_id": order.pk})], (
        f"Placing order #{order.pk} should write one outbox message, kind 'order_report' with "
        f"payload {{'order_id': {order.pk}}}; the messages written (kind, payload) were "
        f"{written}. "
        + (
            "The receiver ran twice: apps.py connects write_order_report_message already; "
            "connect it nowhere else (no @receiver on it) (TODO 1)."
            if len(written) == 2 and written[0] == written[1]
            else "In receivers.py, write_order_report_message creates it, there and then: "
            "not on commit (TODO 1)."
        )
    )


@ROLLED_BACK
def test_the_message_is_written_inside_the_orders_transaction(customer, mug):
    with messages_written() as written_after, transaction.atomic():
        order = Order.objects.create(owner=customer)
        seen_inside = list(
            OutboxMessage.objects.filter(kind="order_report").values_list("payload", flat=True)
        )
        transaction.set_rollback(True)  # The order is rolled back: it never existed.

    assert {"order_id": order.pk} in seen_inside, (
        "Inside the transaction that creates the order, its outbox message should already be "
        f"there, to be committed with it; the order_report payloads seen were {seen_inside}. "
        "A message written on commit (transaction.on_commit, delay_on_commit) is lost if the "
        "process dies right after the commit: create it in the receiver itself (TODO 1)."
    )
    assert written_after == [], (
        f"A rolled-back order should leave no message; {written_after} remained. Write it "
        "with the default database connection, in the order's transaction (TODO 1)."
    )

    # The other way round: the message cannot be written, so the order must not be kept.
    def outbox_refuses(execute, sql, params, many, context):
        if re.match(rf'\s*INSERT INTO "{OutboxMessage._meta.db_table}"', sql):
            raise DatabaseError("disk I/O error")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(outbox_refuses), suppress(DatabaseError):
        place_order(customer, mug)
    kept = list(Order.objects.filter(owner=customer).values_list("pk", flat=True))
    assert kept == [], (
        "Writing the order's outbox message failed (the database refused the INSERT), yet "
        f"order #{kept[0]} was committed without its message: its report is never sent, and "
        "nothing shows it. Let the error go on, with no try/except around the write: the "
        "order's transaction then rolls back, and the customer sees the error and can try "
        "again. Both are committed, or neither is (TODO 1)."
    )


@ROLLED_BACK
def test_saving_an_order_or_a_user_again_writes_no_message(customer, mug):
    order = place_order(customer, mug)
    with messages_written() as written:
        order.save()
        customer.save()

    assert written == [], (
        f"Saving an existing order and user again should write nothing; it wrote {written}. "
        "Only a new row (`created`) has a report or a welcome to send (TODO 1)."
    )


@ROLLED_BACK
def test_signing_up_writes_a_welcome_email_message(db):
    with messages_written() as written:
        user = sign_up("bob", "bob@example.com")
        sign_up("no-address", "")

    assert written == [("welcome_email", {"user_id": user.pk})], (
        f"Signing up bob, then a user without an email address, should write one message, "
        f"kind 'welcome_email' with payload {{'user_id': {user.pk}}}; the messages written "
        f"(kind, payload) were {written}. See write_welcome_email_message (TODO 1)."
    )


# TODO 2: the relay takes the due messages, oldest first, locked.


@ROLLED_BACK
def test_the_relay_publishes_each_pending_message_by_its_id(customer, published):
    expected = [message.pk for message in write_messages(2, customer)]
    relay_pending()

    marked_sent = OutboxMessage.objects.exclude(sent_at=None).count()
    assert sorted(published.message_ids) == expected, (
        f"The relay should publish handle_message once for each pending message, {expected}, "
        "with the message's id; it "
        f"published it for {published.message_ids}. "
        + (
            "Publish handle_message((message.pk,)) for each message taken (TODO 3)."
            if published.tasks
            else f"Nothing reached the broker, yet {marked_sent} messages were marked sent: "
            "publish each one there and then, inside relay_pending, before marking it sent; "
            "not on commit (transaction.on_commit), nor anywhere later (TODO 3)."
            if marked_sent
            else "Nothing was published, though both messages are pending and due: take the "
            "messages with sent_at None and next_attempt_at <= now (TODO 2), and publish "
            "each (TODO 3)."
        )
    )


@ROLLED_BACK
def test_the_relay_marks_each_published_message_sent(customer, published):
    write_messages(2, customer)
    before = timezone.now()
    relay_pending()
    relay_pending()  # A second run finds nothing left to publish.

    sent = list(OutboxMessage.objects.values_list("pk", "sent_at"))
    assert len(published.tasks) == len(sent) and all(at and at >= before for _, at in sent), (
        f"Once published, each message should have sent_at set, so that the next run leaves it "
        f"alone; after two runs, {len(published.tasks)} tasks were published for "
        f"{len(sent)} messages, whose (id, sent_at) are {sent}. Set sent_at right after "
        "publishing, and take only messages whose sent_at is None (TODO 2 and 3)."
    )


@ROLLED_BACK
def test_the_relay_publishes_the_oldest_messages_first_a_batch_at_a_time(customer, published):
    messages = [message.pk for message in write_messages(3, customer)]
    relay_pending(batch_size=2)

    assert published.message_ids == messages[:2], (
        f"With a batch of 2, the relay should publish the two oldest of messages {messages}, "
        f"in order; it published {published.message_ids}. Order them by id (or created_at) "
        "and slice the batch: [:batch_size] (TODO 2)."
    )


@ROLLED_BACK
def test_a_message_is_not_published_before_its_next_attempt_is_due(customer, published):
    waiting, due = write_messages(2, customer)
    OutboxMessage.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=1)
    )
    relay_pending()

    assert published.message_ids == [due.pk], (
        f"Of two messages, #{waiting.pk} with its next attempt a minute away and #{due.pk} "
        f"due now, the relay should publish only #{due.pk}; it published "
        f"{published.message_ids}. Take the messages with next_attempt_at <= now (TODO 2)."
    )


@contextmanager
def locking_queries(monkeypatch):
    """The outbox queries that lock rows during the block: (their FOR UPDATE clause, and how
    many atomic blocks were open when each ran)."""
    # SQLite has no row locks, and Django leaves FOR UPDATE out of its SQL. Here it puts it
    # in, as on PostgreSQL; the database is handed the query without it.
    monkeypatch.setattr(connection.features, "has_select_for_update", True)
    monkeypatch.setattr(connection.features, "has_select_for_update_nowait", True)
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", True)
    locking = []

    def as_postgresql_would_see_it(execute, sql, params, many, context):
        if match := re.search(r"\sFOR (NO KEY )?UPDATE\b.*$", sql):
            if OutboxMessage._meta.db_table in sql:
                locking.append((match[0].strip(), len(connection.atomic_blocks)))
            sql = sql[: match.start()]
        return execute(sql, params, many, context)

    with connection.execute_wrapper(as_postgresql_would_see_it):
        yield locking


@ROLLED_BACK
def test_the_relay_locks_the_rows_it_takes_and_skips_rows_locked_by_another(
    customer, published, monkeypatch
):
    write_messages(1, customer)
    with locking_queries(monkeypatch) as locking:
        relay_pending()

    clauses = [clause for clause, _depth in locking]
    assert clauses and all("SKIP LOCKED" in clause for clause in clauses), (
        "The relay should lock the messages it takes and skip those another relay has "
        "locked: SELECT ... FOR UPDATE SKIP LOCKED, select_for_update(skip_locked=True); "
        + (
            f"its queries of the outbox ended with {clauses}. Without SKIP LOCKED, a second "
            "relay waits for the first (or, with NOWAIT, fails) instead of taking other rows "
            "(TODO 2)."
            if clauses
            else "it locked nothing: two relays would publish the same messages (TODO 2)."
        )
    )


@ROLLED_BACK
def test_the_relay_takes_its_messages_inside_its_own_transaction(customer, published, monkeypatch):
    write_messages(1, customer)
    # This test runs in a transaction of its own, rolled back at the end: the relay's is inside.
    outside = len(connection.atomic_blocks)
    with locking_queries(monkeypatch) as locking:
        relay_pending()

    assert locking and all(depth > outside for _clause, depth in locking), (
        "The relay should take and lock its messages inside relay_pending's "
        "transaction.atomic() block, so that the locks last until the messages are marked "
        "sent and committed; it ran its locking query outside that transaction. Run the "
        "query (list(...)) inside the `with transaction.atomic():` block: on PostgreSQL, "
        "Django refuses select_for_update() outside a transaction (TODO 2)."
    )


# TODO 3: publish, then mark; the worker does the work.


def test_a_relayed_order_report_is_emailed_by_the_worker(customer, mug, published, mailoutbox):
    order = place_order(customer, mug)
    relay_pending()
    published.run_worker()

    sent = [(message.to, message.subject) for message in mailoutbox]
    assert (["alice@example.com"], f"Your order #{order.pk}") in sent, (
        f"The worker should email the report of order #{order.pk} to alice@example.com; the "
        f"emails sent (to, subject) were {sent}. The relay publishes handle_message with the "
        "message's id (TODO 3); the worker runs it."
    )


def test_a_relayed_welcome_email_is_sent_by_the_worker(published, mailoutbox):
    sign_up("bob", "bob@example.com")
    relay_pending()
    published.run_worker()

    sent = [message.to for message in mailoutbox]
    assert sent == [["bob@example.com"]], (
        f"Signing up bob should get him one welcome email, through the outbox; the emails "
        f"went to {sent}. See TODO 1 (the message) and TODO 3 (publishing it)."
    )


# TODO 3 and 4: a broker that is down or stuck.


@ROLLED_BACK
def test_with_the_broker_down_the_message_stays_pending_to_be_retried(customer, published, broker):
    write_messages(1, customer)
    before = timezone.now()
    with broker.refusing():
        relayed = relay_pending()
    message = OutboxMessage.objects.get()

    assert message.sent_at is None, (
        f"The broker refused the connection, yet the message was marked sent at "
        f"{message.sent_at}: it is lost. Publish first, and set sent_at only once the publish "
        "has returned (TODO 3)."
    )
    assert (message.attempts, relayed.failed) == (1, 1), (
        "A publish that failed should count one attempt on the message and be reported as "
        f"failed; attempts is {message.attempts} and the relay reported {relayed}. Add one to "
        "message.attempts and save it (TODO 4)."
    )
    assert message.next_attempt_at > before and message.last_error, (
        "The message should wait before its next attempt and keep the broker's error; "
        f"next_attempt_at is {message.next_attempt_at} (the relay ran at {before}) and "
        f"last_error is {message.last_error!r} (TODO 4)."
    )


@ROLLED_BACK
def test_with_the_broker_stuck_the_relay_gives_up_within_its_timeout(customer, published, broker):
    write_messages(1, customer)
    started = time.perf_counter()
    with broker.hanging():
        relay_pending()
    took = time.perf_counter() - started
    message = OutboxMessage.objects.get()

    assert took < 1.5 and message.sent_at is None and message.attempts == 1, (
        f"Against a broker that accepts the connection and never answers, the relay should "
        f"give up within its BROKER_TIMEOUT (0.05 s here) and leave the message pending; it "
        f"took {took:.1f} s, and the message has sent_at {message.sent_at}, attempts "
        f"{message.attempts}. Publish over `connection` (broker_connection(): short "
        "timeouts) with retry=False, not with delay() and Celery's patient defaults (TODO 3)."
    )


@ROLLED_BACK
def test_a_failed_publish_is_tried_once_then_left_to_the_relays_schedule(
    customer, published, broker
):
    write_messages(1, customer)
    with broker.dropping() as dropped:
        relay_pending()  # Each connection is counted before it is closed: all are, by now.
    message = OutboxMessage.objects.get()

    assert message.sent_at is None and len(dropped) == 1, (
        "Against a broker that drops every connection, one pass of the relay should try once, "
        f"and leave the message to its own schedule (next_attempt_at); it connected "
        f"{len(dropped)} times, and the message has sent_at {message.sent_at}. Celery retries a "
        "publish by itself unless told not to: apply_async(..., retry=False) (TODO 3)."
    )


@ROLLED_BACK
def test_each_retry_waits_longer_than_the_last(customer, published, broker, jitter_at_its_widest):
    write_messages(1, customer)
    message = OutboxMessage.objects.get()
    waits = []
    with broker.refusing():
        for attempt in range(5):
            if attempt == 4:  # Then as if it had failed 7 times: the 8th failure.
                OutboxMessage.objects.filter(pk=message.pk).update(attempts=7)
            make_due(message)
            ran_at = timezone.now()
            relay_pending()
            waits.append((outbox_state(message).next_attempt_at - ran_at).total_seconds())

    shown = ", ".join(f"{wait:.1f}" for wait in waits[:4])
    assert waits[0] >= 0.5 and waits[3] >= 2 * waits[0] and waits[4] >= 60, (
        f"After each failed publish, the next attempt should be further away: about 1 s, 2 s, "
        f"4 s, 8 s, and 128 s after the 8th failure (FIRST_RETRY_DELAY, doubled each time); "
        f"the waits were {shown} s, and {waits[4]:.1f} s after the 8th failure. "
        "Retrying at once, or always after the same wait, hammers a broker that is down; a "
        "wait a second longer each time still does, through a long outage: double it, "
        "FIRST_RETRY_DELAY * 2 ** (attempts - 1) (TODO 4)."
    )


@ROLLED_BACK
def test_a_retry_waits_from_the_failed_attempt_not_from_when_it_was_due(
    customer, published, broker, jitter_at_its_widest
):
    write_messages(1, customer)
    # Written an hour ago, while no relay ran: due since then.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    OutboxMessage.objects.update(created_at=an_hour_ago, next_attempt_at=an_hour_ago)
    ran_at = timezone.now()
    with broker.refusing():
        relay_pending()
    wait = (OutboxMessage.objects.get().next_attempt_at - ran_at).total_seconds()

    assert wait >= 0.5, (
        "A message due for an hour failed to publish: its next attempt should be "
        f"FIRST_RETRY_DELAY (1 s) from now; it is {wait:.0f} s from now. Counted from the "
        "old next_attempt_at, or from created_at, it is due already, and the relay retries "
        "at once. Set next_attempt_at = timezone.now() + the delay (TODO 4)."
    )


@ROLLED_BACK
def test_retry_waits_stop_growing_at_five_minutes(
    customer, published, broker, jitter_at_its_widest
):
    write_messages(1, customer)
    # The broker has been down for a week: a failed attempt every 5 minutes.
    OutboxMessage.objects.update(attempts=2016)
    ran_at = timezone.now()
    with broker.refusing():
        try:
            relayed = relay_pending()
        except OverflowError as error:
            pytest.fail(
                f"After 2,016 failed attempts (a broker down for a week), working out the next "
                f"wait raised OverflowError: {error}. 2 ** attempts is too big for a float or a "
                "timedelta: the relay would die on every pass until the broker is back. Double "
                "whole seconds, FIRST_RETRY_DELAY * 2 ** (attempts - 1) (ints, which never "
                "overflow), and cap that with min(..., MAX_RETRY_DELAY) before you make a "
                "timedelta of it (TODO 4)."
            )
    wait = (OutboxMessage.objects.get().next_attempt_at - ran_at).total_seconds()

    assert relayed.failed == 1, (
        "A message that has failed 2,016 times is still pending, and due: the relay should try "
        f"it again; it took nothing ({relayed}). A relay that gives up on a message after so "
        "many attempts loses its email without a trace: never give up, wait at most "
        "MAX_RETRY_DELAY between attempts. Take every pending, due message, whatever its "
        "attempts (TODO 2)."
    )
    assert 60 <= wait <= relay.MAX_RETRY_DELAY + 1, (
        f"After 2,017 failed attempts the next should wait MAX_RETRY_DELAY, 5 minutes, no more; "
        f"it waits {wait:.0f} s. Cap the doubling with min(..., MAX_RETRY_DELAY) (TODO 4)."
    )


def test_once_the_broker_is_back_the_message_is_delivered_and_sent_once(
    customer, mug, published, broker, mailoutbox
):
    order = place_order(customer, mug)
    with broker.refusing():
        relay_pending()
    message = message_of(order)
    make_due(message)
    relay_pending()  # The broker is back.
    published.run_worker()

    reports = [m.subject for m in mailoutbox if m.subject == f"Your order #{order.pk}"]
    assert len(reports) == 1 and outbox_state(message).sent_at, (
        f"Once the broker is back, the pending message should be published and the report of "
        f"order #{order.pk} sent once; {len(reports)} reports were sent, and the message's "
        f"sent_at is {message.sent_at}. A failed message stays pending, sent_at None (TODO 3 "
        "and 4)."
    )


# TODO 5: one email, however often a message is delivered, with no lock held while it is sent.


def run_handle_message(message):
    """Run handle_message here, as a worker would: "returned", or "retried" if it asked to be."""
    try:
        handle_message(message.pk)
    except Retry:
        return "retried"
    return "returned"


def claim(message, age):
    """As if another run had claimed `message` `age` ago."""
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - age)


def another_run_is_sending(user):
    """Another message, which another run claimed half a minute ago: this run leaves it be."""
    (other,) = write_messages(1, user)
    claim(other, timedelta(seconds=30))
    return outbox_state(other)


def check_left_alone(other):
    """Fail with advice if this run changed the other run's message."""
    before = (other.handled_at, other.claimed_at)
    after = OutboxMessage.objects.values_list("handled_at", "claimed_at").get(pk=other.pk)
    assert after == before, (
        f"Another message, #{other.pk}, claimed half a minute ago by a live run and not "
        f"handled, was changed by this run: its (handled_at, claimed_at) went from {before} to "
        f"{after}. An update() on OutboxMessage.objects changes every message in the outbox: "
        "filter(pk=message_id) first, or save() this message (TODO 5)."
    )


def test_a_message_published_twice_sends_one_email(customer, mug, published, mailoutbox):
    order = place_order(customer, mug)
    relay_pending()
    # As a relay that died after publishing and before its commit would: published again.
    handle_message.delay(message_of(order).pk)
    published.run_worker()

    reports = [m for m in mailoutbox if m.subject == f"Your order #{order.pk}"]
    assert len(reports) == 1, (
        f"Order #{order.pk}'s message was delivered twice and {len(reports)} reports were "
        "sent; it should be one. In handle_message, claim the message with one conditional "
        "UPDATE whose filter ANDs pk=message_id, handled_at empty, and the claim empty or "
        "expired; return if handled_at is set, and set it once the handler has run (TODO 5)."
    )


def test_a_handled_message_records_when(customer, mug, published):
    order = place_order(customer, mug)
    before = timezone.now()
    relay_pending()
    published.run_worker()

    handled_at = message_of(order).handled_at
    assert handled_at is not None and handled_at >= before, (
        f"Once its email is sent, the message should have handled_at set to the time; it is "
        f"{handled_at}. Set it and save it once the handler has run (TODO 5)."
    )


def test_the_handler_runs_with_no_transaction_open(customer, mug, mailoutbox):
    message = message_of(place_order(customer, mug))
    in_a_transaction = []

    def note_transaction():
        in_a_transaction.append(connection.in_atomic_block or not connection.get_autocommit())

    with before_each_send(note_transaction):
        outcome = run_handle_message(message)

    assert in_a_transaction == [False], (
        "The handler should send its email with no database transaction open; "
        + (
            "it was sent inside one (transaction.atomic(), with select_for_update()?). The "
            "transaction holds the message's row lock (on SQLite, the whole database's write "
            "lock) and a database connection for as long as the mail server takes, 10 s per "
            "exchange when it is slow. Claim the message with one UPDATE, run the handler, "
            "then record handled_at, each on its own (TODO 5)."
            if any(in_a_transaction)
            else f"{len(in_a_transaction)} emails were sent, and handle_message {outcome}. "
            "Run the message's handler, HANDLERS[message.kind](**message.payload) (TODO 5)."
        )
    )


def test_a_message_claimed_by_a_live_run_is_retried_not_dropped(customer, mug, mailoutbox):
    message = message_of(place_order(customer, mug))
    # Another run claimed it half a minute ago, and may be sending its email right now.
    claim(message, timedelta(seconds=30))
    outcome = run_handle_message(message)

    assert (outcome, len(mailoutbox)) == ("retried", 0), (
        "The message was claimed half a minute ago by another run, which may be sending its "
        f"email right now: this run should send nothing and retry later, in case that run "
        f"dies. It {outcome} and sent {len(mailoutbox)} emails. "
        + (
            "It sent beside the other run: two emails. Claim with one conditional UPDATE "
            "(handled_at and claimed_at empty, or the claim older than the lease) and run the "
            "handler only when it updated the row; a lease shorter than a slow send (minutes: "
            "CLAIM_LEASE) also lets two runs send (TODO 5)."
            if mailoutbox
            else "It returned without retrying: if the other run dies, the email is never "
            "sent. When the claim is taken and handled_at is empty, raise "
            "self.retry(countdown=...) (bind=True), a lease later (TODO 5)."
        )
    )


def test_a_run_that_finds_a_live_claim_retries_once_the_claim_has_expired(customer, mug):
    message = message_of(place_order(customer, mug))
    claim(message, timedelta(seconds=30))
    asked = []

    def note_retry(task, *args, countdown=None, eta=None, **kwargs):
        if eta is not None:
            asked.append((eta - timezone.now()).total_seconds())
        else:
            asked.append(task.default_retry_delay if countdown is None else countdown)
        raise Retry("noted by the test", when=eta or countdown)

    with mock.patch.object(type(handle_message._get_current_object()), "retry", note_retry):
        outcome = run_handle_message(message)

    expires_in = (tasks.CLAIM_LEASE - timedelta(seconds=30)).total_seconds()
    assert outcome == "retried" and asked, (
        f"The message is claimed by a live run: this run should retry, and it {outcome} (TODO 5)."
    )
    assert isinstance(asked[0], int | float), (
        f"This run asked to be retried with countdown={asked[0]!r}: a countdown is a number of "
        "seconds, and Celery cannot schedule a retry with anything else: it drops the task "
        "(TypeError, then Reject), and the retry never comes. Pass the lease in seconds: "
        "self.retry(countdown=CLAIM_LEASE.total_seconds()) (TODO 5)."
    )
    assert asked[0] >= expires_in - 1, (
        f"The message was claimed 30 s ago: its claim expires in {expires_in:.0f} s (the "
        f"lease, CLAIM_LEASE, is {tasks.CLAIM_LEASE.total_seconds():.0f} s). This run asked to "
        f"be retried in {asked[0]:.0f} s, while the claim still stands: retried that early, it "
        "finds the claim again, and spends its retries (max_retries) before a dead run's claim "
        "expires. Retry a lease later: self.retry(countdown=CLAIM_LEASE.total_seconds()); "
        "Celery's default countdown is 3 minutes (TODO 5)."
    )


def test_a_claim_older_than_the_lease_is_taken_over(customer, mug, mailoutbox):
    message = message_of(place_order(customer, mug))
    claim(message, timedelta(days=1))  # By a run that died: no send takes that long.
    other = another_run_is_sending(customer)
    outcome = run_handle_message(message)

    message = outbox_state(message)
    assert len(mailoutbox) == 1 and message.handled_at is not None, (
        "The message was claimed a day ago by a run that died: its claim is long expired, and "
        f"this run should take it over and send; it {outcome}, sent {len(mailoutbox)} emails, "
        f"and handled_at is {message.handled_at}. A claim is a lease: claim also when "
        "claimed_at is older than the lease (Q(claimed_at__lt=now - CLAIM_LEASE)), or a dead "
        "run's message is never handled (TODO 5)."
    )
    assert message.claimed_at is None, (
        f"The message is handled, yet still claimed (claimed_at {message.claimed_at}). Clear "
        "the claim when recording handled_at, in the same UPDATE (TODO 5)."
    )
    check_left_alone(other)


def race_after_the_first_read(message, **other_run_sets):
    """Run handle_message on `message`, as a worker would. Right after this run first reads the
    message, another run, as one in another worker would, sets `other_run_sets` on it if it is
    neither handled nor claimed. Return this run's outcome and, for each email it sent,
    whether the other run had changed the message by then."""
    this_run, race = threading.current_thread(), {"read": False, "raced": False, "won": False}
    execute = CursorWrapper.execute

    def other_run():
        try:
            race["won"] = bool(
                OutboxMessage.objects.filter(
                    pk=message.pk, handled_at__isnull=True, claimed_at__isnull=True
                ).update(**other_run_sets)
            )
        except Exception:  # SQLite: this run's transaction locks the table; no race then.
            pass
        finally:
            connections.close_all()

    def execute_then_race(cursor, sql, params=None):
        if threading.current_thread() is this_run and not race["raced"]:
            if race["read"]:  # This run's next statement: the other run goes first.
                race["raced"] = True
                thread = threading.Thread(target=other_run)
                thread.start()
                thread.join(timeout=5)  # One UPDATE: longer only on a busy machine.
            elif re.match(r'\s*SELECT .* FROM "shop_outboxmessage"(\s|$)', sql, re.S):
                race["read"] = True
        return execute(cursor, sql, params)

    sent_after_the_other_run = []
    with (
        mock.patch.object(CursorWrapper, "execute", execute_then_race),
        before_each_send(lambda: sent_after_the_other_run.append(race["won"])),
    ):
        outcome = run_handle_message(message)
    return outcome, sent_after_the_other_run


def test_a_run_that_another_claimed_between_its_read_and_its_claim_sends_nothing(
    customer, mug, mailoutbox
):
    # Right after this run first reads the message, another run claims it: then this run must
    # not send while that claim stands.
    message = message_of(place_order(customer, mug))
    outcome, sent_while_claimed = race_after_the_first_read(message, claimed_at=timezone.now())

    assert not any(sent_while_claimed), (
        "Between this run's read of the message and its claim, another run claimed it. This "
        f"run should have found it claimed, and retried; it {outcome} and sent the email "
        "anyway, beside the other run: two emails. A read, then a write, leaves that gap: "
        "claim with ONE conditional UPDATE (OutboxMessage.objects.filter(<not handled, not "
        "claimed or claim expired>, pk=message_id).update(claimed_at=now)) and run the "
        "handler only if it updated the row (TODO 5)."
    )

    # Or the other run claims it, sends its email and records it, all in that gap.
    message = message_of(place_order(customer, mug))
    outcome, sent_once_handled = race_after_the_first_read(
        message, handled_at=timezone.now(), claimed_at=None
    )

    assert not any(sent_once_handled), (
        "Between this run's read of the message and its claim, another run claimed it, sent "
        "its email and recorded handled_at. This run should have found it handled, and "
        f"returned; it {outcome} and sent the email again: two emails. A check of handled_at "
        "read before the claim is out of date by then: the claim's one UPDATE must match only "
        "a message not handled (handled_at__isnull=True in its filter), and a run that "
        "claims nothing looks at handled_at afresh (TODO 5)."
    )


def test_a_failing_receiver_of_the_report_is_logged_once_and_the_message_still_handled(
    customer, mug, mailoutbox, caplog
):
    message = message_of(place_order(customer, mug))

    def failing_receiver(sender, **kwargs):
        raise LookupError("a bug in a receiver")

    order_report_sent.connect(failing_receiver, weak=False)
    try:
        with caplog.at_level(logging.ERROR):
            outcome = run_handle_message(message)
    finally:
        order_report_sent.disconnect(failing_receiver)

    handled_at = outbox_state(message).handled_at
    assert (len(mailoutbox), outcome, handled_at is not None) == (1, "returned", True), (
        "A receiver of order_report_sent failed after the report was sent: the message should "
        f"still be handled; {len(mailoutbox)} emails were sent, handle_message {outcome}, and "
        f"handled_at is {handled_at}. The report is announced with send_robust()."
    )
    logged = [
        (record.name, record.levelname)
        for record in caplog.records
        if record.exc_info and isinstance(record.exc_info[1], LookupError)
    ]
    assert logged == [("django.dispatch", "ERROR")], (
        "The failing receiver's error should be logged once, by send_robust() itself on the "
        f"django.dispatch logger at ERROR; the records with its error were (logger, level) "
        f"{logged}. Leave the logging to Django: no second record of your own (lesson 01)."
    )


def mail_server_down(**payload):
    raise SMTPException("421 Service not available")


def test_a_message_whose_email_failed_is_not_marked_handled(customer, mug, monkeypatch):
    message = message_of(place_order(customer, mug))
    monkeypatch.setitem(handlers.HANDLERS, "order_report", mail_server_down)
    with suppress(SMTPException):
        run_handle_message(message)

    assert outbox_state(message).handled_at is None, (
        "The handler failed (the mail server was down), yet the message was marked handled "
        f"at {message.handled_at}: the retry would send nothing, and the email is lost. Set "
        "handled_at only once the handler has returned (TODO 5)."
    )


def mail_server_refusing(**payload):
    raise ConnectionRefusedError(111, "Connection refused")


@pytest.mark.parametrize(
    "failure", [mail_server_down, mail_server_refusing], ids=["SMTPException", "refused"]
)
def test_a_failed_handler_lets_go_of_its_claim_and_its_error(customer, mug, monkeypatch, failure):
    message = message_of(place_order(customer, mug))
    monkeypatch.setitem(handlers.HANDLERS, "order_report", failure)
    other = another_run_is_sending(customer)
    try:
        outcome = run_handle_message(message)
    except (SMTPException, ConnectionRefusedError) as error:
        outcome = f"raised the {type(error).__name__}"
        raised = error

    claimed_at = outbox_state(message).claimed_at
    assert outcome.startswith("raised"), (
        f"The handler failed (the mail server was down) and handle_message {outcome}: let the "
        "error go on (re-raise it), so that Celery retries the task (TODO 5)."
    )
    assert claimed_at is None, (
        f"The handler failed with {type(raised).__name__}: {raised}, yet the message is still "
        f"claimed (claimed_at {claimed_at}): Celery's retry would find a live claim and wait a "
        "whole lease. Clear the claim whatever the handler raised (except Exception:), then "
        "re-raise (TODO 5)."
    )
    check_left_alone(other)


# TODO 6: relay_outbox --once says whether everything was delivered.


def run_relay_outbox(*arguments):
    """Run `manage.py relay_outbox`; return its exit status."""
    try:
        call_command("relay_outbox", *arguments)
    except CommandError as error:
        return error.returncode
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else 1
    return 0


@ROLLED_BACK
def test_relay_outbox_once_publishes_everything_due_and_exits_0(customer, published):
    write_messages(3, customer)
    status = run_relay_outbox("--once", "--batch-size", "2")
    pending = OutboxMessage.objects.filter(sent_at=None).count()

    assert (status, pending, len(published.tasks)) == (0, 0, 3), (
        "With the broker up, `relay_outbox --once --batch-size 2` should publish all 3 "
        f"messages, batch after batch, and exit with status 0; it exited {status}, published "
        f"{len(published.tasks)} and left {pending} pending (sent_at None). Count the messages "
        "still pending once the drain is over (TODO 6)."
    )


@ROLLED_BACK
def test_relay_outbox_once_exits_0_when_there_is_nothing_to_do(published):
    status = run_relay_outbox("--once")

    assert status == 0, (
        f"With an empty outbox, `relay_outbox --once` has delivered everything there is: it "
        f"should exit 0, not {status}. Fail only while messages are pending (TODO 6)."
    )


class StopRelay(Exception):
    """Raised by the test to end relay_outbox's endless loop."""


def relay_outbox_ends_within(passes, monkeypatch):
    """Run `manage.py relay_outbox` without --once for `passes` passes, then stop it; return
    the error that ended it before that, or None."""
    waits = []

    def wait_for_new_messages(timeout):
        waits.append(timeout)
        if len(waits) == passes:
            raise StopRelay

    monkeypatch.setattr(notify, "wait_for_new_messages", wait_for_new_messages)
    try:
        call_command("relay_outbox", "--idle-wait", "0")
    except StopRelay:
        return None
    except (Exception, SystemExit) as error:
        return error


@ROLLED_BACK
def test_relay_outbox_once_exits_non_zero_while_messages_are_pending(
    customer, published, broker, monkeypatch
):
    write_messages(1, customer)
    with broker.refusing():
        status = run_relay_outbox("--once")
        make_due(*OutboxMessage.objects.all())
        ended_by = relay_outbox_ends_within(2, monkeypatch)

    assert status not in (0, None), (
        "With the broker down, `relay_outbox --once` leaves the message pending: its exit "
        f"status should say so (not 0), for the script that ran it; it exited {status}. "
        "Raise CommandError(..., returncode=1) when messages are pending: sent_at None, due "
        "now or scheduled for later, as a failed one is (TODO 6)."
    )
    assert ended_by is None, (
        "Without --once, `relay_outbox` runs until it is stopped: a broker that is down is "
        "what it waits out, pass after pass. With the broker refusing, it ended after its "
        f"first pass: {type(ended_by).__name__}: {ended_by}. Say so on stderr and go on; only "
        "--once ends with a status, once its drain is over (TODO 6)."
    )

    # The broker is back; the message that failed waits for its next attempt, a minute away.
    OutboxMessage.objects.update(next_attempt_at=timezone.now() + timedelta(minutes=1))
    status = run_relay_outbox("--once")
    assert status not in (0, None), (
        "The broker is back, and this run of `relay_outbox --once` failed nothing, but the "
        "message that failed before waits for its next attempt, a minute away: it is still "
        f"pending, and the exit status should still say so; it exited {status}. Count the "
        "messages with sent_at None once the drain is over, due now or scheduled for later "
        "(TODO 6)."
    )


# All together: the order page does not wait for the broker, nor fail with it.


def test_with_the_broker_refusing_connections_the_order_page_answers_and_keeps_the_order(
    client, customer, mug, broker
):
    order_with_the_broker_down(client, customer, mug, broker, "refusing")


def test_with_the_broker_stuck_the_order_page_answers_at_once_and_keeps_the_order(
    client, customer, mug, broker
):
    order_with_the_broker_down(client, customer, mug, broker, "hanging")


def order_with_the_broker_down(client, customer, mug, broker, fault):
    """Place an order through the page while the broker is `fault`: it must not notice."""
    client.force_login(customer)
    client.get(reverse("home"))  # The first request loads the URLs and templates: not timed.
    with getattr(broker, fault)():
        started = time.perf_counter()
        try:
            response = client.post(reverse("place_order"), {"product": mug.pk})
        except (OperationalError, OSError) as error:
            pytest.fail(
                f"With the broker {fault}, placing an order failed: {error}. The order page "
                "talked to the broker: write an outbox message instead, and leave the "
                "publishing to the relay (TODO 1)."
            )
        answered_in = time.perf_counter() - started

    orders = Order.objects.filter(owner=customer).count()
    reports = OutboxMessage.objects.filter(kind="order_report").count()
    assert (response.status_code, orders, reports) == (201, 1, 1), (
        f"With the broker {fault}, the order page should answer 201, keep the order and its "
        f"outbox message; it answered {response.status_code}, with {orders} orders and "
        f"{reports} order_report messages (TODO 1)."
    )
    assert answered_in < 1, (
        f"With the broker {fault}, the order page took {answered_in:.1f} s: it waited for "
        "the broker. Only the relay talks to it (TODO 1)."
    )
