"""A background task's page in a real browser: a caseworker opens the page of a task that a
worker is running; the progress bar moves while she watches (htmx swaps the status part every
2 s: the page itself is not reloaded) and the page shows the task finished, its bar full. The
worker is the real one (``TaskWorker``, in a thread of this process, heart-beating).
Screenshots go to ``$LIUDONG_SCREENSHOTS`` (or the test's temporary folder).

Without /usr/bin/chromium the tests skip, saying so, except under CI=true, where they fail."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from liudong.tasks.worker import TaskWorker, run_in_thread
from tests.browser.conftest import PHONE, Problems, signed_in_page
from tests.tasks.jobs import step_slowly

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

    from tests.personas import World

pytestmark = pytest.mark.django_db(transaction=True)

STEPS = 12
PAUSE = 0.4  # seconds per step: about 5 s in all, so that the page polls it at least twice


def test_the_progress_bar_moves_without_reloading_the_page(
    browser: Browser, live_server: LiveServer, world: World, shots: Path
) -> None:
    task_id = step_slowly.enqueue(STEPS, PAUSE).id
    problems = Problems()
    page = signed_in_page(browser, live_server, world.beijing_caseworker, PHONE, problems)
    page.goto(f"{live_server.url}/tasks/{task_id}/")
    assert page.locator("[data-state]").get_attribute("data-state") == "READY"
    page.evaluate("window.notReloaded = true")

    worker = TaskWorker(interval=0.1, schedule=False)
    thread = run_in_thread(worker)
    try:
        page.wait_for_function(
            """() => {
                const bar = document.querySelector('#task-status progress');
                return bar && bar.value > 0 && bar.value < bar.max;
            }""",
            timeout=20_000,
        )
        midway = page.locator("#task-status progress")
        assert midway.get_attribute("max") == str(STEPS)
        assert "step" in page.locator("#task-status").inner_text()
        page.screenshot(path=shots / "task-running-phone.png", full_page=True)
        page.wait_for_selector('[data-state="SUCCESSFUL"]', timeout=30_000)
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert page.evaluate("window.notReloaded") is True  # swapped by htmx, not reloaded
    done = page.locator("#task-status")
    assert done.locator("progress").get_attribute("value") == str(STEPS)
    assert f"{STEPS}/{STEPS} (100%)" in done.inner_text()
    assert "已完成" in done.inner_text()
    assert done.get_attribute("hx-trigger") is None  # a finished task is not polled again
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the page does not scroll sideways"
    page.screenshot(path=shots / "task-done-phone.png", full_page=True)

    page.goto(f"{live_server.url}/tasks/")
    row = page.get_by_role("row").filter(has_text="step_slowly")
    assert "已完成" in row.inner_text()
    page.screenshot(path=shots / "task-list-phone.png", full_page=True)
    page.context.close()
    assert problems.seen == []
