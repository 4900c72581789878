"""A TCP proxy on loopback that breaks the connection to a server on demand, for the tests.

    with FaultProxy("127.0.0.1", 6379) as proxy:   # clients connect to proxy.port instead
        proxy.cut()      # every connection is closed, and new ones are closed at once
        proxy.stall()    # connections are accepted, and no byte goes through either way
        proxy.heal()     # back to a plain proxy
        proxy.stall_after(20_000)   # pass that many client bytes more, then stall

It is how a broker fails in production: a restart or a network partition (cut), a server or a
link that is overloaded or half-dead (stall).
"""

import contextlib
import socket
import threading
import time

PASS, CUT, STALL = "pass", "cut", "stall"


class FaultProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.mode = PASS
        self.forwarded = 0  # bytes from clients to the server, all connections together
        self._stall_at = None
        self._lock = threading.Lock()
        self._sockets = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]

    def url_for(self, url):
        """`url` (redis://..., amqp://...) with the proxy's port instead of the server's."""
        import urllib.parse

        parts = urllib.parse.urlsplit(url)
        netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{netloc}:{self.port}"))

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self.cut()

    def cut(self):
        with self._lock:
            self.mode = CUT
            for sock in list(self._sockets):
                self._close(sock)

    def stall(self):
        self.mode = STALL

    def heal(self):
        self.mode, self._stall_at = PASS, None

    def stall_after(self, more_bytes):
        with self._lock:
            self.mode, self._stall_at = PASS, self.forwarded + more_bytes

    @property
    def stalled(self):
        return self.mode == STALL

    def _accept(self):
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return  # The proxy is closed.
            if self.mode == CUT:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source, destination, from_client):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                while self.mode == STALL:  # Hold the bytes; the other side waits.
                    time.sleep(0.01)
                if self.mode == CUT:
                    break
                destination.sendall(data)
                if from_client:
                    with self._lock:
                        self.forwarded += len(data)
                        if self._stall_at is not None and self.forwarded >= self._stall_at:
                            self.mode, self._stall_at = STALL, None
        except OSError:
            pass
        finally:
            with self._lock:
                self._close(source)
                self._close(destination)

    def _close(self, sock):
        self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
