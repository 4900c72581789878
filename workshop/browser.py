"""Headless Chromium for browser tests, through Playwright's sync API.

Playwright cannot download its own browsers everywhere, so this module looks for one:

1. the file named by PLAYWRIGHT_CHROMIUM_EXECUTABLE,
2. a system Chromium (Debian's /usr/bin/chromium, and friends),
3. the Chromium that `playwright install chromium` downloaded,
4. an installed Chrome or Edge, through Playwright's channels (Windows and macOS have one).

Where there is none, a browser test is skipped with a one-line reason; on CI (CI=true) that is
a failure instead, so that a missing browser cannot pass for a green run.

The root conftest.py's `chromium` fixture uses launch(); `in_another_thread` runs shop code
beside a browser test (see its docstring for why it must).
"""

import asyncio
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

EXECUTABLE_ENV = "PLAYWRIGHT_CHROMIUM_EXECUTABLE"
SYSTEM_CHROMIUMS = [
    "/usr/bin/chromium",  # Debian's
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "chromium",  # and the others on the PATH
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
]
CHANNELS = ["chrome", "msedge"]  # Installed browsers that Playwright knows how to find
ARGS = [
    "--no-sandbox",  # Containers and CI often run as root, where the sandbox cannot start.
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def on_ci():
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def find_chromium(playwright=None):
    """The path of a Chromium to drive, or None."""
    if named := os.environ.get(EXECUTABLE_ENV):
        return named if Path(named).is_file() else None
    for name in SYSTEM_CHROMIUMS:
        if found := shutil.which(name):
            return found
    if playwright is not None:
        downloaded = playwright.chromium.executable_path
        if Path(downloaded).is_file():
            return downloaded
    return None


def no_browser(reason):
    """Skip the test (fail it on CI) because no browser can run."""
    if on_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run on CI)", pytrace=False)
    pytest.skip(reason)


def start(playwright):
    """A headless Browser: a Chromium found on disk, else Chrome or Edge; no_browser() if none."""
    from playwright.sync_api import Error

    executable = find_chromium(playwright)
    if executable is not None:
        try:
            return playwright.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        except Error as error:
            no_browser(f"Chromium at {executable} did not start: {error.message.splitlines()[0]}")
    for channel in CHANNELS:
        try:
            return playwright.chromium.launch(channel=channel, headless=True, args=ARGS)
        except Error:
            continue
    no_browser(
        f"no browser found: install Chromium, Chrome or Edge, set {EXECUTABLE_ENV}, "
        "or run `playwright install chromium`"
    )


@contextmanager
def subprocess_capable_event_loops():
    """On Windows, the event-loop policy under which Playwright can start its driver.

    Daphne (and Twisted) set WindowsSelectorEventLoopPolicy, whose loops cannot start
    subprocesses, and Playwright's driver is one. Its loop needs the Proactor policy, Windows'
    default; the policy in place is put back afterwards.
    """
    if sys.platform != "win32":
        yield
        return
    saved = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(asyncio.WindowsProactorEventLoopPolicy())
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(saved)


@contextmanager
def launch():
    """Start Playwright and a headless browser; yield the Browser.

    While Playwright's sync API is started, it keeps an asyncio event loop running in this
    thread. Django then refuses ORM calls here ("you cannot call this from an async context"),
    although nothing async runs between Playwright's calls. So this sets
    DJANGO_ALLOW_ASYNC_UNSAFE for as long as the browser is up, and puts it back after.
    """
    try:
        from playwright.sync_api import sync_playwright  # Slow to import: only when needed.
    except ImportError:  # The learner's install leaves Playwright out (requirements-dev.txt).
        no_browser("Playwright is not installed: python -m pip install -r requirements-dev.txt")

    with subprocess_capable_event_loops(), sync_playwright() as playwright:
        browser = start(playwright)
        saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        try:
            yield browser
        finally:
            browser.close()
            if saved is None:
                del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


def in_another_thread(function, *args, timeout=5, **kwargs):
    """Call function(*args, **kwargs) in a fresh thread, wait for it, and return its result.

    In a real shop, events come from elsewhere: another user's request, a Celery worker. In a
    browser test this matters: Playwright's event loop runs in the test's thread, and
    async_to_sync() refuses to run in a thread that has one. Code that pushes to WebSockets
    from sync code (a receiver calling async_to_sync(channel_layer.group_send)) must run here.
    """
    from django.db import connections

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout)
