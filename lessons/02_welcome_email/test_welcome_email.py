"""Lesson 02: a welcome email. Read top to bottom: the first failing test is your next step.

Two fixtures from pytest-django do most of the work here:

- `mailoutbox`: Django's test runner swaps in the in-memory email backend, and every message
  sent lands in this list.
- `django_capture_on_commit_callbacks`: each test runs inside a transaction that is rolled back
  at the end, so nothing ever commits and transaction.on_commit() callbacks would never run.
  This fixture collects the callbacks registered in its block and, with execute=True, runs
  them when the block ends, as a commit would.
"""

import importlib
import logging
import smtplib
import sys
import threading
import weakref
from contextlib import ExitStack, contextmanager
from email.utils import parseaddr
from unittest.mock import patch

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem, smtp
from django.core.management import call_command
from django.db import transaction
from django.db.models.signals import post_save
from django.template import TemplateDoesNotExist
from django.urls import reverse

from shop.models import Product
from welcome_email import emails
from workshop.testing import restored_receivers

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "erin",
    "email": "erin@example.com",
    "password1": "a-long-walk-42",
    "password2": "a-long-walk-42",
}


def addresses(outbox):
    """Each message's recipients, as bare addresses ("Carol <carol@example.com>" is fine)."""
    return [[parseaddr(to)[1] for to in message.to] for message in outbox]


def create_user(django_user_model, username, email=""):
    """Create a user as a signup does, failing with advice if the receiver raises instead."""
    try:
        return django_user_model.objects.create_user(username=username, email=email)
    except TypeError as error:
        if "required positional argument" in str(error):
            pytest.fail(
                f"The receiver could not be called: {error}. post_save passes sender, "
                "instance, created, raw, using and update_fields, by keyword: name the "
                "receiver's parameters after them, and connect it to post_save (TODO 3)."
            )
        if "callable" not in str(error):
            raise
        pytest.fail(
            "transaction.on_commit() takes a function to call after the commit, but it got "
            "what send_welcome_email(...) returned: the email went out during the save. Pass "
            "a lambda: on_commit(lambda: emails.send_welcome_email(instance), robust=True) "
            "(TODO 2)."
        )


# TODO 1: the message.


def welcome_message_for(user):
    """emails.welcome_message(user), failing with advice when it cannot build a message."""
    sent_before = len(mail.outbox)  # The test email backend's outbox (`mailoutbox`).
    try:
        message = emails.welcome_message(user)
    except TemplateDoesNotExist as error:
        pytest.fail(
            f"welcome_message() asked for the template {str(error)!r}, which does not exist. "
            "The templates are in templates/welcome_email/: name them with their folder, "
            "'welcome_email/subject.txt', 'welcome_email/body.txt' and "
            "'welcome_email/body.html' (TODO 1)."
        )
    except TypeError as error:
        if "unexpected keyword argument" not in str(error):
            raise
        pytest.fail(
            f"Building the message raised TypeError: {error}. EmailMultiAlternatives() takes "
            "subject, body and to (html_message= is send_mail()'s); add the HTML afterwards "
            "with message.attach_alternative(html, 'text/html') (TODO 1)."
        )
    if not isinstance(message, EmailMessage):
        pytest.fail(
            f"welcome_message() returned {message!r}, not an email message: build the "
            "EmailMultiAlternatives and return it, without sending it (TODO 1)."
        )
    if len(mail.outbox) > sent_before:
        pytest.fail(
            "welcome_message() sent the message: it should only build and return it. "
            "send_welcome_email() sends what it returns, once, after the commit: sent here "
            "too, the email goes out twice, or to whoever only wanted to look at it (TODO 1)."
        )
    return message


@pytest.fixture
def alice(django_user_model):
    """A user to write to; not saved, so no signal is sent for her."""
    return django_user_model(username="alice", email="alice@example.com")


def test_the_welcome_message_goes_to_the_users_address(alice):
    message = welcome_message_for(alice)

    assert [parseaddr(to)[1] for to in message.to] == ["alice@example.com"], (
        f"The welcome message should go to the user's address, ['alice@example.com']; its "
        f"`to` is {message.to!r}. See TODO 1 in emails.py."
    )


def test_the_welcome_subject_is_one_line_from_the_template(alice):
    message = welcome_message_for(alice)

    assert message.subject == "Welcome to the Event shop, alice!", (
        "The subject should be the rendered welcome_email/subject.txt on one line, "
        f"'Welcome to the Event shop, alice!'; it is {message.subject!r}. A template file "
        "ends with a newline, and a header cannot hold one: join its splitlines() (TODO 1)."
    )


def test_the_welcome_text_greets_the_user_by_username(alice):
    message = welcome_message_for(alice)

    assert message.body.startswith("Hi alice,"), (
        "The plain-text body should be welcome_email/body.txt rendered for the user, "
        f"starting 'Hi alice,'; it starts {message.body[:40]!r}. See TODO 1 in emails.py."
    )


def test_the_welcome_message_has_an_html_alternative(alice):
    message = welcome_message_for(alice)

    alternatives = getattr(message, "alternatives", [])  # Only EmailMultiAlternatives has them.
    html = [content for content, mimetype in alternatives if mimetype == "text/html"]
    assert len(html) == 1 and "<p>Hi alice,</p>" in html[0], (
        "The message should carry welcome_email/body.html as one 'text/html' alternative, "
        f"greeting '<p>Hi alice,</p>'; its alternatives are {alternatives!r}. Use "
        "message.attach_alternative(html, 'text/html') (TODO 1)."
    )
    try:
        message.message()  # The MIME message, as an email backend builds it to send it.
    except AttributeError as error:
        pytest.fail(
            f"The message could not be turned into an email to send: {error}. Django 5.2 "
            "keeps each alternative as an EmailAlternative, not a plain tuple: add the HTML "
            "with message.attach_alternative(html, 'text/html'), rather than setting or "
            "appending to message.alternatives yourself (TODO 1)."
        )


def test_the_welcome_message_comes_from_the_default_from_address(alice, settings):
    settings.DEFAULT_FROM_EMAIL = "welcome@shop.example"
    settings.EMAIL_HOST_USER = "login@relay.example"  # A login for the server, not an author.
    message = welcome_message_for(alice)

    assert parseaddr(message.from_email)[1] == "welcome@shop.example", (
        "The welcome message should come from settings.DEFAULT_FROM_EMAIL "
        f"('welcome@shop.example' in this test); it comes from {message.from_email!r}. Leave "
        "from_email out of EmailMultiAlternatives(): it defaults to that setting (TODO 1)."
    )


REWORDED = {
    "welcome_email/subject.txt": "Glad you are here, {{ user.get_username }}\n",
    "welcome_email/body.txt": "Dear {{ user.get_username }}, the shop is open.\n",
    "welcome_email/body.html": "<p>Dear {{ user.get_username }}, the shop is open.</p>\n",
}


def test_the_welcome_words_come_from_the_templates(alice, settings):
    # Templates with other words: the message must change with them, not with the code.
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", REWORDED)]},
        }
    ]
    message = welcome_message_for(alice)

    alternatives = getattr(message, "alternatives", [])
    parts = {
        "welcome_email/subject.txt": message.subject == "Glad you are here, alice",
        "welcome_email/body.txt": message.body.startswith("Dear alice, the shop is open."),
        "welcome_email/body.html": any("<p>Dear alice," in str(c) for c, _ in alternatives),
    }
    ignored = [name for name, follows in parts.items() if not follows]
    assert not ignored, (
        f"With other words in {', '.join(ignored)}, the welcome message did not change: "
        f"subject {message.subject!r}, body {message.body[:40]!r}. Render each part from "
        "its template with render_to_string(name, {'user': user}), so that the words can "
        "change without the code (TODO 1)."
    )


# TODO 2 and 3: send it when a user is created, once the signup is committed.


@contextmanager
def sending_threads():
    """The threads that hand a message to the email backend in the block, once they end.

    Whatever the block starts is waited for (briefly) before the block returns, so an email
    sent late from a thread of its own is seen, not raced.
    """
    senders, started = [], []
    real_send, real_start = locmem.EmailBackend.send_messages, threading.Thread.start

    def send_messages(backend, messages):
        senders.append(threading.current_thread())
        return real_send(backend, messages)

    def start(thread):
        started.append(thread)
        real_start(thread)

    with (
        patch.object(locmem.EmailBackend, "send_messages", send_messages),
        patch.object(threading.Thread, "start", start),
    ):
        yield senders
        for thread in started:
            thread.join(timeout=2)


def failed_callbacks(records):
    """The exceptions that on_commit(..., robust=True) caught and logged."""
    return [r.exc_info[1] for r in records if r.levelno >= logging.ERROR and r.exc_info]


def not_for_users(signal):
    """Fail with advice if this lesson's receiver is connected to `signal`, but for a sender
    that is not the user model (the caller knows that no receiver hears about users)."""
    waiting = [".".join(model) for model in apps._pending_operations]  # Lazy "app.Model" senders.
    if waiting:
        pytest.fail(
            f"Creating a user sent no welcome email: post_save is still waiting for the model "
            f"{', '.join(map(repr, waiting))}, which this project does not have, to connect a "
            "receiver. Name the user model with sender=settings.AUTH_USER_MODEL "
            f"({django_settings.AUTH_USER_MODEL!r} here) (TODO 3)."
        )
    for entry in signal.receivers:  # (lookup key, receiver or a weak reference to it, ...)
        heard = entry[1]() if isinstance(entry[1], weakref.ReferenceType) else entry[1]
        if getattr(heard, "__module__", "").startswith("welcome_email."):
            name = getattr(heard, "__qualname__", type(heard).__qualname__)
            pytest.fail(
                f"Creating a user sent no welcome email: {name} is connected to "
                "post_save, but for another sender than the user model. Pass "
                "sender=settings.AUTH_USER_MODEL, or the model class itself "
                "(get_user_model(), called) (TODO 3)."
            )


def test_creating_a_user_sends_one_welcome_email(
    django_user_model, django_capture_on_commit_callbacks, mailoutbox, caplog
):
    with (
        sending_threads() as senders,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        create_user(django_user_model, "carol", "carol@example.com")

    if any(sender is not threading.main_thread() for sender in senders):
        pytest.fail(
            "The welcome email was sent from a thread of its own, after the commit had "
            "returned: its errors never reach the log, and nothing waits for it. Send it in the "
            "on_commit() callback itself (TODO 2); lesson 04 moves it to a Celery worker."
        )
    if not mailoutbox and failed_callbacks(caplog.records):
        error = failed_callbacks(caplog.records)[0]
        pytest.fail(
            "Creating a user ran your on_commit() callback, but it raised "
            f"{type(error).__name__}: {error}. robust=True logged it and went on, so no "
            "email was sent: fix the sending (emails.send_welcome_email, TODO 1 and 2)."
        )
    if not mailoutbox and not post_save.has_listeners(django_user_model):
        not_for_users(post_save)
        pytest.fail(
            "Creating a user sent no welcome email, and nothing is connected to post_save for "
            "the user model. Connect receivers.welcome_new_user in apps.py's ready() (TODO 3); "
            "a receiver defined inside ready() is held by a weak reference and vanishes when "
            "ready() returns: connect a module-level function, or pass weak=False."
        )
    if len(mailoutbox) > 1 and len(set(map(tuple, addresses(mailoutbox)))) == 1:
        pytest.fail(
            f"Creating one user sent {len(mailoutbox)} welcome emails to "
            f"{mailoutbox[0].to}: the email went out twice. Is welcome_new_user connected "
            "twice (by @receiver and by connect(), under different dispatch_uids), or does "
            "the message get sent twice (welcome_message() must only build it)? TODO 1 and 3."
        )
    if mailoutbox:
        diagnosis = ""
    elif callbacks:
        diagnosis = (
            f"The save queued {len(callbacks)} on_commit() callback(s), which ran without "
            "error, yet no message reached Django's email backend (in tests, the in-memory "
            "outbox): was it sent at all (does send_welcome_email() call send()?), through "
            "settings.EMAIL_BACKEND, without fail_silently? "
        )
    else:
        diagnosis = "The save queued no on_commit() callback. "
    assert addresses(mailoutbox) == [["carol@example.com"]], (
        f"{diagnosis}Creating a user (and committing) should send one welcome email to "
        f"carol@example.com; the messages sent went to {addresses(mailoutbox)}. A receiver is "
        "connected to post_save for the user model: welcome_new_user should register the "
        "sending with transaction.on_commit() (TODO 2) and return early only for a user that "
        "is not `created`, a `raw` save or no address (TODO 4)."
    )


def test_the_welcome_email_waits_for_the_commit(
    django_user_model, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks() as callbacks:
        create_user(django_user_model, "carol", "carol@example.com")
    sent_before_the_commit = len(mailoutbox)
    for callback in callbacks:
        callback()  # What the commit would do.

    assert (sent_before_the_commit, len(mailoutbox)) == (0, 1), (
        "The welcome email should be sent by an on_commit() callback: nothing while the "
        "user is saved, one message once the transaction commits. Sent during the save: "
        f"{sent_before_the_commit}; after the commit: {len(mailoutbox)}. Wrap the sending in "
        "transaction.on_commit() (TODO 2)."
    )


def test_a_rolled_back_signup_sends_no_email(
    django_user_model, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                create_user(django_user_model, "carol", "carol@example.com")
                raise RuntimeError("the signup fails after the user row is written")
        except RuntimeError:
            pass

    assert not django_user_model.objects.filter(username="carol").exists(), "No rollback?"
    assert mailoutbox == [], (
        "A signup that rolled back left no user behind, yet a welcome email went to "
        f"{addresses(mailoutbox)}. Send it from transaction.on_commit(): Django drops the "
        "callbacks of a transaction that rolls back. See TODO 2."
    )


def test_two_new_users_are_welcomed_once_each(
    django_user_model, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        create_user(django_user_model, "carol", "carol@example.com")
        create_user(django_user_model, "dave", "dave@example.com")

    assert sorted(addresses(mailoutbox)) == [["carol@example.com"], ["dave@example.com"]], (
        "Two users created in one transaction should get one welcome email each, carol and "
        f"dave; the messages went to {addresses(mailoutbox)}. Each on_commit() callback must "
        "send to the user of its own save: `instance` (TODO 2)."
    )


@contextmanager
def imported_again(module):
    """Run a module's code again, as a reload does; then give it back its first functions."""
    first = dict(vars(module))
    try:
        yield importlib.reload(module)
    finally:
        vars(module).clear()
        vars(module).update(first)


def test_connecting_again_after_a_reimport_still_sends_one_email(
    django_user_model, django_capture_on_commit_callbacks, mailoutbox
):
    # What loading the app imported (receivers.py, or wherever the receiver lives), apps.py
    # aside. A module can be imported again (a reload, or under a second name) and ready() can
    # run again: then welcome_new_user is a new function, connected a second time.
    imported = sorted(name for name in sys.modules if name.startswith("welcome_email."))
    modules = [sys.modules[name] for name in imported if name != "welcome_email.apps"]
    with restored_receivers(post_save), ExitStack() as stack:
        for module in modules:
            stack.enter_context(imported_again(module))
        apps.get_app_config("welcome_email").ready()
        with django_capture_on_commit_callbacks(execute=True):
            create_user(django_user_model, "carol", "carol@example.com")

    assert mailoutbox, "Creating a user sent no welcome email. See TODO 2 and 3."
    assert len(mailoutbox) == 1, (
        f"After receivers.py was imported again and ready() ran again, creating one user sent "
        f"{len(mailoutbox)} welcome emails: the receiver was connected twice. Give "
        "post_save.connect() a dispatch_uid, a fixed string: connecting again under the same "
        "uid is a no-op (TODO 3)."
    )


def test_saving_a_product_does_not_reach_the_welcome_receiver(mailoutbox):
    try:
        Product.objects.create(name="Mug", price="9.50")
    except AttributeError as error:
        pytest.fail(
            f"Saving a Product called welcome_new_user, which failed: {error}. Connect it "
            "with sender=settings.AUTH_USER_MODEL, so that it hears about users only (TODO 3)."
        )


# TODO 4: when not to send.


def test_saving_an_existing_user_sends_no_email(
    django_user_model, django_capture_on_commit_callbacks, mailoutbox
):
    carol = create_user(django_user_model, "carol", "carol@example.com")
    mailoutbox.clear()  # Only what this save sends counts.
    with django_capture_on_commit_callbacks(execute=True):
        carol.first_name = "Carol"
        carol.save()

    assert mailoutbox == [], (
        f"Saving a user who already exists sent mail to {addresses(mailoutbox)}. post_save "
        "fires on every save (a login saves last_login): welcome only when `created` is "
        "True. See TODO 4."
    )


def test_a_user_without_an_email_address_gets_nothing_queued(
    django_user_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        create_user(django_user_model, "carol")

    assert callbacks == [], (
        "A user without an email address has no one to welcome, yet the save queued "
        f"{len(callbacks)} on_commit() callback(s). Return early when "
        "emails.email_address(instance) is empty (TODO 4)."
    )


def test_loading_users_from_a_fixture_sends_no_email(
    django_capture_on_commit_callbacks, mailoutbox
):
    # fixtures/welcome_email_users.json holds one user, dora@example.com.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("loaddata", "welcome_email_users", verbosity=0)

    assert mailoutbox == [], (
        f"Loading a fixture sent mail to {addresses(mailoutbox)}. loaddata saves each object "
        "with raw=True: that is data being restored, not a person signing up. Return early "
        "when `raw` is True (TODO 4)."
    )


# The whole journey: the signup page, and a real mail server.


def test_signing_up_on_the_page_sends_the_welcome_email(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), SIGNUP)

    assert response.status_code == 302, f"The signup form was refused: {response.content!r}"
    assert addresses(mailoutbox) == [["erin@example.com"]], (
        "Signing up on /signup/ should send one welcome email to erin@example.com; the "
        f"messages sent went to {addresses(mailoutbox)}. See TODO 2 and 3."
    )


def test_the_welcome_email_reaches_a_real_smtp_server(
    deliver_by_smtp, django_user_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        create_user(django_user_model, "carol", "carol@example.com")

    received = deliver_by_smtp.messages  # Delivery is synchronous: it is there, or not at all.
    assert len(received) == 1, (
        f"The SMTP server on loopback should have received one message; it received "
        f"{len(received)}. See TODO 2 and 3."
    )
    [message] = received
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert (message["Subject"], parseaddr(message["To"])[1]) == (
        "Welcome to the Event shop, carol!",
        "carol@example.com",
    ), f"Unexpected headers: Subject {message['Subject']!r}, To {message['To']!r}. TODO 1."
    assert plain is not None and plain.get_content().startswith("Hi carol,"), (
        f"The message should have a text/plain part starting 'Hi carol,'; got {plain!r}. TODO 1."
    )
    assert html is not None and "<p>Hi carol,</p>" in html.get_content(), (
        f"The message should have a text/html part greeting carol; got {html!r}. TODO 1."
    )


def sign_up_while_the_mail_server_fails(client, django_capture_on_commit_callbacks):
    try:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("signup"), SIGNUP)
    except (smtplib.SMTPException, OSError) as error:
        pytest.fail(
            f"The mail server failed ({type(error).__name__}: {error}) and the signup failed "
            "with it. Pass robust=True to transaction.on_commit(): Django then logs whatever "
            "the callback raised instead of raising it (TODO 2). (Catching only "
            "SMTPException is not enough: a server that is down raises OSError.)"
        )
    except AttributeError as error:
        if "__qualname__" not in str(error):
            raise
        pytest.fail(
            "Django could not log the failed callback: it names it by __qualname__, which a "
            "functools.partial lacks. Register a lambda instead (TODO 2)."
        )


def test_a_mail_server_that_refuses_does_not_break_the_signup(
    client, refusing_smtp_server, django_capture_on_commit_callbacks, django_user_model
):
    response = sign_up_while_the_mail_server_fails(client, django_capture_on_commit_callbacks)

    assert refusing_smtp_server.attempts <= 1, (
        f"The signup tried {refusing_smtp_server.attempts} times to deliver the welcome email "
        "to a server that refuses it for good, and made the person signing up wait. Send it "
        "once in the request; lesson 04 retries in a worker."
    )
    assert refusing_smtp_server.attempts == 1, (
        "The signup should have tried to deliver one welcome email to the SMTP server; it "
        f"tried {refusing_smtp_server.attempts} times. See TODO 2 and 3."
    )
    assert response.status_code == 302, (
        f"The signup should still succeed and redirect (302); it answered {response.status_code}."
    )
    assert django_user_model.objects.filter(username="erin").exists(), "No user was created."


def described(record):
    return f"{record.getMessage()!r} on logger {record.name!r} at {record.levelname}"


def full_text(record):
    """A record's message and, if it carries one, its exception with the traceback."""
    text = record.getMessage()
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


def test_a_refused_welcome_email_is_logged_at_error_with_the_reason(
    client, refusing_smtp_server, django_capture_on_commit_callbacks, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    sign_up_while_the_mail_server_fails(client, django_capture_on_commit_callbacks)

    assert refusing_smtp_server.attempts, "No welcome email reached the server. See TODO 2 and 3."
    reason = "Relaying denied"  # What the server answered: "550 5.7.1 Relaying denied ...".
    # The server itself (aiosmtpd, logger "mail.log") logs its answer too: that does not count.
    reported = [r for r in caplog.records if reason in full_text(r) and r.name != "mail.log"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name != "mail.log"]
    if reported:
        advice = f"It was logged only as {[described(r) for r in reported]}: log it at ERROR."
    elif errors:
        advice = (
            f"An error was logged, {[described(r) for r in errors]}, but without the reason: "
            "log the exception with it (logger.exception(), or exc_info=True)."
        )
    elif reason in "".join(capsys.readouterr()):
        advice = (
            "It was printed, and print() is not logging: nobody watching the logs sees it. "
            "Let send() raise and robust=True log it, or use logger.exception() (TODO 2)."
        )
    else:
        advice = (
            "Nothing mentions it: the failure was silenced (fail_silently=True, or an "
            "`except` that passes). Let send() raise: with on_commit(..., robust=True), Django "
            "logs the exception at ERROR and the signup stands (TODO 2)."
        )
    assert any(record.levelno >= logging.ERROR for record in reported), (
        "The mail server refused the welcome email with '550 5.7.1 Relaying denied ...', and "
        f"that should be logged at ERROR with the server's reason. {advice}"
    )


def test_a_mail_server_that_is_down_does_not_break_the_signup(
    client, mail_server_down, django_capture_on_commit_callbacks, django_user_model, caplog
):
    # Not a refusal this time: nothing answers, and smtplib raises OSError, not SMTPException.
    # open() connects: send_messages() calls it, and so does `with get_connection():`.
    real_open = smtp.EmailBackend.open
    with patch.object(smtp.EmailBackend, "open", autospec=True, side_effect=real_open) as opened:
        response = sign_up_while_the_mail_server_fails(client, django_capture_on_commit_callbacks)

    assert opened.called, (
        "The signup never tried to reach the mail server: no welcome email was sent at all. "
        "See TODO 2 and 3."
    )
    assert response.status_code == 302, (
        f"With the mail server down, the signup should still succeed and redirect (302); it "
        f"answered {response.status_code}."
    )
    assert django_user_model.objects.filter(username="erin").exists(), "No user was created."
    assert any(r.levelno >= logging.ERROR for r in caplog.records), (
        "The mail server was down (connection refused) and nothing logged the failure at "
        f"ERROR; the log holds {[described(r) for r in caplog.records]}. "
        "Let send() raise: with on_commit(..., robust=True), Django logs it (TODO 2)."
    )
