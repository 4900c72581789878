"""A real ASGI server for browser tests: Daphne, serving the shop, in a thread of this process.

Daphne runs in a thread rather than in a process (as Channels' ChannelsLiveServerTestCase does)
so that it shares what the tests use: the in-memory channel layer, and pytest-django's test
database, which for SQLite lives in memory and so exists in this process only.

    server = liveserver.start()      # once per process: Twisted's reactor cannot restart
    page.goto(server.url + "/live/")

The root conftest.py's `asgi_live_server` fixture hands it to a test, with a test database that
other threads can see (pytest-django's `transactional_db`).
"""

import asyncio
import threading
from functools import cache

from shop.channel_layers import InMemoryChannelLayer

HOST = "127.0.0.1"
START_TIMEOUT = 10  # seconds


class SharedInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, safe to send to from another thread of the same process.

    InMemoryChannelLayer belongs to one event loop: a message sent from another thread is
    queued, but the consumer waiting for it is not woken until its loop wakes for another reason,
    up to a second later. With a live server in a thread, the test (or a worker thread) sends
    from outside the server's loop, so this layer hands every send to the loop that receives.
    Between processes you need a real layer (Redis) anyway.
    """

    receiving_loop = None

    async def receive(self, channel):
        self.receiving_loop = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel, message):
        return await self._on_receiving_loop(super().send(channel, message))

    async def group_send(self, group, message):
        return await self._on_receiving_loop(super().group_send(group, message))

    async def _on_receiving_loop(self, coroutine):
        loop = self.receiving_loop
        if loop is None or loop is asyncio.get_running_loop() or not loop.is_running():
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))


SHARED_CHANNEL_LAYERS = {
    "default": {"BACKEND": f"{SharedInMemoryChannelLayer.__module__}.SharedInMemoryChannelLayer"}
}


class LiveServer:
    """Daphne serving the shop's ASGI application (and its static files) on 127.0.0.1."""

    def __init__(self):
        self.port = None
        self._ready = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._serve, name="daphne-live-server", daemon=True)

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self):
        return f"ws://{HOST}:{self.port}"

    def start(self):
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError(f"Daphne did not start within {START_TIMEOUT} s")
        if self._error is not None:
            raise RuntimeError(f"Daphne did not start: {self._error!r}") from self._error
        return self

    def _serve(self):
        try:
            # daphne.server installs Twisted's asyncio reactor when it is first imported.
            from daphne.endpoints import build_endpoint_description_strings
            from daphne.server import Server
            from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

            from shop.asgi import application

            server = Server(
                application=ASGIStaticFilesHandler(application),
                endpoints=build_endpoint_description_strings(host=HOST, port=0),
                signal_handlers=False,  # Only the main thread may handle signals.
                verbosity=0,
                ready_callable=lambda: self._listening(server),
            )
            server.run()
        except BaseException as error:
            self._error = error
            self._ready.set()

    def _listening(self, server):
        # The TCP endpoint listens before the reactor runs, so the port is known by now.
        self.port = server.listening_addresses[0][1]
        self._ready.set()


@cache
def start():
    """The live server, started on first use and shared by every test of this process."""
    return LiveServer().start()
