"""The shop's pages answer bad input (a hand-made form, a stale page, a mistyped id) with a
4xx and a message, never with a 500."""

import pytest
from django.urls import reverse

from shop.models import Order

pytestmark = pytest.mark.reference


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"product": "abc"}, "no such product"),
        ({"product": "999999"}, "no such product"),
        ({"product": ""}, "required"),
        ({}, "required"),
    ],
    ids=["not a number", "no such id", "empty", "missing"],
)
def test_an_order_for_a_product_that_does_not_exist_is_refused_with_400(
    signed_in, mug, posted, message
):
    response = signed_in.post(reverse("place_order"), posted)

    assert response.status_code == 400, (
        f"POST /orders/ with {posted} should answer 400, got {response.status_code}"
    )
    assert message in response.content.decode().lower(), (
        f"the page should say {message!r}: {response.content.decode()}"
    )
    assert not Order.objects.exists(), "a refused order must not be saved"


def test_an_order_for_a_product_is_placed(signed_in, mug):
    response = signed_in.post(reverse("place_order"), {"product": mug.pk})

    assert response.status_code == 201
    assert Order.objects.get().lines.get().product == mug


def test_an_order_page_is_only_posted_to(signed_in):
    assert signed_in.get(reverse("place_order")).status_code == 405


def test_a_signup_form_with_mistakes_is_answered_400_with_them(client, db):
    response = client.post(
        reverse("signup"),
        {"username": "erin", "email": "not an email", "password1": "x", "password2": "y"},
    )

    assert response.status_code == 400
    assert "valid email" in response.content.decode()
