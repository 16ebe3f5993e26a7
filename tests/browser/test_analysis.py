"""The policy-analysis page in a real browser: a caseworker runs Beijing's points scheme over a
small synthetic population under a reform, and every chart is drawn by the vendored
vega-embed (an SVG in each chart's box, nothing written in place of the chart, no error in the
console); the page fits a phone without scrolling sideways. Screenshots go to
``$LIUDONG_SCREENSHOTS`` (or the test's temporary folder).

Without /usr/bin/chromium the tests skip, saying so, except under CI=true, where they fail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Problems, signed_in_page

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

    from tests.personas import World

pytestmark = pytest.mark.django_db(transaction=True)

CHARTS = (
    "histogram",
    "preconditions",
    "items",
    "movers_age_band",
    "movers_education",
    "movers_hukou_province",
)


@pytest.fixture
def small_population(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.LIUDONG_ANALYSIS_DIR = tmp_path_factory.getbasetemp() / "analysis-browser"
    settings.LIUDONG_ANALYSIS_SMALL_PERSONS = 20_000


@pytest.mark.usefixtures("small_population")
@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_analysis_charts_are_drawn(
    browser: Browser,
    live_server: LiveServer,
    world: World,
    shots: Path,
    device: str,
    viewport: dict[str, int],
) -> None:
    problems = Problems()
    page = signed_in_page(browser, live_server, world.beijing_caseworker, viewport, problems)
    page.goto(f"{live_server.url}/settlement/analysis/")
    on = page.get_by_label("评估日期")
    assert on.input_value(), "the date field shows today's date (yyyy-mm-dd)"
    on.fill("2024-06-01")
    page.get_by_label("落户指标（人）").fill("6000")
    page.locator("#id_reform").select_option("beijing-si-residence-weight")
    page.get_by_role("button", name="运行分析").click()
    page.locator("#counts").wait_for()
    for name in CHARTS:
        page.locator(f'[data-chart="{name}"] svg').first.wait_for(timeout=15_000)
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('[data-chart]')].map(e => {
            const svg = e.querySelector('svg');
            return {
                name: e.dataset.chart,
                marks: e.querySelectorAll('svg path').length,
                width: e.getBoundingClientRect().width,
                svgWidth: svg ? svg.getBoundingClientRect().width : 0,
                text: svg ? '' : e.textContent,
            };
        })"""
    )
    assert {d["name"] for d in drawn} == set(CHARTS), drawn
    for chart in drawn:
        assert chart["marks"] > 0, chart
        assert chart["text"] == "", chart  # vega-embed's error would be written in the box
        assert chart["svgWidth"] <= chart["width"] + 1, chart  # fits its box
    levels = page.locator("#movers-education tbody th").all_inner_texts()
    assert levels, "the entrants and leavers by education"
    assert not any(level.isascii() for level in levels), levels  # in words, not codes
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1, "the page does not scroll sideways"
    page.screenshot(path=shots / f"analysis-{device}.png", full_page=True)
    assert problems.seen == []
    page.context.close()
