"""The order report: what the email says. Its words live in templates/celery_offload/."""

from django.core.mail import EmailMessage
from django.template.loader import render_to_string


def order_report_email(order):
    """The report email of `order`, to its owner: each line, and the total. Ready to send()."""
    body = render_to_string(
        "celery_offload/order_report.txt",
        {"order": order, "lines": order.lines.select_related("product"), "total": order.total},
    )
    return EmailMessage(subject=f"Your order #{order.pk}", body=body, to=[order.owner.email])
