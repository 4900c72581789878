"""Receivers: functions that react to signals. apps.py connects them."""

from django.db import transaction

from . import emails


def welcome_new_user(sender, instance, created, raw, **kwargs):
    """post_save of the user model: welcome a new user by email, once the signup is committed."""
    # TODO 4: return early, sending nothing, when the user already existed (not `created`),
    # when `raw` is True (loaddata is writing a fixture as it is), or when the user has no
    # email address (emails.email_address(instance) is empty).

    # TODO 2: the user row is not committed yet, and the signup may still roll back. Ask
    # transaction.on_commit() to call emails.send_welcome_email(instance) after the commit
    # (it takes a function of no arguments: a lambda), with robust=True so that a mail
    # server that fails is logged and does not break the signup.
