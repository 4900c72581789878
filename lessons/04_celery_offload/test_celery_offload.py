"""Lesson 04: hand slow work to Celery. Read top to bottom: the first failing test is next.

The worker here is real: Celery's own worker, in a thread of the test process, reading the
in-memory broker (the `celery_worker` fixture, workshop/worker.py). Its thread has a database
connection of its own and sees only what is committed, so these tests commit for real.
`queued_reports` lists the report messages published during a test, and waits for their tasks.
"""

import logging
import re
import socket
import threading
from contextlib import contextmanager, suppress
from datetime import timedelta
from smtplib import SMTPDataError, SMTPException
from unittest import mock

import pytest
from celery.exceptions import TimeoutError as ResultTimeout
from celery.signals import task_prerun, task_retry
from celery.worker import state as worker_state
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import EncodeError

from celery_offload.tasks import send_order_report
from shop.celery import app
from shop.models import Order, OrderLine
from shop.signals import order_report_sent
from workshop.testing import before_each_send, received

APPS = ["django.contrib.auth", "django.contrib.sessions", "shop", "celery_offload"]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)

HOLD = 2  # seconds the held mail server waits, at most, for the test to let it answer
RACER_TIMEOUT = 5  # seconds another run's claim (one UPDATE) may take on a busy machine


@contextmanager
def queuing_the_report():
    """Placing an order only queues its report: what else goes wrong fails with advice."""
    here = threading.current_thread()
    ran_here = []

    def record(sender, task, **kwargs):
        if threading.current_thread() is here:
            ran_here.append(task.name)

    task_prerun.connect(record, sender=send_order_report, weak=False)
    try:
        yield
    except EncodeError as error:
        pytest.fail(
            f"Queuing the report task failed: {error}. A task message is JSON, and a model "
            "instance is not: pass the order's id (instance.pk), not the order (TODO 1)."
        )
    except SMTPException as error:
        pytest.fail(
            f"Placing the order failed with the mail server's error: {error}. The report was "
            "sent right there, during the order. Queue the task instead (TODO 1)."
        )
    except ResultTimeout:
        pytest.fail(
            "Placing the order waited for the report task's result (.get()), and waited in "
            "vain. The request must not wait for the worker: queue the task and return (TODO 1)."
        )
    except PaymentDeclined:
        raise  # The test's own way to roll an order back.
    except Exception as error:
        pytest.fail(
            f"Placing the order failed with {type(error).__name__}: {error}. Placing an order "
            "only queues the report task: look at queue_order_report in receivers.py (TODO 1), "
            "and at the task's parameters in tasks.py."
        )
    finally:
        task_prerun.disconnect(record, sender=send_order_report)
    if ran_here:
        pytest.fail(
            "Placing the order ran the report task right here, in the request, not in a "
            "worker: called like a function, or with apply(). Queue it with "
            "delay_on_commit(instance.pk) (TODO 1)."
        )


def closed_port():
    """A port on loopback that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def place_order(owner, *products, claimed_at=None):
    """Place an order as the shop's order page does: the order and its lines, in one commit.

    `claimed_at`: the report is claimed already, then, as another run of the task claims it.
    """
    with queuing_the_report(), transaction.atomic():
        order = Order.objects.create(owner=owner)
        OrderLine.objects.bulk_create(
            OrderLine(order=order, product=product, unit_price=product.price)
            for product in products
        )
        if claimed_at is not None:
            Order.objects.filter(pk=order.pk).update(report_claimed_at=claimed_at)
    return order


class PaymentDeclined(Exception):
    pass


@contextmanager
def runs_of_the_report_task():
    """How each run of the report task started: from a message or eagerly, in which thread."""
    runs = []

    def record(sender, task, **kwargs):
        runs.append({"eager": task.request.is_eager, "thread": threading.current_thread()})

    task_prerun.connect(record, sender=send_order_report, weak=False)
    try:
        yield runs
    finally:
        task_prerun.disconnect(record, sender=send_order_report)


@contextmanager
def connected(signal, *receivers):
    for receiver in receivers:
        signal.connect(receiver, weak=False)
    try:
        yield
    finally:
        for receiver in receivers:
            signal.disconnect(receiver)


def nothing_queued(queued_reports):
    return "" if queued_reports.messages else " No report task was even queued (TODO 1)."


# TODO 1: queue the report, by id, once the order is committed.


def test_placing_an_order_queues_its_report_with_the_order_id(
    customer, mug, queued_reports, mailoutbox
):
    order = place_order(customer, mug)

    # No worker runs in this test: an email sent now was sent in the request.
    assert queued_reports.messages or not mailoutbox, (
        "Placing the order sent its report right there, in the request, and queued no task: "
        "the page would wait for the mail server. The task was called like a function, or "
        "the email sent in the receiver: queue send_order_report with "
        "delay_on_commit(instance.pk) instead (TODO 1)."
    )

    sent = [(message["args"], message["kwargs"]) for message in queued_reports.messages]
    arguments = [[*args, *kwargs.values()] for args, kwargs in sent]  # By position or name
    owner_id = order.owner_id
    assert arguments == [[order.pk]], (
        f"Placing order #{order.pk} (owner: user #{owner_id}) should queue one "
        f"send_order_report message whose only argument is the order's id, {order.pk}; the "
        f"messages queued had (args, kwargs) {sent}. "
        + (
            "The same report was queued twice: is queue_order_report connected twice (a "
            "@receiver decorator besides the connect() in apps.py)? "
            if len(sent) > 1 and len(set(map(repr, sent))) == 1
            else ""
        )
        + (
            f"{owner_id} is the owner's id: the report is about the order, pass instance.pk. "
            if any(owner_id in values for values in arguments)
            else ""
        )
        + "In receivers.py, queue send_order_report with instance.pk (TODO 1)."
    )


def test_saving_an_existing_order_queues_nothing(customer, mug, queued_reports):
    order = place_order(customer, mug)
    with queuing_the_report():
        order.save()  # As the admin, or the report task itself, saves it.

    queued = len(queued_reports.messages)
    assert queued == 1, (
        f"Placing an order and then saving it again should queue one report; {queued} were "
        "queued. "
        + (
            "Queue only for a new order: post_save's `created` is False on a later save."
            if queued > 1
            else "Queue send_order_report in receivers.py (TODO 1)."
        )
    )


def test_a_report_is_queued_only_once_its_order_commits(customer, mug, queued_reports):
    with suppress(PaymentDeclined), queuing_the_report(), transaction.atomic():
        Order.objects.create(owner=customer)
        raise PaymentDeclined  # The order is rolled back: it never existed.
    place_order(customer, mug)

    queued = len(queued_reports.messages)
    assert queued == 1, (
        f"Of two orders, one rolled back and one committed, only the committed one should "
        f"queue a report; {queued} were queued. "
        + (
            "The rolled-back order was queued too: a worker would look for an order that does "
            "not exist. Queue with delay_on_commit(), not delay() (TODO 1)."
            if queued
            else "Queue send_order_report in receivers.py (TODO 1)."
        )
    )


def test_the_report_task_runs_in_the_worker_not_in_the_request(
    celery_worker, customer, mug, queued_reports
):
    with runs_of_the_report_task() as runs:
        place_order(customer, mug)
        queued_reports.wait()

    here = threading.current_thread()
    in_the_worker = [run for run in runs if not run["eager"] and run["thread"] is not here]
    assert len(runs) == len(in_the_worker) == 1, (
        f"The report task should run once, in the worker's thread; it ran {len(runs)} times, "
        f"{len(in_the_worker)} of them in the worker. A task called like a function, or with "
        "apply(), runs right here, in the request. Queue it instead, after the commit (TODO 1)."
    )


# TODO 2: the task emails the report, then announces it.


def test_the_worker_emails_the_report_to_the_orders_owner(
    celery_worker, customer, other_customer, mug, tea, queued_reports, mailoutbox
):
    order = place_order(customer, mug, tea)
    queued_reports.wait()

    sent = [(message.to, message.subject) for message in mailoutbox]
    assert sent == [(["alice@example.com"], f"Your order #{order.pk}")], (
        f"The worker should email the report of order #{order.pk} to its owner, "
        f"alice@example.com; the emails sent (to, subject) were {sent}, and the task ended "
        f"{queued_reports.outcomes()}. In tasks.py, load the order by its id and send it "
        "order_report_email(order) (TODO 2)." + nothing_queued(queued_reports)
    )
    assert "Total: 13.50" in mailoutbox[0].body, (
        "The report should list the order's lines and its total, 'Total: 13.50'; its body is "
        f"{mailoutbox[0].body!r}. Send the email that order_report_email(order) builds."
    )
    outcomes = queued_reports.outcomes()
    assert outcomes == [("SUCCESS", None)], (
        f"The report is out, so the task should end in SUCCESS; it ended {outcomes}. "
        + (
            "What a task returns is stored as JSON: return nothing (or the id), not the order."
            if outcomes[0][1] == "EncodeError"
            else "Look at the error the worker logged after sending (TODO 2)."
        )
    )


def test_a_sent_report_is_announced_with_order_report_sent_after_the_commit(
    celery_worker, customer, mug, queued_reports
):
    in_a_transaction, recorded = [], []

    def note_transaction(sender, order=None, **kwargs):
        # What the database says of the order, as a receiver reads it. (The worker may announce
        # it before place_order() returns: take the order from the signal.)
        in_a_transaction.append(connection.in_atomic_block)
        order_id = getattr(order, "pk", None)
        recorded.append(Order.objects.filter(pk=order_id, report_sent_at__isnull=False).exists())

    with received(order_report_sent) as calls, connected(order_report_sent, note_transaction):
        order = place_order(customer, mug)
        queued_reports.wait()

    sent = [(call["sender"], call.get("order")) for call in calls]
    assert sent == [(Order, order)], (
        f"Once the report of order #{order.pk} is sent, the task should send order_report_sent "
        f"once, with sender=Order and order=<the order>; it was sent {len(calls)} times: "
        f"{sent}. Lesson 05 listens to it. See TODO 2 in tasks.py." + nothing_queued(queued_reports)
    )
    assert in_a_transaction == [False], (
        "order_report_sent was sent inside the task's transaction, before it committed: a "
        "receiver that reads the order then sees data that may still roll back. Send it once "
        "report_sent_at is recorded and committed, outside any transaction.atomic() (TODO 4)."
    )
    assert recorded == [True], (
        "order_report_sent was sent before the order's report_sent_at was recorded: a "
        "receiver that reads the order finds its report not sent, and if recording fails, "
        "the report was announced but never recorded. Announce it only after the email is "
        "sent and report_sent_at recorded (TODO 4)."
    )


def test_a_failing_receiver_of_order_report_sent_fails_neither_the_task_nor_the_others(
    celery_worker, customer, mug, queued_reports, mailoutbox
):
    heard = []

    def failing_receiver(sender, **kwargs):
        raise LookupError("a bug in a receiver")

    def listening_receiver(sender, order, **kwargs):
        heard.append(order.pk)

    with connected(order_report_sent, failing_receiver, listening_receiver):
        order = place_order(customer, mug)
        queued_reports.wait()

    outcomes = queued_reports.outcomes()
    assert outcomes == [("SUCCESS", None)], (
        "A receiver of order_report_sent that raises should not fail the report task, whose "
        f"email is out; the task ended {outcomes}. Send the signal with send_robust(), which "
        "calls every receiver and returns their errors instead of raising them (TODO 2)."
        + nothing_queued(queued_reports)
    )
    assert heard == [order.pk], (
        "A receiver connected after the failing one should still hear of the report; it heard "
        f"{heard}. A try/except around send() stops at the first error: send_robust() calls "
        "each receiver (TODO 2)."
    )
    assert len(mailoutbox) == 1, (
        f"The report should be emailed once; {len(mailoutbox)} emails were sent."
    )


def test_a_failing_receiver_is_logged_once_with_its_error(
    celery_worker, customer, mug, queued_reports, caplog
):
    error = LookupError("a bug in a receiver")

    def failing_receiver(sender, **kwargs):
        raise error

    with caplog.at_level(logging.INFO), connected(order_report_sent, failing_receiver):
        place_order(customer, mug)
        queued_reports.wait()

    about_it = [
        (record.name, record.levelname)
        for record in caplog.records
        if record.exc_info and record.exc_info[1] is error
    ]
    assert about_it == [("django.dispatch", "ERROR")], (
        "A receiver that fails in send_robust() is logged by Django itself: one ERROR record, "
        "with its traceback, on the 'django.dispatch' logger. The records that carried its "
        f"error (logger, level) were {about_it}. "
        + (
            "Logged twice: send_robust() logs it already (Django 5), do not log it again."
            if len(about_it) > 1
            else "Send order_report_sent with send_robust() (TODO 2)."
        )
        + nothing_queued(queued_reports)
    )


# TODO 3: retry when the mail server fails, a little later each time; give up in the end.


def test_a_refused_report_is_retried_until_the_mail_server_takes_it_then_announced(
    celery_worker, deliver_by_smtp, quick_retries, customer, mug, queued_reports
):
    deliver_by_smtp.refuse_next(2)  # "451 try again later", twice; then it accepts.
    with runs_of_the_report_task() as runs, received(order_report_sent) as calls:
        order = place_order(customer, mug)
        queued_reports.wait()

    attempts, delivered = deliver_by_smtp.attempts, len(deliver_by_smtp.messages)
    order.refresh_from_db()
    outcomes = queued_reports.outcomes()
    assert (attempts, delivered) == (3, 1), (
        "A mail server that refuses the report twice and then takes it should see three "
        f"attempts and keep one email; it saw {attempts} attempts and kept {delivered} (the "
        f"task ended {outcomes}). "
        + (
            "No delivery was even tried: the report is not sent yet (TODO 1 and 2)."
            if attempts == 0
            else "The refusal never reached Celery: the task ran once and succeeded. Do not "
            "silence it (fail_silently=True) or catch it: let it raise (TODO 3)."
            if attempts == 1 and len(runs) == 1 and outcomes == [("SUCCESS", None)]
            else "The order was marked sent (report_sent_at) although the mail server refused "
            "the report, so the retry found nothing to do: set report_sent_at after the send "
            "(TODO 4)."
            if attempts == 1 and order.report_sent_at is not None
            else "The refused send left the order claimed (report_claimed_at), so each retry "
            "found it taken and sent nothing: when the send fails, clear the claim, then let "
            "the error go on (TODO 4)."
            if attempts == 1 and order.report_claimed_at is not None
            else "The task gave up at the first refusal (smtplib.SMTPDataError, an "
            "SMTPException): retry on it with autoretry_for (TODO 3)."
            if attempts == 1
            else "It gave up too soon: allow more retries (max_retries, TODO 3)."
            if attempts == 2
            else ""
        )
    )
    assert len(calls) == 1, (
        "A report refused twice and delivered on the second retry should be announced once, "
        f"after it is delivered; order_report_sent was sent {len(calls)} times. Send the "
        "signal after the email has gone out, not before (TODO 2)."
    )


def test_a_mail_server_that_is_down_is_retried(
    celery_worker, deliver_by_smtp, quick_retries, settings, customer, mug, queued_reports
):
    # Nothing listens on the port at first: connecting fails (ConnectionRefusedError, a
    # ConnectionError). When the task asks for a retry, the mail server is back.
    settings.EMAIL_PORT = closed_port()

    def server_back(**kwargs):
        settings.EMAIL_PORT = deliver_by_smtp.port

    with connected(task_retry, server_back):
        order = place_order(customer, mug)
        queued_reports.wait()

    outcomes = queued_reports.outcomes()
    order.refresh_from_db()
    assert len(deliver_by_smtp.messages) == 1, (
        "A mail server that is down (the connection refused) and then back should get the "
        f"report on the retry; it got {len(deliver_by_smtp.messages)}, and the task ended "
        f"{outcomes}. "
        + (
            "The failed send left the order claimed (report_claimed_at), so each retry found "
            "it taken: clear the claim whatever the send raises (a refused connection is an "
            "OSError, not an SMTPException), then let the error go on (TODO 4)."
            if order.report_claimed_at is not None
            else "A refused connection raises ConnectionRefusedError, a ConnectionError, not an "
            "SMTPException: retry on ConnectionError too (autoretry_for, TODO 3)."
        )
        + nothing_queued(queued_reports)
    )


def test_a_mail_server_that_times_out_or_drops_the_connection_is_retried(
    celery_worker, quick_retries, customer, mug, queued_reports, mailoutbox
):
    # The first send fails as a mail server that does not answer in time (EMAIL_TIMEOUT) makes
    # it fail, the second as one that drops the connection; the third gets through.
    send_messages = EmailBackend.send_messages
    failures = [ConnectionResetError("Connection reset by peer"), TimeoutError("timed out")]

    def fail_twice(backend, messages):
        if failures:
            raise failures.pop()
        return send_messages(backend, messages)

    with mock.patch.object(EmailBackend, "send_messages", fail_twice):
        place_order(customer, mug)
        queued_reports.wait()

    outcomes = queued_reports.outcomes()
    failed_on = outcomes[0][1] if outcomes else None
    assert len(mailoutbox) == 1, (
        "A send that fails with TimeoutError (a mail server that does not answer within "
        "EMAIL_TIMEOUT), then one that fails with ConnectionResetError (a mail server that "
        "drops the connection), should each be retried, and the third try send the report; "
        f"{len(mailoutbox)} emails were sent and the task ended {outcomes}. "
        + (
            "TimeoutError is not a ConnectionError: retry on TimeoutError too "
            "(autoretry_for=(SMTPException, ConnectionError, TimeoutError), TODO 3)."
            if failed_on == "TimeoutError"
            else "ConnectionResetError is a ConnectionError: retry on ConnectionError "
            "(autoretry_for=(SMTPException, ConnectionError, TimeoutError), TODO 3), not only "
            "on one of its subclasses."
            if failed_on == "ConnectionResetError"
            else ""
        )
        + nothing_queued(queued_reports)
    )


def test_a_report_the_mail_server_keeps_refusing_is_retried_ten_times_ever_later_then_fails(
    celery_worker, quick_retries, customer, mug, queued_reports
):
    # Every send fails as the mail server's refusal makes it fail (smtplib.SMTPDataError), as
    # in the test before, but without the server: eleven round trips to it would teach nothing.
    attempts = 0

    def refuse(backend, messages):
        nonlocal attempts
        attempts += 1
        raise SMTPDataError(451, b"4.3.0 Mailbox busy, try again later")

    with mock.patch.object(EmailBackend, "send_messages", refuse):
        place_order(customer, mug)
        queued_reports.wait()

    outcomes = queued_reports.outcomes()
    assert (attempts, outcomes) == (11, [("FAILURE", "SMTPDataError")]), (
        "A mail server that refuses every time should see the report 11 times (the first try "
        "and 10 retries), and then the task should give up and end in FAILURE, with the mail "
        f"server's error (SMTPDataError); it saw {attempts} attempts, and the task ended "
        f"{outcomes}. "
        + (
            "Retry at most 10 times: max_retries=10 (TODO 3)."
            if attempts != 11
            else "It failed with MaxRetriesExceededError, which hides why: when you retry by "
            "hand, pass the error, raise self.retry(exc=error, countdown=...), as autoretry_for "
            "does (TODO 3)."
            if outcomes == [("FAILURE", "MaxRetriesExceededError")]
            else "The last refusal should fail the task, not be swallowed."
        )
        + nothing_queued(queued_reports)
    )

    # The wait asked for before each retry (the task's last retry() call, which gives up, asks
    # for an eleventh one).
    waits = [round(wait, 1) for wait in quick_retries][:10]
    caps = [min(2**retry, 300) for retry in range(10)]  # Exponential backoff, 5 minutes at most
    within = [wait <= cap for wait, cap in zip(waits, caps, strict=False)]
    reaches_cap = len(waits) == 10 and waits[-1] == caps[-1]
    assert all(within) and reaches_cap and sum(waits[5:]) > sum(waits[:5]), (
        "After each refusal the task should wait longer, up to twice the time before "
        f"(exponential backoff), and never more than 5 minutes: at most {caps} seconds; it "
        f"asked for {waits}. "
        + (
            "That is Celery's default_retry_delay (180 s) every time: set "
            "retry_backoff=True (TODO 3)."
            if set(waits) == {180}
            else "The waits stop growing below 5 minutes: retry_backoff_max counts seconds, "
            "retry_backoff_max=300 (TODO 3)."
            if all(within) and not reaches_cap
            else "Cap the waits with retry_backoff_max=300 (TODO 3)."
            if all(within[:9])
            else "Set retry_backoff=True and retry_backoff_max=300 (TODO 3)."
        )
    )


def test_the_waits_between_retries_are_jittered(
    celery_worker, deliver_by_smtp, quick_retries, customer, mug, queued_reports
):
    # Celery's jitter draws each wait at random, from 0 up to the backoff: draw it at 0 here.
    quick_retries.draw(widest=False)
    deliver_by_smtp.refuse_next(2)
    place_order(customer, mug)
    queued_reports.wait()

    waits = [round(wait, 1) for wait in quick_retries]
    backoff = [1, 2]  # What the first two waits are without jitter
    below = [wait < most for wait, most in zip(waits, backoff, strict=False)]
    assert len(waits) == 2 and all(below), (
        "Each wait between retries should be drawn at random up to the backoff (jitter), so "
        "that the reports that failed together do not all come back together; with the draw "
        f"at its lowest, the task should have asked for less than {backoff} seconds (Celery's "
        f"jitter: [0, 0]); it asked for {waits}. "
        + (
            "Keep retry_jitter=True (TODO 3)."
            if len(waits) == 2
            else "It did not retry twice: see the tests before."
        )
        + nothing_queued(queued_reports)
    )


def test_an_error_that_is_not_the_mail_servers_fails_the_task_at_once(
    celery_worker, quick_retries, customer, mug, queued_reports
):
    # What a lookup that finds nothing raises: no wait makes the order appear.
    bug = Order.DoesNotExist("Order matching query does not exist.")
    with (
        mock.patch.object(EmailBackend, "send_messages", side_effect=bug),
        runs_of_the_report_task() as runs,
    ):
        place_order(customer, mug)
        queued_reports.wait()

    outcomes = queued_reports.outcomes()
    assert (len(runs), outcomes) == (1, [("FAILURE", "DoesNotExist")]), (
        "An error that is not the mail server's (here Order.DoesNotExist, as a bug or a "
        "missing order raises) should fail the report task at its first run, visibly; the "
        f"task ran {len(runs)} times and ended {outcomes}. "
        + (
            "Retry only the mail errors: autoretry_for=(SMTPException, ConnectionError, "
            "TimeoutError), not Exception, nor Order.DoesNotExist: the order is committed "
            "before the task is queued, and waiting will not make a missing one appear "
            "(TODO 3)."
            if len(runs) > 1
            else "Do not catch it: a task that fails shows FAILURE, with its error (TODO 2)."
            if runs
            else ""
        )
        + nothing_queued(queued_reports)
    )


# TODO 4: one email, however often the task runs.


def test_running_the_report_task_twice_sends_and_announces_one_email(
    celery_worker, quick_retries, customer, mug, queued_reports, mailoutbox
):
    with received(order_report_sent) as calls:
        order = place_order(customer, mug)
        send_order_report.delay(order.pk)  # The same task again, as a redelivery would run it.
        queued_reports.wait()

    runs, emails = len(queued_reports.messages), len(mailoutbox)
    assert emails == 1, (
        f"The report task ran {runs} times for order #{order.pk} and sent {emails} emails; "
        "it should send exactly one. "
        + (
            "Make it send the report first (TODO 2)."
            if emails == 0
            else "Record the sending in order.report_sent_at, and return early when it is "
            "set already (TODO 4)."
        )
    )
    assert len(calls) == 1, (
        f"The report task ran twice for order #{order.pk}; order_report_sent should be sent "
        f"once, for the one email; it was sent {len(calls)} times. A run that finds the "
        "report sent already returns before it announces anything (TODO 4)."
    )
    outcomes = queued_reports.outcomes()
    assert outcomes == [("SUCCESS", None)] * 2, (
        f"Both runs of the report task for order #{order.pk} should end in SUCCESS: the "
        f"second finds the report out, and has nothing left to do; they ended {outcomes}. "
        "When the claim updates no row and report_sent_at is set, return: retry only when "
        "the report is not out and another run holds the claim (TODO 4)."
    )


def test_the_order_records_when_its_report_was_sent(celery_worker, customer, mug, queued_reports):
    # Another order, whose report is not this run's business (bulk_create() queues nothing).
    Order.objects.bulk_create([Order(owner=customer)])
    sending_started = []
    with before_each_send(lambda: sending_started.append(timezone.now())):
        order = place_order(customer, mug)
        queued_reports.wait()

    order.refresh_from_db()
    sent_after = sending_started[0] if sending_started else order.created_at
    assert order.report_sent_at is not None and order.report_sent_at >= sent_after, (
        f"Once its report is sent, order #{order.pk} should have report_sent_at set to the "
        f"time of sending (the email went out at {sent_after}); it is "
        f"{order.report_sent_at}. "
        + (
            "It was set before the email went out, as a claim? Claim with report_claimed_at, "
            "and set report_sent_at to timezone.now() once the email is out (TODO 4)."
            if order.report_sent_at is not None and order.report_sent_at > order.created_at
            else "Set it to timezone.now() once the email is out, not to a time of the "
            "order's (TODO 4)."
        )
        + nothing_queued(queued_reports)
    )
    assert order.report_claimed_at is None, (
        f"Once its report is recorded, order #{order.pk} should no longer be claimed; its "
        f"report_claimed_at is still {order.report_claimed_at}. Set report_sent_at and clear "
        "report_claimed_at in the same update (TODO 4)."
    )
    others = list(
        Order.objects.exclude(pk=order.pk).values_list("pk", "report_sent_at", "report_claimed_at")
    )
    assert [(sent, claimed) for _pk, sent, claimed in others] == [(None, None)], (
        f"The report task for order #{order.pk} should claim and record that order only; it "
        f"also changed another order (id, report_sent_at, report_claimed_at): {others}. An "
        "update() on Order.objects changes every order: filter it by the id first, "
        "Order.objects.filter(pk=order_id, ...).update(...), in the claim and in the record "
        "(TODO 4)."
    )


def test_the_report_is_sent_with_no_transaction_open(
    celery_worker, customer, mug, queued_reports, mailoutbox
):
    in_a_transaction = []

    def note_transaction():
        # The worker's own connection: is a transaction open while the mail server talks?
        in_a_transaction.append(connection.in_atomic_block or not connection.get_autocommit())

    with before_each_send(note_transaction):
        place_order(customer, mug)
        queued_reports.wait()

    assert in_a_transaction == [False], (
        "The report should be sent with no database transaction open; "
        + (
            "it was sent inside one (transaction.atomic(), with select_for_update()?). The "
            "transaction holds the order's row lock (on SQLite, the whole database's write "
            "lock) and a database connection for as long as the mail server takes, 10 s per "
            "exchange when it is slow. Claim the order with one UPDATE, send, then record "
            "report_sent_at, each on its own (TODO 4)."
            if any(in_a_transaction)
            else f"{len(in_a_transaction)} emails were sent. Send the report (TODO 2)."
        )
        + nothing_queued(queued_reports)
    )


def test_a_report_claimed_by_a_live_run_is_retried_not_dropped(
    celery_worker, quick_retries, customer, mug, queued_reports, mailoutbox
):
    # Another run claimed the report half a minute ago and is still sending it (a slow mail
    # server: 10 s per exchange). When this run retries, that one fails, and lets go of its
    # claim: the retry then sends the report.
    def other_run_lets_go(**kwargs):
        Order.objects.update(report_claimed_at=None)

    with runs_of_the_report_task() as runs, connected(task_retry, other_run_lets_go):
        order = place_order(customer, mug, claimed_at=timezone.now() - timedelta(seconds=30))
        queued_reports.wait()

    emails, outcomes = len(mailoutbox), queued_reports.outcomes()
    assert (len(runs), emails) == (2, 1), (
        f"The report of order #{order.pk} was claimed half a minute ago by another run, which "
        "may be sending it right now: this run should send nothing and retry later, in case "
        f"that run dies; the retry, the claim gone, sends it. The task ran {len(runs)} times, "
        f"sent {emails} emails and ended {outcomes}. "
        + (
            "It sent at once, beside the other run: two emails. Claim the report with one "
            "conditional UPDATE (report_sent_at and report_claimed_at empty, or the claim "
            "older than the lease), and send only when it updated the row. A lease shorter "
            "than a slow send (minutes: CLAIM_LEASE) also lets two runs send (TODO 4)."
            if len(runs) == 1 and emails
            else "It returned without retrying: if the other run dies, the report is never "
            "sent. When the claim is taken and report_sent_at is empty, raise "
            "self.retry(countdown=...) (bind=True), a lease later (TODO 4)."
            if len(runs) == 1
            else ""
        )
        + nothing_queued(queued_reports)
    )


def test_a_claim_older_than_the_lease_is_taken_over(
    celery_worker, quick_retries, customer, mug, queued_reports, mailoutbox
):
    # A run claimed the report a day ago, and died: no send takes that long.
    order = place_order(customer, mug, claimed_at=timezone.now() - timedelta(days=1))
    queued_reports.wait()

    emails, outcomes = len(mailoutbox), queued_reports.outcomes()
    order.refresh_from_db()
    assert emails == 1 and order.report_sent_at is not None, (
        f"The report of order #{order.pk} was claimed a day ago by a run that died: its claim "
        f"is long expired, and this run should take it over and send; it sent {emails} emails "
        f"(report_sent_at: {order.report_sent_at}) and ended {outcomes}. A claim is a lease: "
        "claim also when report_claimed_at is older than the lease "
        "(Q(report_claimed_at__lt=now - lease)), or a dead run's report is never sent (TODO 4)."
        + nothing_queued(queued_reports)
    )


def test_a_run_that_another_claimed_between_its_read_and_its_write_sends_nothing(
    celery_worker, quick_retries, customer, mug, queued_reports, mailoutbox
):
    # Right after the task first reads the order, another run claims it, if it can, as a run
    # in another worker would: then this run must not send while that claim stands. And once
    # the report is sent, another run tries again before each of the worker's statements: the
    # report must stay claimed until it is recorded sent.
    worker_thread = []
    other_run = {"claimed": False, "let_go": False, "sent": False, "claimed_after_send": False}
    execute = CursorWrapper.execute

    def other_run_claims(order_id, outcome):
        try:
            claimed = Order.objects.filter(
                pk=order_id, report_sent_at__isnull=True, report_claimed_at__isnull=True
            ).update(report_claimed_at=timezone.now())
            other_run[outcome] = bool(claimed)
        except Exception:  # SQLite: this run's transaction locks the table; no race then.
            pass
        finally:
            connections.close_all()

    def race(outcome):
        racer = threading.Thread(target=other_run_claims, args=[order.pk, outcome])
        racer.start()
        racer.join(timeout=RACER_TIMEOUT)

    def execute_then_race(cursor, sql, params=None):
        # The worker's next statement after its first read of the order: the other run's
        # claim goes in right before it.
        in_the_worker = worker_thread[:1] == [threading.current_thread()]
        if in_the_worker and worker_thread[1:] == ["read"]:
            worker_thread.append("raced")
            race("claimed")
        elif in_the_worker and other_run["sent"] and not other_run["claimed_after_send"]:
            race("claimed_after_send")
        reads_the_order = re.match(r'\s*SELECT .* FROM "shop_order"(\s|$)', sql, re.S)
        if reads_the_order and worker_thread == [threading.current_thread()]:
            worker_thread.append("read")
        return execute(cursor, sql, params)

    def note_worker(sender, **kwargs):
        if not worker_thread:
            worker_thread.append(threading.current_thread())

    def other_run_lets_go(**kwargs):
        other_run["let_go"] = True
        Order.objects.update(report_claimed_at=None)

    sent_while_claimed = []

    def note_claim():
        sent_while_claimed.append(other_run["claimed"] and not other_run["let_go"])
        other_run["sent"] = True

    with (
        connected(task_prerun, note_worker),
        connected(task_retry, other_run_lets_go),
        mock.patch.object(CursorWrapper, "execute", execute_then_race),
        before_each_send(note_claim),
    ):
        order = place_order(customer, mug)
        queued_reports.wait()

    assert not any(sent_while_claimed) and len(mailoutbox) == 1, (
        f"Between this run's read of order #{order.pk} and its claim, another run claimed the "
        "report. This run should have found it claimed, and retried; "
        + (
            "it sent the report anyway, beside the other run: two emails. A read, then a "
            "write, leaves that gap: claim with ONE conditional UPDATE "
            "(Order.objects.filter(<not sent, not claimed or claim expired>, pk=order_id)"
            ".update(report_claimed_at=now)) and send only if it updated the row (TODO 4)."
            if any(sent_while_claimed)
            else f"it sent {len(mailoutbox)} emails, ending {queued_reports.outcomes()}."
        )
        + nothing_queued(queued_reports)
    )
    assert not other_run["claimed_after_send"], (
        f"Once the report of order #{order.pk} was sent, another run could claim it, before "
        "this run had recorded it sent: that run would send it a second time. The claim was "
        "let go of (report_claimed_at cleared, in a `finally:`?) before report_sent_at was "
        "set. Keep the claim until the record: set report_sent_at and clear report_claimed_at "
        "in ONE update, after the send; clear the claim alone only when the send fails "
        "(TODO 4)."
    )


# TODO 5: acknowledge the message late.


def test_the_report_message_is_acknowledged_after_the_task_has_run(
    celery_worker, customer, mug, queued_reports
):
    acknowledged = []

    def record(sender, task_id, **kwargs):
        # The worker's own record of the message it is running (celery.worker.state).
        acknowledged.extend(
            request.acknowledged
            for request in worker_state.active_requests
            if request.id == task_id
        )

    task_prerun.connect(record, sender=send_order_report, weak=False)
    try:
        place_order(customer, mug)
        queued_reports.wait()
    finally:
        task_prerun.disconnect(record, sender=send_order_report)

    assert acknowledged == [False], (
        "When the report task starts, its message should not be acknowledged yet, so that "
        "the broker delivers it again if the worker dies before the end. "
        + (
            "The task never ran: queue it first (TODO 1)."
            if not acknowledged
            else f"Acknowledged when each run started: {acknowledged}. Set acks_late=True on "
            "the task (TODO 5)."
        )
    )
    assert not app.conf.task_acks_late, (
        "Late acknowledgement is on for every task of the app (task_acks_late, the setting "
        "CELERY_TASK_ACKS_LATE): a task that is not idempotent would then run twice whenever "
        "its message is delivered again. Set acks_late=True on this task only, in its "
        "decorator, and leave the app's default alone (TODO 5)."
    )


# All together: the page answers, the worker does the slow part.


def test_the_order_page_answers_before_a_slow_mail_server_does(
    celery_worker, deliver_by_smtp, client, customer, mug, queued_reports
):
    deliver_by_smtp.hold(HOLD)  # The mail server answers only when the test lets it.
    client.force_login(customer)

    with queuing_the_report():
        response = client.post(reverse("place_order"), {"product": mug.pk})
    delivered_by_then = len(deliver_by_smtp.messages)
    deliver_by_smtp.release()
    queued_reports.wait()

    assert response.status_code == 201 and deliver_by_smtp.messages, (
        f"The order page should answer 201 and the worker send the report; the page answered "
        f"{response.status_code} and {len(deliver_by_smtp.messages)} emails arrived."
    )
    assert delivered_by_then == 0, (
        "The order page answered only once the mail server had accepted the report (held for "
        f"{HOLD} s): the page waited for the email. Leave the sending to the worker (TODO 1)."
    )
