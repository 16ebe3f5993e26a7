"""A Beijing points round walked end to end in a real browser (Playwright driving Debian's
Chromium against a live server), the clock moved by time_machine at each stage: the live
server runs in a thread of this process, so it sees the same clock.

A caseworker sets up the round on the staff page (quota 2); three migrants apply on the apply
page and keep their receipt secrets; the employer of one of them confirms her employment
indicators on the employer's page; the caseworker closes the round, verifies the indicators
the registry does not confirm (a PDF uploaded each time) and finishes the verification; after
the review window a supervisor confirms, and the supervisor who verified one case herself is
told she may not confirm it (maker is not checker), so a second supervisor does; the ranking
runs on a real worker thread while the round page polls its progress; the notice is published:
the public list shows masked names, the root and the snapshot hash, and the migrant checks
her line with her secret; a citizen objects under her real name; the supervisor upholds the
objection with a correction and list version 2 is published with a new root, version 1 still
shown; after the objection window the permits are issued and the admitted migrant finds hers
under 我的证明 (rendered to PDF where the renderer is installed; otherwise the certificate
page says why it could not be generated).

Console errors, uncaught exceptions and responses of 400 or more are recorded on every page.
Screenshots go to ``$LIUDONG_SCREENSHOTS`` (or the test's temporary folder).

Without /usr/bin/chromium the test skips, saying so, except under CI=true, where it fails."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import time_machine

from liudong.accounts.models import Role
from liudong.certificates import pdf
from liudong.certificates.models import Certificate, Status
from liudong.settlement.models import Application, RankingList, Round, RoundStatus
from liudong.tasks import run_pending
from liudong.tasks.worker import TaskWorker, run_in_thread
from liudong.workdays import add_working_days
from tests.browser.conftest import DESKTOP, PHONE, Problems, signed_in_page
from tests.evidence.samples import PDF
from tests.factories import InsuranceFactory, PermitFactory, PersonFactory, UserFactory
from tests.settlement.rounds_helpers import TODAY, at

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

    from liudong.accounts.models import User
    from tests.personas import World

pytestmark = pytest.mark.django_db(transaction=True)

CLOSES = TODAY + dt.timedelta(days=7)
ROOT = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """China time, 10:00 on :data:`TODAY`, ticking (the worker and the server wait in real
    time); the test moves it forward stage by stage."""
    with time_machine.travel(at(TODAY), tick=True) as moved:
        yield moved


def migrant(name: str, birth: dt.date, insured_from: dt.date) -> User:
    """A migrant with a hukou in Henan, a Chaoyang residence permit, Beijing social insurance
    since ``insured_from`` and an account (no employer: nothing to confirm)."""
    person = PersonFactory.create(name=name, sex="F", birth_date=birth, hukou=411502)
    PermitFactory.create(person=person, district=110105)
    InsuranceFactory.create(person=person, city=110000, start=insured_from)
    user: User = UserFactory.create(
        username=f"applicant-{person.pk}", role=Role.CITIZEN, person=person
    )
    return user


def shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=shots / f"{name}.png", full_page=True)


def no_sideways_scroll(page: Page, viewport: dict[str, int]) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1, f"{page.url} scrolls sideways ({width}px)"


def set_up_round(page: Page, server: LiveServer) -> Round:
    page.goto(f"{server.url}/settlement/staff/rounds/")
    page.get_by_label("积分办法").select_option("beijing")
    page.get_by_label("年度").fill(str(TODAY.year))
    page.get_by_label("落户指标数").fill("2")
    page.get_by_label("申报开始").fill(TODAY.isoformat())
    page.get_by_label("申报截止").fill(CLOSES.isoformat())
    page.get_by_role("button", name="设立轮次").click()
    page.wait_for_url(re.compile(r"/settlement/staff/rounds/\d+/$"))
    assert page.get_by_test_id("round-status").inner_text() == "受理申请"
    return Round.objects.get()


def apply_on_page(page: Page, server: LiveServer, si_months: int | None = None) -> str:
    """Apply to the open round; the receipt secret as the page shows it."""
    page.goto(f"{server.url}/settlement/rounds/")
    page.get_by_role("link", name="申请", exact=True).click()
    page.wait_for_url("**/apply/")
    page.locator("#id_has_criminal_record_1").check()
    page.get_by_label("最高学历（学位）").select_option("bachelor")
    if si_months is not None:  # more than the registry knows: she will bring proof
        page.get_by_label("在京连续缴纳社会保险月数").fill(str(si_months))
    page.get_by_role("button", name="提交申请").click()
    secret = page.get_by_test_id("receipt-secret")
    secret.wait_for()
    return secret.inner_text().strip()


def press(page: Page, name: str) -> None:
    """Press a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def verify_on_page(page: Page, server: LiveServer, application: Application) -> list[str]:
    """Open the case from the queue, verify every indicator still marked 待核实 (the value
    the applicant declared, a PDF uploaded each time) and finish; the indicators verified."""
    page.goto(f"{server.url}/settlement/staff/queue/")
    page.get_by_role("link", name=application.person.name).click()
    page.wait_for_url(f"**/settlement/staff/applications/{application.pk}/")
    done = []
    while page.get_by_test_id("needs-verification").count():
        row = page.locator("tr", has=page.get_by_test_id("needs-verification")).first
        name = row.locator("td").first.locator(".mono").inner_text().strip()
        value = application.declared[name]
        shown = ("是" if value else "否") if isinstance(value, bool) else str(value)
        page.locator("#id_indicator").select_option(name)
        page.locator("#id_value").fill(shown)
        page.locator("#id_file").set_input_files(
            {"name": f"{name}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        press(page, "记录核实结果")
        assert "已核实" in page.locator("main").inner_text(), page.locator("main").inner_text()
        done.append(name)
    press(page, "核实完毕，计算审核积分")
    assert "审核完成" in page.locator("main").inner_text(), page.locator("main").inner_text()
    return done


def test_a_round_from_set_up_to_permits_in_the_browser(
    clock: time_machine.Traveller,
    browser: Browser,
    live_server: LiveServer,
    world: World,
    shots: Path,
) -> None:
    problems = Problems()
    server = live_server

    def page_of(user: User | None, viewport: dict[str, int] = DESKTOP) -> Page:
        return signed_in_page(browser, server, user, viewport, problems)

    chaoyang_checker: User = UserFactory.create(
        username="chaoyang_checker", role=Role.SUPERVISOR, agency=world.chaoyang_agency
    )
    liu = migrant("刘桂芳", dt.date(1988, 4, 2), dt.date(2012, 1, 1))
    zhou = migrant("周晓梅", dt.date(1990, 7, 9), dt.date(2015, 6, 1))

    # 1. The caseworker sets up the round (clock: TODAY, a Monday).
    staff = page_of(world.beijing_caseworker)
    rnd = set_up_round(staff, server)
    shot(staff, shots, "01-round-set-up")
    staff.context.close()

    # 2. Three migrants apply, each keeping the secret the page shows once.
    secrets: dict[str, str] = {}
    for user, months, viewport in (
        (world.henan_migrant, 96, PHONE),
        (liu, None, DESKTOP),
        (zhou, None, DESKTOP),
    ):
        page = page_of(user, viewport)
        secrets[user.username] = apply_on_page(page, server, months)
        if viewport is PHONE:
            shot(page, shots, "02-receipt-phone")
            no_sideways_scroll(page, PHONE)
        page.context.close()
    applications = {
        a.person.account.username: a
        for a in Application.objects.filter(round=rnd).select_related("person__account")
    }
    assert set(applications) == set(secrets)
    wang = applications[world.henan_migrant.username]
    # Her employer confirms the employment indicators on the employer's page, reached from the
    # to-do line on the employer's home page.
    rep = page_of(world.employer_rep)
    rep.goto(f"{server.url}/")
    rep.get_by_role("link", name=re.compile("等待单位确认就业信息")).click()
    rep.wait_for_url("**/settlement/employer/#confirm")
    pending = rep.get_by_test_id(f"pending-{wang.pk}")
    assert "在京连续缴纳社会保险月数" in pending.inner_text()
    with rep.expect_navigation():
        pending.get_by_role("button", name="确认就业信息").click()
    assert "已确认这份申请中的就业信息" in rep.locator("main").inner_text()
    shot(rep, shots, "02-employer-confirmed")
    rep.context.close()
    wang.refresh_from_db()
    assert wang.employment_confirmed_by == world.employer_rep

    # 3. After the application period the caseworker closes the round and verifies two cases;
    # the first supervisor verifies the third herself.
    closed_on = CLOSES + dt.timedelta(days=1)
    clock.move_to(at(closed_on))
    staff = page_of(world.beijing_caseworker)
    staff.goto(f"{server.url}/settlement/staff/rounds/{rnd.pk}/")
    press(staff, "截止申报")
    assert staff.get_by_test_id("round-status").inner_text() == "申请截止，审核中"
    staff.goto(f"{server.url}/settlement/staff/queue/")
    shot(staff, shots, "03-queue")
    verified = verify_on_page(staff, server, wang)
    assert "si_months_beijing" in verified
    shot(staff, shots, "04-verified")
    verify_on_page(staff, server, applications[liu.username])
    staff.context.close()
    maker = page_of(world.beijing_supervisor)
    verify_on_page(maker, server, applications[zhou.username])
    maker.context.close()

    # 4. After the review window: confirmation, maker is not checker.
    review_ends = add_working_days(closed_on, rnd.review_window_days).date
    clock.move_to(at(review_ends + dt.timedelta(days=1)))
    supervisor = page_of(world.beijing_supervisor)
    supervisor.goto(f"{server.url}/settlement/staff/applications/{applications[zhou.username].pk}/")
    warning = supervisor.get_by_test_id("maker-warning")
    assert warning.is_visible()
    assert supervisor.get_by_role("button", name="确认积分").count() == 0
    assert "核实人：beijing_supervisor" in supervisor.locator("main").inner_text()
    assert supervisor.get_by_test_id("verification-closed").is_visible()
    shot(supervisor, shots, "05-maker-is-not-checker")
    for username in (world.henan_migrant.username, liu.username):
        supervisor.goto(f"{server.url}/settlement/staff/applications/{applications[username].pk}/")
        press(supervisor, "确认积分")
        assert "积分已确认" in supervisor.locator("main").inner_text()
    checker = page_of(chaoyang_checker)
    checker.goto(f"{server.url}/settlement/staff/applications/{applications[zhou.username].pk}/")
    press(checker, "确认积分")
    assert "积分已确认" in checker.locator("main").inner_text()
    checker.context.close()

    # 5. Ranking on a worker thread; the round page polls the progress until it is done.
    supervisor.goto(f"{server.url}/settlement/staff/rounds/{rnd.pk}/")
    assert "还有" not in supervisor.locator("main").inner_text()
    press(supervisor, "开始排名")
    assert supervisor.locator("#progress").get_attribute("hx-trigger") == "every 2s"
    assert supervisor.get_by_role("button", name="开始排名").count() == 0  # not twice
    supervisor.evaluate("window.notReloaded = true")
    shot(supervisor, shots, "06-ranking-queued")
    worker = TaskWorker(interval=0.1, schedule=False)
    thread = run_in_thread(worker)
    try:
        supervisor.wait_for_function(
            "() => !document.querySelector('#progress').hasAttribute('hx-trigger')",
            timeout=20_000,
        )
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert supervisor.evaluate("window.notReloaded") is True  # swapped by htmx
    assert supervisor.get_by_test_id("task-state").inner_text().strip() == "已完成"
    assert supervisor.get_by_test_id("round-status").inner_text() == "已排名"
    assert supervisor.get_by_role("button", name="发布公示").is_visible()
    shot(supervisor, shots, "07-ranking-done")
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.RANKED

    # 6. The notice (its button came with the last progress fragment); the public list,
    # masked, with its root and snapshot hash.

    press(supervisor, "发布公示")
    assert "名单已公示" in supervisor.locator("main").inner_text()
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.NOTICE
    first = RankingList.objects.get(round=rnd, version=1)
    for viewport, device in ((DESKTOP, "desktop"), (PHONE, "phone")):
        public = page_of(None, viewport)
        public.goto(f"{server.url}/settlement/rounds/{rnd.pk}/list/")
        text = public.locator("main").inner_text()
        assert public.get_by_test_id("root").inner_text() == first.root
        assert ROOT.match(first.root)
        assert first.snapshot in text
        for name in ("王建国", "刘桂芳", "周晓梅"):
            assert name not in text
            assert f"{name[0]}**" in text
        shot(public, shots, f"08-public-list-{device}")
        no_sideways_scroll(public, viewport)
        public.context.close()

    # 7. The migrant follows her case to her rank and checks her line with her secret; then
    # anyone, signed out, checks the receipt she downloaded against the published root.
    citizen = page_of(world.henan_migrant, PHONE)
    citizen.goto(f"{server.url}/settlement/rounds/")
    citizen.get_by_role("link", name="我的申请").click()
    citizen.get_by_role("link", name="北京市积分落户").click()
    citizen.wait_for_url(f"**/settlement/applications/{wang.pk}/")
    assert citizen.get_by_test_id("rank").inner_text() == "3"
    citizen.get_by_label("回执密钥").fill(secrets[world.henan_migrant.username])
    citizen.get_by_role("button", name="核对", exact=True).click()
    result = citizen.get_by_test_id("check-result")
    result.wait_for()
    assert "核对一致" in result.inner_text()
    no_sideways_scroll(citizen, PHONE)
    shot(citizen, shots, "09-entry-checked-phone")
    with citizen.expect_download() as download:
        citizen.get_by_role("link", name="下载本版名单的回执（JSON）").click()
    receipt = Path(download.value.path()).read_text(encoding="utf-8")
    citizen.context.close()
    anyone = page_of(None, PHONE)
    anyone.goto(f"{server.url}/settlement/verify/")
    anyone.get_by_label("回执（JSON）").fill(receipt)
    anyone.get_by_label("回执密钥").fill(secrets[world.henan_migrant.username])
    anyone.get_by_role("button", name="核对", exact=True).click()
    outcome = anyone.get_by_test_id("verify-result")
    outcome.wait_for()
    assert outcome.inner_text().count("核对一致") == 1
    assert first.root in outcome.inner_text()
    no_sideways_scroll(anyone, PHONE)
    shot(anyone, shots, "09-receipt-verified-phone")
    anyone.context.close()

    # 8. A citizen objects, under her real name, to Zhou's line.
    zhou_entry = first.entries.get(application=applications[zhou.username])
    objector = page_of(liu, PHONE)
    objector.goto(f"{server.url}/settlement/rounds/{rnd.pk}/list/")
    objector.get_by_role("link", name="对名单提出异议").click()
    objector.get_by_label("针对的条目编号（可不填）").fill(zhou_entry.entry_ref)
    objector.get_by_label("异议理由").fill("该申请人2015年至2018年在外地工作，在京社保并不连续。")
    objector.get_by_role("button", name="提交异议").click()
    objector.wait_for_url(f"**/settlement/rounds/{rnd.pk}/list/")
    assert "异议已受理" in objector.locator("main").inner_text()
    shot(objector, shots, "10-objection-filed-phone")
    objector.context.close()

    # 9. The supervisor who verified Zhou's case may not decide it; the other one upholds it
    # with a correction: list version 2 with a new root.
    clock.move_to(at(review_ends + dt.timedelta(days=2)))
    supervisor.context.close()
    supervisor = page_of(world.beijing_supervisor)
    supervisor.goto(f"{server.url}/settlement/staff/rounds/{rnd.pk}/")
    assert "提出人：刘桂芳" in supervisor.locator("main").inner_text()
    assert supervisor.get_by_test_id("objection-maker-warning").is_visible()
    assert supervisor.get_by_role("button", name="处理异议").count() == 0
    assert supervisor.get_by_role("button", name="公示期满，发放落户证明").count() == 0
    rnd.refresh_from_db()
    assert rnd.notice_until is not None
    notice_until = rnd.notice_until.isoformat()
    assert notice_until in supervisor.get_by_test_id("notice-running").inner_text()
    shot(supervisor, shots, "11-objection-maker")
    checker = page_of(chaoyang_checker)
    checker.goto(f"{server.url}/settlement/staff/rounds/{rnd.pk}/")
    checker.get_by_label("异议成立，更正").check()
    checker.get_by_label("处理意见").fill(
        "经核查社保记录，2015年6月至2018年5月缴费中断，在京连续缴纳月数更正为90个月。"
    )
    checker.get_by_label("更正的指标").fill("si_months_beijing")
    checker.get_by_label("更正后的数值").fill("90")
    shot(checker, shots, "12-objection-form")
    press(checker, "处理异议")
    assert "异议成立" in checker.locator("main").inner_text()
    shot(checker, shots, "12-objection-upheld")
    checker.context.close()
    second = RankingList.objects.get(round=rnd, version=2)
    assert second.root != first.root
    public = page_of(None)
    public.goto(f"{server.url}/settlement/rounds/{rnd.pk}/list/")
    assert public.get_by_test_id("root").inner_text() == second.root
    assert "更正理由" in public.locator("main").inner_text()
    public.get_by_role("link", name="v1", exact=True).click()
    public.wait_for_url("**?version=1")
    assert public.get_by_test_id("root").inner_text() == first.root
    assert "已被更正" in public.locator("main").inner_text()
    shot(public, shots, "13-list-v1-superseded")
    public.context.close()

    # 10. After the notice: permits; the admitted migrant finds hers under 我的证明.
    clock.move_to(at(rnd.notice_until + dt.timedelta(days=1)))
    supervisor.context.close()
    supervisor = page_of(world.beijing_supervisor)
    supervisor.goto(f"{server.url}/settlement/staff/rounds/{rnd.pk}/")
    press(supervisor, "公示期满，发放落户证明")
    assert "已发放落户证明" in supervisor.locator("main").inner_text()
    assert supervisor.get_by_test_id("round-status").inner_text() == "已办结"
    shot(supervisor, shots, "14-permits-issued")
    supervisor.context.close()
    admitted = second.entries.get(application=wang)
    assert admitted.admitted
    run_pending()
    certificate = Certificate.objects.get(subject=world.migrant, kind="settlement.permit")
    citizen = page_of(world.henan_migrant, PHONE)
    citizen.goto(f"{server.url}/settlement/applications/{wang.pk}/")
    assert citizen.get_by_test_id("state").inner_text() == "已获准落户"
    assert citizen.get_by_test_id("permit").get_attribute("href") == (
        f"/certificates/{certificate.code}/"
    )
    shot(citizen, shots, "15-permit-on-application-phone")
    citizen.goto(f"{server.url}/")  # her home page links to 我的证明
    citizen.get_by_role("link", name="我的证明").click()
    citizen.wait_for_url("**/certificates/mine/")
    citizen.get_by_role("link", name=certificate.code).click()
    citizen.wait_for_url(f"**/certificates/{certificate.code}/")
    certificate.refresh_from_db()
    if pdf.readiness().ok:
        assert certificate.status == Status.READY, certificate.failure_reason
        assert citizen.get_by_role("link", name="下载 PDF").is_visible()
    else:
        assert certificate.status == Status.FAILED
        assert certificate.failure_reason in citizen.locator("#failure-reason").inner_text()
    no_sideways_scroll(citizen, PHONE)
    shot(citizen, shots, "16-permit-mine-phone")
    citizen.context.close()
    assert problems.seen == []
