"""A real SMTP server on loopback, for the tests, the notebooks and the demo.

It keeps every message it accepts. It can also play a flaky or slow mail server: refuse the
next deliveries with a temporary error (to exercise retries), wait before answering, or hold
every answer until the test lets it go (to see who waited for the mail server, without a clock).

    with SMTPServer() as server:
        ...  # send mail to server.host:server.port
        [message] = server.wait_for(1)
"""

import asyncio
import email
import email.policy
import threading

from aiosmtpd.controller import Controller


class MailSink:
    """The aiosmtpd handler: accept, refuse or delay each message."""

    def __init__(self):
        self.messages = []
        self.attempts = 0
        self.refusals_left = 0
        self.delay = 0.0
        self.hold_timeout = None  # seconds a delivery waits for release(); None: no hold
        self.released = threading.Event()
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold_timeout is not None:
            # In a thread: the server's event loop goes on with other connections meanwhile.
            await asyncio.to_thread(self.released.wait, self.hold_timeout)
        if self.refusals_left:
            self.refusals_left -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, count, timeout):
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)


class _LoopbackController(Controller):
    def _trigger_server(self):
        # Asked for port 0, the OS picked a free port: read it before the first connection.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPServer:
    """An SMTP server on 127.0.0.1 with a free port; a context manager."""

    def __init__(self, host="127.0.0.1", port=0):
        self.sink = MailSink()
        self._controller = _LoopbackController(self.sink, hostname=host, port=port)

    host = property(lambda self: self._controller.hostname)
    port = property(lambda self: self._controller.port)
    messages = property(lambda self: self.sink.messages)
    attempts = property(lambda self: self.sink.attempts)

    def refuse_next(self, count):
        """Answer the next `count` deliveries with "451 try again later"."""
        self.sink.refusals_left = count

    def answer_after(self, seconds):
        """Make every delivery wait this long: a slow mail server."""
        self.sink.delay = seconds

    def hold(self, timeout):
        """Hold every delivery until release() is called, or for `timeout` seconds at most.

        A mail server that answers only when the test says so: what arrived before release()
        was sent by code that waited for it (at least `timeout` seconds).
        """
        self.sink.released.clear()
        self.sink.hold_timeout = timeout

    def release(self):
        """Let the held deliveries, and every later one, through."""
        self.sink.released.set()

    def wait_for(self, count, timeout=5.0):
        """The messages received, once there are at least `count` (or after `timeout`)."""
        return self.sink.wait_for(count, timeout)

    def django_settings(self):
        """Settings that make Django deliver mail to this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
        }

    def start(self):
        self._controller.start()
        return self

    def stop(self):
        self._controller.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
