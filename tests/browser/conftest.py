"""Shared fixtures of the browser tests (Playwright driving Debian's Chromium against a live
server): the browser, the screenshot folder, a new page, a page signed in as a persona (staff
with their second factor, through the session, as ``tests.personas.login`` does), signing in
through the login form, and a record of what went wrong in the page (console errors, uncaught
exceptions, responses of 500 and above).

Without /usr/bin/chromium the tests skip, saying so, except under CI=true, where they fail.
Modules may define their own ``browser`` and ``shots`` fixtures; theirs take precedence."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import PASSWORD
from tests.personas import login

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, ConsoleMessage, Page, Response
    from pytest_django.live_server_helper import LiveServer

    from liudong.accounts.models import User

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it (fixtures, sessions) are still synchronous.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LIUDONG_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Problems:
    """What went wrong in a page: console errors, uncaught exceptions, server errors."""

    seen: list[str] = field(default_factory=list)

    def watch(self, page: Page, *, expected: tuple[int, ...] = ()) -> Page:
        """Record console errors and uncaught exceptions, and every response of 400 or more
        (except ``expected`` statuses, and the browser's own request for /favicon.ico, which
        base.html does not link). A failed resource is recorded as its response, with its
        address, not as the console's "Failed to load resource" line, which names none."""

        def console(message: ConsoleMessage) -> None:
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                self.seen.append(f"console error: {message.text}")

        def response(answer: Response) -> None:
            wanted = answer.status >= 400 and answer.status not in expected
            if wanted and not answer.url.endswith("/favicon.ico"):
                self.seen.append(f"HTTP {answer.status} {answer.request.method} {answer.url}")

        page.on("console", console)
        page.on("pageerror", lambda e: self.seen.append(f"uncaught: {e}"))
        page.on("response", response)
        return page


def open_page(browser: Browser, viewport: dict[str, int] = DESKTOP) -> Page:
    """A new page in a new context (its own cookies), in Chinese, at ``viewport``."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")  # type: ignore[arg-type]  # a ViewportSize dict
    return context.new_page()


def signed_in_page(
    browser: Browser,
    server: LiveServer,
    user: User | None,
    viewport: dict[str, int] = DESKTOP,
    problems: Problems | None = None,
) -> Page:
    """A new page, signed in as ``user`` (None: anonymous), its problems recorded."""
    page = open_page(browser, viewport)
    if user is not None:
        client = login(Client(), user)
        name = settings.SESSION_COOKIE_NAME
        cookie = client.cookies[name]
        page.context.add_cookies([{"name": name, "value": cookie.value, "url": server.url}])
    return problems.watch(page) if problems is not None else page


def sign_in(page: Page, server: LiveServer, username: str) -> None:
    """Sign in through the login form with the factories' password (staff then see the
    second-factor page)."""
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
