"""The shop's data: what the lessons' events are about."""

from decimal import Decimal

from django.conf import settings
from django.db import models


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
