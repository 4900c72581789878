"""Receivers: functions that react to signals. apps.py connects them."""

from django.db import transaction

from . import emails


def welcome_new_user(sender, instance, created, raw, **kwargs):
    """post_save of the user model: welcome a new user by email, once the signup is committed."""
    # Later saves (a login updates last_login) are not signups; a fixture is data, not a
    # person signing up; and without an address there is no one to write to.
    if not created or raw or not emails.email_address(instance):
        return
    # Until the commit, the signup may still roll back: then there is no user to welcome.
    # robust=True: a failing mail server is logged, and the signup that already happened stands.
    # (A lambda, not functools.partial: Django 5.2 logs the callback's __qualname__, which a
    # partial lacks.)
    transaction.on_commit(lambda: emails.send_welcome_email(instance), robust=True)
