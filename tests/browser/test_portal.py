"""The portal in a real browser: Playwright driving Debian's Chromium against a live server.

A citizen signs in and sees her masked ID number, then switches to English; a caseworker signs
in with a TOTP code computed from her device's secret and reaches the staff home. Screenshots
of each page, at a phone's viewport (390×844) and a desktop's, go to ``$LIUDONG_SCREENSHOTS``
(or the test's temporary folder) for a person to look at.

Without /usr/bin/chromium the tests skip, saying so, except under CI=true, where they fail.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest
from django.urls import NoReverseMatch, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from liudong.accounts.models import Role
from tests.accounts.conftest import totp_code
from tests.browser.conftest import DESKTOP, PHONE, open_page, sign_in
from tests.factories import AgencyFactory, PersonFactory, UserFactory

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser
    from pytest_django.live_server_helper import LiveServer

    from liudong.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lina() -> Person:
    person = PersonFactory.create(name="李娜", sex="F", birth_date=dt.date(1988, 3, 14))
    UserFactory.create(username="lina", role=Role.CITIZEN, person=person)
    return person


@pytest.fixture
def wangfang() -> TOTPDevice:
    agency = AgencyFactory.create(code="bj-employment", name="北京市朝阳区公共就业服务中心")
    user = UserFactory.create(username="wangfang", role=Role.STAFF, agency=agency)
    PersonFactory.create(hukou=110105)
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def profile_url() -> str:
    """The people app's profile page if it exists, else the home page (it shows the person)."""
    try:
        return reverse("people:me")
    except NoReverseMatch:
        return "/"


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_citizen_sees_her_masked_id_and_switches_to_english(
    browser: Browser,
    live_server: LiveServer,
    lina: Person,
    shots: Path,
    device: str,
    viewport: dict[str, int],
) -> None:
    page = open_page(browser, viewport)
    page.goto(f"{live_server.url}/accounts/login/")
    page.screenshot(path=shots / f"login-{device}.png", full_page=True)
    sign_in(page, live_server, "lina")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(live_server.url + profile_url())
    body = page.locator("main").inner_text()
    assert lina.id_masked in body
    assert re.search(r"110105\*{8}\d{3}[\dX]", body)
    assert lina.id_number not in page.content()
    page.screenshot(path=shots / f"citizen-profile-{device}.png", full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Sign out" in page.locator("header").inner_text()
    assert lina.id_masked in page.locator("main").inner_text()
    page.screenshot(path=shots / f"citizen-profile-en-{device}.png", full_page=True)
    page.goto(live_server.url + "/")
    assert "Hello" in page.locator("main").inner_text()
    page.screenshot(path=shots / f"citizen-home-en-{device}.png", full_page=True)
    page.context.close()


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_caseworker_signs_in_with_a_totp_code_and_reaches_the_staff_home(
    browser: Browser,
    live_server: LiveServer,
    wangfang: TOTPDevice,
    shots: Path,
    device: str,
    viewport: dict[str, int],
) -> None:
    page = open_page(browser, viewport)
    sign_in(page, live_server, "wangfang")
    page.wait_for_url(re.compile(r".*/accounts/login/verify/.*"))
    page.screenshot(path=shots / f"staff-totp-{device}.png", full_page=True)
    page.get_by_label("动态验证码").fill(totp_code(wangfang))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/staff/")  # the home page sends staff to theirs
    main = page.locator("main").inner_text()
    assert "北京市朝阳区公共就业服务中心" in main
    assert "暂无案件" in main
    page.screenshot(path=shots / f"staff-home-{device}.png", full_page=True)
    page.context.close()
