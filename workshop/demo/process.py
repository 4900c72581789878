"""The demo as a process of its own, started as a learner starts it: for its browser test."""

import queue
import signal
import subprocess
import sys
import threading
import time

from workshop import course

START_TIMEOUT = 30  # seconds: migrate, seed, start the worker and Daphne
STOP_TIMEOUT = 10  # seconds: Ctrl-C must stop everything well within this


class DemoProcess:
    def __init__(self, home, target):
        command = [sys.executable, "-m", "workshop.demo", "--port", "0", "--home", str(home)]
        if target == "mine":
            command.append("--mine")
        self.process = subprocess.Popen(
            command,
            cwd=course.ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = []
        self._lines = queue.Queue()
        threading.Thread(target=self._read_output, daemon=True).start()
        self.url = self._wait_for_url()

    def _read_output(self):
        for line in self.process.stdout:
            self.output.append(line)
            self._lines.put(line)
        self._lines.put(None)  # The process ended.

    def _wait_for_url(self):
        deadline = time.monotonic() + START_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if "http://" in line:
                return line[line.index("http://") :].split()[0]
        self.kill()
        raise RuntimeError(f"The demo did not start; it printed:\n{''.join(self.output)}")

    def interrupt(self):
        """Press Ctrl-C; return the seconds the demo took to stop (None if it did not)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None
        return time.monotonic() - started

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)
