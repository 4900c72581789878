"""The welcome email: how it is built and sent. Its words live in templates/welcome_email/."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def welcome_message(user):
    """The welcome email for `user`: plain text with an HTML alternative, ready to send()."""
    raise NotImplementedError(
        "TODO 1: render welcome_email/subject.txt, body.txt and body.html with {'user': user} "
        "and return an EmailMultiAlternatives to user.email, with the HTML as an alternative"
    )


def send_welcome_email(user):
    welcome_message(user).send()
