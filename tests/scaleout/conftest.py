"""The scale-out tier: the same shop as separate processes on PostgreSQL, Redis and RabbitMQ.

Each server is named by an environment variable (.ci/services.sh sets all three):

    WORKSHOP_SCALEOUT_DATABASE_URL  postgres://postgres@127.0.0.1:5432/postgres
    WORKSHOP_SCALEOUT_REDIS_URL     redis://127.0.0.1:6379
    WORKSHOP_SCALEOUT_AMQP_URL      amqp://guest:guest@127.0.0.1:5672//

A test skips, with one line saying why, when a server it needs is not named or not answering.
The tier makes a PostgreSQL database of its own and drops it after, and uses Redis databases
10 (broker) and 11 (channel layer), which it empties first. Every process it starts is stopped
in teardown, and every wait is bounded.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from contextlib import closing

import pytest

from tests.conftest import maintainers_package
from workshop import course
from workshop.testing import wait_until

SERVERS = {  # name: (environment variable, display name, default port)
    "postgres": ("WORKSHOP_SCALEOUT_DATABASE_URL", "PostgreSQL", 5432),
    "redis": ("WORKSHOP_SCALEOUT_REDIS_URL", "Redis", 6379),
    "amqp": ("WORKSHOP_SCALEOUT_AMQP_URL", "RabbitMQ", 5672),
}
BROKER_DB, CHANNEL_LAYER_DB = 10, 11
START_TIMEOUT = 30  # seconds for a process to start serving
STOP_TIMEOUT = 10  # seconds for a process to stop before it is killed


def server_url(name):
    """The URL of a server named by its environment variable; skip if unset or not answering."""
    variable, server, default_port = SERVERS[name]
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"{server} not configured: set {variable} (see docs/scaling-out.md)")
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        pytest.skip(f"{server} at {host}:{port} is not answering ({variable})")
    return url


def with_redis_db(url, number):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{number}"))


def free_port():
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def postgres_url():
    """A PostgreSQL database of the test's own (make_shop migrates it); dropped after the test."""
    admin_url = server_url("postgres")
    psycopg = maintainers_package("psycopg")
    name = f"workshop_scaleout_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(admin_url)._replace(path=f"/{name}"))
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    """The Redis server, its two databases emptied for this test."""
    url = server_url("redis")
    redis = maintainers_package("redis")
    for number in (BROKER_DB, CHANNEL_LAYER_DB):
        with redis.Redis.from_url(with_redis_db(url, number), socket_timeout=5) as client:
            client.flushdb()
    return url


@pytest.fixture
def smtp_sink():
    """A mail server on loopback for every process of the shop."""
    from workshop.smtp import SMTPServer

    with SMTPServer() as server:
        yield server


class Shop:
    """The shop's processes for one test: servers, workers and one-off scripts, on one setup."""

    def __init__(self, environment, log_dir):
        self.environment = environment
        self.log_dir = log_dir
        self.processes = {}

    def run(self, code):
        """Run Python `code` in a new process with Django set up; return what it printed."""
        script = f"import django\ndjango.setup()\n{code}"
        finished = subprocess.run(
            [sys.executable, "-c", script],
            cwd=course.ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if finished.returncode:
            raise RuntimeError(f"The script failed:\n{code}\n{finished.stderr}")
        return finished.stdout

    def migrate(self):
        self.run("from django.core.management import call_command\ncall_command('migrate')")

    def start(self, name, *arguments):
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 (closed in stop_all)
        process = subprocess.Popen(
            [sys.executable, "-m", *arguments],
            cwd=course.ROOT,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Its own process group: stop_all() reaches its children.
        )
        self.processes[name] = (process, log)
        return process

    def log(self, name):
        return (self.log_dir / f"{name}.log").read_text()

    def start_daphne(self, name, *options):
        """A Daphne process serving the shop; returns its port once it accepts connections."""
        port = free_port()
        process = self.start(
            name, "daphne", "-b", "127.0.0.1", "-p", str(port), *options, "shop.asgi:application"
        )

        def accepting():
            self._check_alive(name, process)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False

        wait_until(accepting, START_TIMEOUT, f"{name} did not accept connections")
        return port

    def start_worker(self, name):
        """A `celery -A shop worker` process with one pool process; returns its node name."""
        hostname = f"{name}@scaleout"
        process = self.start(
            name,
            "celery", "-A", "shop", "worker", "--hostname", hostname, "--pool", "prefork",
            "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        )  # fmt: skip

        def ready():
            self._check_alive(name, process)
            return "ready." in self.log(name)

        wait_until(ready, START_TIMEOUT, f"{name} did not become ready")
        return hostname

    def signed_in_customer(self):
        """Create a customer and a product; return the customer's session key and product id."""
        output = self.run(
            "import json\n"
            "from decimal import Decimal\n"
            "from django.contrib.auth.models import User\n"
            "from django.test import Client\n"
            "from shop.models import Product\n"
            "user = User.objects.create_user('ada', 'ada@example.com', 'analytical-engine-1843')\n"
            "client = Client()\n"
            "client.force_login(user)\n"
            "mug = Product.objects.create(name='Mug', price=Decimal('9.50'))\n"
            "print(json.dumps({'session': client.cookies['sessionid'].value, 'product': mug.pk}))"
        )
        return json.loads(output.splitlines()[-1])

    def place_order(self, port, session, product):
        """POST /orders/ to the server on `port`, as a signed-in browser; return the status."""
        csrf = secrets.token_hex(16)  # Any 32 characters: Django compares cookie and field.
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/orders/",
            data=urllib.parse.urlencode({"product": product, "csrfmiddlewaretoken": csrf}).encode(),
            headers={"Cookie": f"sessionid={session}; csrftoken={csrf}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    def _check_alive(self, name, process):
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log(name)}")

    def stop_all(self):
        for process, _log in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, (process, log) in self.processes.items():
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(STOP_TIMEOUT)
            log.close()
            if process.returncode not in (0, -signal.SIGTERM):
                print(f"--- {name} exited with {process.returncode}:\n{self.log(name)}")


def shop_environment(database_url, broker_url, channel_layer_url, smtp):
    """The environment variables that point every process of the shop at the same servers."""
    environment = {
        **os.environ,  # PATH, ...
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        course.TARGET_ENV: course.selected_target(),  # Every lesson, as this run checks them
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "PYTHONUNBUFFERED": "1",
    }
    environment.pop("REDIS_URL", None)  # Without it, each process has its in-memory layer.
    if channel_layer_url:
        environment["REDIS_URL"] = channel_layer_url
    return environment


@pytest.fixture
def make_shop(request, tmp_path, smtp_sink):
    """make_shop(broker="redis" | "amqp", channel_layer=True) -> a migrated Shop.

    Its database is PostgreSQL, its channel layer Redis (or each process's own in-memory layer
    with channel_layer=False). The processes it starts are stopped after the test.
    """
    shops = []

    def make(broker, channel_layer=True):
        database_url = request.getfixturevalue("postgres_url")
        if broker == "redis" or channel_layer:
            redis = request.getfixturevalue("redis_url")
        broker_url = with_redis_db(redis, BROKER_DB) if broker == "redis" else server_url("amqp")
        layer_url = with_redis_db(redis, CHANNEL_LAYER_DB) if channel_layer else None
        shop = Shop(shop_environment(database_url, broker_url, layer_url, smtp_sink), tmp_path)
        shop.smtp = smtp_sink
        shops.append(shop)
        if broker == "amqp":
            shop.run("from shop.celery import app\napp.control.purge()")  # Leftover tasks.
        shop.migrate()
        # Lesson 06: orders and signups go through the outbox, which a relay publishes.
        shop.start("relay", "django", "relay_outbox", "--idle-wait", "0.2")
        return shop

    yield make
    for shop in shops:
        shop.stop_all()
