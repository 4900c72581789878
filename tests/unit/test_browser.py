"""Finding a browser where there may be none, and Playwright's event loop on Windows."""

import asyncio
import sys
from types import SimpleNamespace

import pytest

from workshop import browser

# Playwright comes with requirements-dev.txt; the learner's install has none (see the last test).
Error = pytest.importorskip("playwright.sync_api").Error


class NoBrowserPlaywright:
    """A Playwright that finds no downloaded Chromium and no Chrome or Edge."""

    def __init__(self):
        self.chromium = SimpleNamespace(executable_path="/nowhere/chrome", launch=self.launch)
        self.channels_tried = []

    def launch(self, channel=None, **options):
        self.channels_tried.append(channel)
        raise Error(f"{channel} is not installed")


@pytest.fixture
def no_chromium_on_disk(monkeypatch):
    monkeypatch.delenv(browser.EXECUTABLE_ENV, raising=False)
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)


def test_without_any_browser_a_test_is_skipped_in_one_line(no_chromium_on_disk, monkeypatch):
    monkeypatch.setenv("CI", "")
    playwright = NoBrowserPlaywright()

    with pytest.raises(pytest.skip.Exception, match="no browser found") as skipped:
        browser.start(playwright)

    assert "\n" not in str(skipped.value)
    assert playwright.channels_tried == browser.CHANNELS, "Chrome and Edge should be tried"


def test_on_ci_a_missing_browser_fails(no_chromium_on_disk, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        browser.start(NoBrowserPlaywright())


def test_on_windows_playwright_gets_the_proactor_policy_and_daphnes_comes_back(monkeypatch):
    class ProactorPolicy(asyncio.DefaultEventLoopPolicy):
        pass

    selector_policy = asyncio.DefaultEventLoopPolicy()  # What Daphne leaves in place
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(asyncio, "WindowsProactorEventLoopPolicy", ProactorPolicy, raising=False)
    asyncio.set_event_loop_policy(selector_policy)
    try:
        with browser.subprocess_capable_event_loops():
            assert isinstance(asyncio.get_event_loop_policy(), ProactorPolicy)
        assert asyncio.get_event_loop_policy() is selector_policy
    finally:
        asyncio.set_event_loop_policy(None)


def test_without_playwright_installed_a_browser_test_is_skipped_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails: not installed
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match=r"requirements-dev\.txt"), browser.launch():
        pass
