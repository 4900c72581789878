"""The welcome email: how it is built and sent. Its words live in templates/welcome_email/."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def welcome_message(user):
    """The welcome email for `user`: plain text with an HTML alternative, ready to send()."""
    context = {"user": user}
    # A subject is a header, and a header is one line: drop the template's final newline.
    subject = "".join(render_to_string("welcome_email/subject.txt", context).splitlines())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("welcome_email/body.txt", context),
        to=[email_address(user)],
    )
    message.attach_alternative(render_to_string("welcome_email/body.html", context), "text/html")
    return message


def send_welcome_email(user):
    """Send it now. A mail server that fails raises: the caller decides what that means."""
    welcome_message(user).send()


def email_address(user):
    """The user's email address, from whichever field the project's user model keeps it in."""
    return getattr(user, user.get_email_field_name())
