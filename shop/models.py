"""The shop's data: what the lessons' events are about."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone


class Product(models.Model):
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Order(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="orders"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once, when the order's report email has gone out, so a repeated task sends nothing.
    report_sent_at = models.DateTimeField(null=True, blank=True)
    # A lease on sending the report: set when a run of the report task takes it, cleared once
    # the report is out or its send failed. A claim older than the lease belongs to a run that
    # died, and another run may take it over. No lock is held while the mail server talks.
    report_claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Order #{self.pk}"

    @property
    def total(self):
        return sum((line.subtotal for line in self.lines.all()), Decimal("0.00"))


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    # The price when ordered: a later price change must not rewrite old orders.
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    def __str__(self):
        return f"{self.quantity} x {self.product}"

    @property
    def subtotal(self):
        return self.unit_price * self.quantity


class PriceChange(models.Model):
    """One change of a product's price, written by lesson 03's receiver."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_changes")
    old_price = models.DecimalField(max_digits=10, decimal_places=2)
    new_price = models.DecimalField(max_digits=10, decimal_places=2)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        get_latest_by = "changed_at"

    def __str__(self):
        return f"{self.product}: {self.old_price} → {self.new_price}"


class OutboxMessage(models.Model):
    """A task to hand to Celery, written in the same transaction as the change it is about.

    Lesson 06's receivers write one for each new order (its report) and each new user (the
    welcome email); its relay publishes the pending ones and sets `sent_at`; the worker's task
    sets `handled_at` once the work is done, so that a message delivered twice is done once.
    """

    kind = models.CharField(max_length=50)  # what to do: "order_report", "welcome_email"
    payload = models.JSONField(default=dict)  # the ids it is about: {"order_id": 7}
    created_at = models.DateTimeField(auto_now_add=True)
    # The relay's side: when the broker took the message; failed publishes and the next try.
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    # The worker's side: when the work was done (the email sent); and a lease on doing it, set
    # when a run claims the message, cleared once the work is done or has failed. A claim older
    # than the lease belongs to a run that died, and another run may take it over. No lock is
    # held while the mail server talks.
    handled_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            # The relay's one query: the pending messages that are due, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(sent_at=None),
                name="outbox_pending",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.payload} ({'sent' if self.sent_at else 'pending'})"
