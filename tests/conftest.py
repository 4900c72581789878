"""Fixtures for the kit's end-to-end tests: a throwaway copy of the workshop, run as a
learner runs it, and the demo as a process of its own."""

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from workshop import course


def maintainers_package(name):
    """Import a module of requirements-dev.txt; in a learner's install, skip the test, saying so."""
    return pytest.importorskip(
        name, reason=f"{name} comes with the maintainers' install (requirements-dev.txt)"
    )


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    """A fresh copy of the workshop with its own git history: the files as a learner clones them."""
    copy = tmp_path_factory.mktemp("workshop") / "repo"
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=course.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, tracked):
        source = course.ROOT / name
        if source.is_file() and "node_modules" not in source.parts:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git = ["git", "-c", "user.name=Learner", "-c", "user.email=learner@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=copy, check=True)
    subprocess.run([*git, "commit", "-qm", "Workshop as cloned"], cwd=copy, check=True)
    return copy


@pytest.fixture
def run(workshop):
    def run(*args, timeout=120, **extra_env):
        env = {
            name: value for name, value in os.environ.items() if not name.startswith("WORKSHOP_")
        }
        finished = subprocess.run(
            [sys.executable, *args],
            cwd=workshop,
            env={**env, "COLUMNS": "200", "CI": "", **extra_env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        finished.output = finished.stdout + finished.stderr
        return finished

    return run


@pytest.fixture
def edit(workshop):
    """Change a file of the copy for one test, and put it back afterwards."""
    saved = {}

    def edit(name, change):
        path = workshop / name
        saved.setdefault(path, path.read_text())
        path.write_text(change(path.read_text()))

    yield edit
    for path, text in saved.items():
        path.write_text(text)


@pytest.fixture
def demo(tmp_path):
    """`python -m workshop demo`, started as a learner starts it, on a free port."""
    running = DemoProcess(home=tmp_path, target=course.selected_target())
    yield running
    running.kill()


START_TIMEOUT = 30  # seconds: migrate, seed, start the worker and Daphne
STOP_TIMEOUT = 10  # seconds: Ctrl-C must stop everything well within this


class DemoProcess:
    """The demo as a process of its own: its URL, its output; Ctrl-C or kill it."""

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
