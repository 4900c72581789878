"""The shop as deployed: Daphne, in production mode (DJANGO_DEBUG=0), after `collectstatic`,
serves the static files itself and lets a WebSocket in only from an allowed origin.

One Daphne process for the module, on a free loopback port, behind no proxy: the requests
carry the header a TLS-terminating proxy would add (X-Forwarded-Proto: https).
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import closing

import pytest

from tests.conftest import maintainers_package
from workshop import course

pytestmark = [pytest.mark.reference, pytest.mark.timeout(90)]

START_TIMEOUT = 30  # seconds for Daphne to accept connections
FROM_THE_PROXY = {"X-Forwarded-Proto": "https"}


def free_port():
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """(port, log path) of Daphne serving the shop in production mode, static files collected."""
    home = tmp_path_factory.mktemp("production")
    port = free_port()
    environment = {
        **os.environ,  # The settings module, and the lessons to load, as for these tests.
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # The page's own origin: plain HTTP on this port, as nothing terminates TLS here.
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "DJANGO_STATIC_ROOT": str(home / "static"),
        "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
        course.TARGET_ENV: "solutions",
        course.LESSONS_ENV: course.find("channels_push").slug,
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=course.ROOT,
        env=environment,
        check=True,
        timeout=60,
    )
    log = home / "daphne.log"
    with open(log, "w") as output:
        daphne = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-p", str(port), "shop.asgi:application"],
            cwd=course.ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if daphne.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Daphne did not start in production mode:\n{log.read_text()}")
                time.sleep(0.05)
        yield port, log
    finally:
        daphne.terminate()
        daphne.wait(10)


def get(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_daphne_serves_the_live_pages_script(production_server):
    port, log = production_server

    status, body = get(f"http://127.0.0.1:{port}/static/shop/live.js", FROM_THE_PROXY)

    assert status == 200, (
        f"GET /static/shop/live.js from Daphne in production mode answered {status}: static "
        f"files need WhiteNoise's middleware and collectstatic. Daphne's log:\n{log.read_text()}"
    )
    assert b"WebSocket" in body


def test_a_plain_http_request_is_sent_to_https(production_server):
    port, _log = production_server

    request = urllib.request.Request(f"http://127.0.0.1:{port}/")
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=10)

    assert redirect.value.code == 301
    assert redirect.value.headers["Location"].startswith("https://127.0.0.1")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def handshake(port, origin):
    """Open /ws/notifications/ with this Origin; return the close code the server sends."""
    connect = maintainers_package("websockets.sync.client").connect
    with connect(
        f"ws://127.0.0.1:{port}/ws/notifications/", origin=origin, open_timeout=10
    ) as websocket:
        websocket.recv(timeout=10)  # Anonymous: the consumer accepts, then closes.
    return websocket.close_code


def test_a_websocket_from_the_sites_own_origin_gets_through(production_server):
    port, _log = production_server

    InvalidStatus = maintainers_package("websockets.exceptions").InvalidStatus
    try:
        close_code = handshake(port, origin=f"http://127.0.0.1:{port}")
    except InvalidStatus as refused:
        pytest.fail(f"the site's own origin was refused: {refused}")
    except Exception as closed:  # The close frame ends recv() with ConnectionClosed.
        close_code = getattr(closed, "rcvd", None) and closed.rcvd.code

    assert close_code == 4401, "an anonymous socket from the site's own page reaches the consumer"


@pytest.mark.parametrize(
    "origin",
    ["http://127.0.0.1:{other_port}", "https://127.0.0.1:{port}", "http://evil.example:{port}"],
    ids=["another port", "another scheme", "another host"],
)
def test_a_websocket_from_another_origin_is_refused_with_403(production_server, origin):
    port, _log = production_server

    with pytest.raises(maintainers_package("websockets.exceptions").InvalidStatus) as refused:
        handshake(port, origin=origin.format(port=port, other_port=port + 1))

    assert refused.value.response.status_code == 403, refused.value
