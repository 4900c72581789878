"""The demo's control endpoints answer on loopback, or to a signed-in user; nobody else."""

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.reference, pytest.mark.urls("workshop.demo.urls")]

ELSEWHERE = "203.0.113.7"  # An address from the documentation range: not this machine.


@pytest.fixture
def controls(db, mug):
    return [
        ("get", reverse("demo_state"), {}),
        ("post", reverse("demo_change_price"), {"product": mug.pk, "price": "1.00"}),
        ("post", reverse("demo_broker"), {"down": "0"}),
    ]


def test_the_demo_controls_refuse_a_stranger_from_another_machine(client, controls):
    answers = {
        url: getattr(client, method)(url, data, REMOTE_ADDR=ELSEWHERE).status_code
        for method, url, data in controls
    }
    assert set(answers.values()) == {403}, (
        f"From {ELSEWHERE}, not signed in, every demo control should answer 403; "
        f"they answered {answers}."
    )


def test_the_demo_controls_answer_on_loopback(client, controls):
    answers = {
        url: getattr(client, method)(url, data, REMOTE_ADDR="127.0.0.1").status_code
        for method, url, data in controls
    }
    assert all(status < 300 for status in answers.values()), (
        f"On loopback, the demo controls should answer; they answered {answers}."
    )


def test_the_demo_controls_answer_a_signed_in_user_from_another_machine(client, customer, controls):
    client.force_login(customer)
    answers = {
        url: getattr(client, method)(url, data, REMOTE_ADDR=ELSEWHERE).status_code
        for method, url, data in controls
    }
    assert all(status < 300 for status in answers.values()), (
        f"To a signed-in user, the demo controls should answer; they answered {answers}."
    )
