"""The welcome email: how it is built and sent. Its words live in templates/welcome_email/."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def welcome_message(user):
    """The welcome email for `user`: plain text with an HTML alternative, ready to send()."""
    raise NotImplementedError(
        "TODO 1: render welcome_email/subject.txt, body.txt and body.html with {'user': user} "
        "and return an EmailMultiAlternatives to [email_address(user)], with the HTML as an "
        "alternative"
    )


def send_welcome_email(user):
    """Send it now. A mail server that fails raises: the caller decides what that means."""
    welcome_message(user).send()


def email_address(user):
    """The user's email address, from whichever field the project's user model keeps it in."""
    return getattr(user, user.get_email_field_name())
