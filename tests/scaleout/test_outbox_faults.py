"""Lesson 06 on real servers: the outbox loses nothing when the broker fails or a relay dies.

The relays reach the broker through a fault-injecting proxy (faultproxy.py) that cuts the
connection or stalls it; the workers reach it directly. The database is PostgreSQL, where
several relays take rows with SELECT ... FOR UPDATE SKIP LOCKED. Every message must be
delivered, and every email sent once.
"""

import os
import signal
import time

import pytest

from tests.conftest import maintainers_package
from tests.scaleout.conftest import Shop, server_url, shop_environment, with_redis_db
from tests.scaleout.faultproxy import FaultProxy

psycopg = maintainers_package("psycopg")

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(180)]

OUTBOX_REDIS_DB = 12  # this file's broker database on the tier's Redis, emptied first
TIMEOUT = 40  # seconds for the outbox to drain, or the emails to arrive


def poll(condition, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout} s")


class OutboxShop:
    """The shop twice over, on one database: relays behind the proxy, workers straight on."""

    def __init__(self, database_url, broker_url, smtp, log_dir):
        self.database_url = database_url
        self.broker_url = broker_url
        self.smtp = smtp
        self.proxy = FaultProxy(*self._host_port(broker_url)).__enter__()
        direct = shop_environment(database_url, broker_url, None, smtp)
        behind_proxy = shop_environment(database_url, self.proxy.url_for(broker_url), None, smtp)
        self.workers = Shop(direct, log_dir)
        self.relays = Shop(behind_proxy, log_dir)

    @staticmethod
    def _host_port(url):
        import urllib.parse

        parts = urllib.parse.urlsplit(url)
        return parts.hostname, parts.port or (6379 if parts.scheme == "redis" else 5672)

    def place_orders(self, count):
        """`count` orders by ada, each in its own transaction, as the order page places them."""
        output = self.workers.run(
            "from decimal import Decimal\n"
            "from django.contrib.auth.models import User\n"
            "from django.db import transaction\n"
            "from shop.models import Order, OrderLine, Product\n"
            "ada = User.objects.create_user('ada', 'ada@example.com', 'analytical-engine-1843')\n"
            "mug = Product.objects.create(name='Mug', price=Decimal('9.50'))\n"
            f"for _ in range({count}):\n"
            "    with transaction.atomic():\n"
            "        order = Order.objects.create(owner=ada)\n"
            "        OrderLine.objects.create(order=order, product=mug, unit_price=mug.price)\n"
            "print(' '.join(str(order.pk) for order in Order.objects.all()))"
        )
        return sorted(int(pk) for pk in output.split())

    def outbox(self):
        """(messages, sent, handled, the fewest attempts of a pending message)."""
        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            return connection.execute(
                "SELECT count(*), count(sent_at), count(handled_at),"
                " min(attempts) FILTER (WHERE sent_at IS NULL) FROM shop_outboxmessage"
            ).fetchone()

    def queued(self):
        """How many task messages wait in the broker's queue."""
        from kombu import Connection

        with Connection(self.broker_url, connect_timeout=5) as connection:
            if self.broker_url.startswith("redis"):
                return connection.default_channel.client.llen("celery")
            return connection.default_channel.queue_declare("celery", passive=True).message_count

    def start_relay(self, name, *options):
        return self.relays.start(name, "django", "relay_outbox", "--idle-wait", "0.2", *options)

    def reports_by_order(self):
        reports = {}
        for mail in self.smtp.messages:
            if mail["Subject"].startswith("Your order #"):
                number = int(mail["Subject"].removeprefix("Your order #"))
                reports[number] = reports.get(number, 0) + 1
        return reports

    def stop(self):
        self.relays.stop_all()
        self.workers.stop_all()
        self.proxy.__exit__(None, None, None)


@pytest.fixture
def outbox_shop(request, postgres_url, smtp_sink, tmp_path):
    """outbox_shop("redis" | "amqp") -> a migrated OutboxShop on an emptied broker."""
    shops = []

    def make(broker):
        if broker == "redis":
            import redis

            broker_url = with_redis_db(server_url("redis"), OUTBOX_REDIS_DB)
            with redis.Redis.from_url(broker_url, socket_timeout=5) as client:
                client.flushdb()
        else:
            broker_url = server_url("amqp")
        shop = OutboxShop(postgres_url, broker_url, smtp_sink, tmp_path)
        shops.append(shop)
        if broker == "amqp":
            shop.workers.run("from shop.celery import app\napp.control.purge()")
        shop.workers.migrate()
        return shop

    yield make
    for shop in shops:
        shop.stop()


def assert_each_order_reported_once(shop, orders):
    poll(lambda: len(shop.reports_by_order()) >= len(orders), "not every report arrived")
    time.sleep(1)  # Time for a duplicate, if any, to arrive too.
    reports = shop.reports_by_order()
    assert reports == {order: 1 for order in orders}, (
        f"Each of the {len(orders)} orders should be reported exactly once; reports per order: "
        f"{ {order: count for order, count in reports.items() if count != 1} or reports }"
    )


@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_a_broker_cut_then_stalled_loses_no_report_and_duplicates_none(outbox_shop, broker):
    shop = outbox_shop(broker)
    shop.proxy.cut()
    orders = shop.place_orders(20)
    shop.start_relay("relay")

    # Cut: connecting is refused. Every message stays pending, and is retried.
    poll(lambda: (shop.outbox()[3] or 0) >= 1, "the relay did not try the cut broker")
    # Stalled: the connection is accepted and nothing comes back; the relay's timeout ends it.
    shop.proxy.stall()
    poll(lambda: (shop.outbox()[3] or 0) >= 2, "the relay did not try the stalled broker")
    assert shop.outbox()[1] == 0, "A message was marked sent while the broker was down"

    shop.proxy.heal()
    poll(lambda: shop.outbox()[1] == shop.outbox()[0], "the outbox did not drain once healed")
    shop.workers.start_worker("worker")
    assert_each_order_reported_once(shop, orders)
    assert "not published" in shop.relays.log("relay")


def test_two_relays_on_postgresql_publish_each_message_once(outbox_shop):
    shop = outbox_shop("redis")
    shop.place_orders(300)  # 301 messages: ada's welcome, and a report per order.
    for name in ("relay-1", "relay-2"):
        shop.start_relay(name, "--batch-size", "5")

    messages = shop.outbox()[0]
    poll(lambda: shop.outbox()[1] == messages, "the two relays did not publish everything")
    queued = shop.queued()
    assert queued == messages, (
        f"Two relays taking rows with SKIP LOCKED should publish each of the {messages} "
        f"messages once; the broker holds {queued}."
    )
    published = [
        sum(int(line.split()[1]) for line in shop.relays.log(name).splitlines()
            if line.startswith("Published "))
        for name in ("relay-1", "relay-2")
    ]  # fmt: skip
    assert sum(published) == messages, f"Published by each relay: {published}"


def test_a_relay_killed_mid_batch_loses_nothing_and_sends_each_email_once(outbox_shop):
    shop = outbox_shop("redis")
    orders = shop.place_orders(40)
    # A few publishes go through, then the broker stalls: the relay waits for an answer with
    # its batch published in part and nothing marked (one transaction). Then it is killed.
    shop.proxy.stall_after(6000)
    relay = shop.start_relay("relay", "--batch-size", "100")
    poll(lambda: shop.proxy.stalled, "the relay did not start publishing", timeout=20)
    os.killpg(relay.pid, signal.SIGKILL)
    relay.wait(10)

    published_before_the_kill = shop.queued()
    assert published_before_the_kill > 0 and shop.outbox()[1] == 0, (
        "Killed mid-batch, the relay should have published some messages and marked none "
        f"(its transaction is rolled back); the broker holds {published_before_the_kill}, "
        f"and {shop.outbox()[1]} are marked sent."
    )

    shop.proxy.heal()
    shop.start_relay("relay-2")
    poll(lambda: shop.outbox()[1] == shop.outbox()[0], "the second relay did not drain it")
    shop.workers.start_worker("worker")
    assert_each_order_reported_once(shop, orders)
    poll(lambda: shop.outbox()[2] == shop.outbox()[0], "not every message was handled")


def test_on_postgresql_a_new_message_wakes_the_relay_at_once(outbox_shop):
    shop = outbox_shop("redis")
    shop.start_relay("relay", "--idle-wait", "60")  # Polling alone would wait a minute.
    time.sleep(2)  # The relay has found nothing, and waits in LISTEN.
    started = time.monotonic()
    shop.place_orders(1)
    poll(lambda: shop.outbox()[1] == shop.outbox()[0] == 2, "the relay did not wake up", 10)
    took = time.monotonic() - started
    assert took < 10, f"NOTIFY should wake the relay within moments; it took {took:.1f} s"


def test_a_relay_whose_database_connection_drops_reconnects(outbox_shop):
    shop = outbox_shop("redis")
    relay = shop.start_relay("relay", "--idle-wait", "1")
    time.sleep(2)  # The relay has found nothing, and waits in LISTEN.
    with psycopg.connect(shop.database_url, autocommit=True, connect_timeout=5) as admin:
        dropped = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        ).fetchall()
    assert dropped, "The relay's listening connection was not found in pg_stat_activity"
    shop.place_orders(2)  # Two orders, and the customer's welcome email: three messages.
    poll(lambda: shop.outbox()[1] == shop.outbox()[0] == 3, "the relay published nothing", 15)
    assert relay.poll() is None, (
        f"The relay exited when PostgreSQL dropped its connection:\n{shop.relays.log('relay')}"
    )
