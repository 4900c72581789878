"""Fixtures every lesson can use: a customer and some products.

The course kit's pytest plugin (workshop/pytest_plugin.py) loads first and adds --solutions.
"""

from decimal import Decimal

import pytest


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        username="alice", email="alice@example.com", password="wonderland-42"
    )


@pytest.fixture
def other_customer(django_user_model):
    return django_user_model.objects.create_user(
        username="bob", email="bob@example.com", password="builder-42"
    )


@pytest.fixture
def mug(db):
    from shop.models import Product

    return Product.objects.create(name="Mug", price=Decimal("9.50"))


@pytest.fixture
def tea(db):
    from shop.models import Product

    return Product.objects.create(name="Tea", price=Decimal("4.00"))


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (workshop/smtp.py); it keeps what it receives."""
    from workshop.smtp import SMTPServer

    with SMTPServer() as server:
        yield server


@pytest.fixture
def deliver_by_smtp(settings, smtp_server):
    """Make Django send mail through its SMTP backend to `smtp_server`."""
    for name, value in smtp_server.django_settings().items():
        setattr(settings, name, value)
    return smtp_server
