"""Events reach a WebSocket client through the Redis channel layer, whichever process saved
them: two Daphne servers, two Celery workers, and one-off scripts, all separate processes."""

import json
from contextlib import contextmanager

import pytest

from tests.conftest import maintainers_package

connect = maintainers_package("websockets.sync.client").connect
# Processes start in seconds, not milliseconds: a longer limit than the lessons' 10 s.
pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(120)]

RECEIVE_TIMEOUT = 10  # seconds


@contextmanager
def notifications(port, session):
    """A real WebSocket client on /ws/notifications/ of the server on `port`, signed in."""
    with connect(
        f"ws://127.0.0.1:{port}/ws/notifications/",
        origin=f"http://127.0.0.1:{port}",  # OriginValidator checks it (WEBSOCKET_ALLOWED_ORIGINS).
        additional_headers={"Cookie": f"sessionid={session}"},
        open_timeout=10,
        close_timeout=2,
    ) as websocket:
        # A pong proves the consumer is connected, and so subscribed to its groups.
        websocket.send(json.dumps({"type": "ping"}))
        assert json.loads(websocket.recv(timeout=RECEIVE_TIMEOUT)) == {"type": "pong"}
        yield websocket


def next_event(websocket):
    return json.loads(websocket.recv(timeout=RECEIVE_TIMEOUT))


def test_a_price_saved_in_one_process_reaches_a_client_of_another_server(make_shop):
    shop = make_shop(broker="redis")
    shop.start_daphne("daphne-a")
    server_b = shop.start_daphne("daphne-b")
    shop.start_worker("worker-1")
    shop.start_worker("worker-2")
    customer = shop.signed_in_customer()

    with notifications(server_b, customer["session"]) as websocket:
        # An admin's script, say: a process that is neither server nor worker.
        shop.run(
            "from decimal import Decimal\n"
            "from shop.models import Product\n"
            f"mug = Product.objects.get(pk={customer['product']})\n"
            "mug.price = Decimal('12.00')\n"
            "mug.save()"
        )
        event = next_event(websocket)

    assert event == {
        "type": "price.changed",
        "product_id": customer["product"],
        "product": "Mug",
        "old_price": "9.50",
        "new_price": "12.00",
    }


def test_an_order_placed_on_one_server_is_reported_by_a_worker_to_a_client_of_another(
    make_shop,
):
    shop = make_shop(broker="redis")
    server_a = shop.start_daphne("daphne-a")
    server_b = shop.start_daphne("daphne-b")
    shop.start_worker("worker-1")
    shop.start_worker("worker-2")
    customer = shop.signed_in_customer()

    with notifications(server_b, customer["session"]) as websocket:
        status = shop.place_order(server_a, customer["session"], customer["product"])
        event = next_event(websocket)

    assert status == 201, f"POST /orders/ on server A answered {status}"
    assert event["type"] == "report.sent", event
    # The customer's mail: the welcome (lesson 02), then the report.
    reports = [mail for mail in shop.smtp.wait_for(2) if f"#{event['order_id']}" in mail["Subject"]]
    assert [report["To"] for report in reports] == ["ada@example.com"]
