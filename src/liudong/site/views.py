"""The home page, by role: what liudong is (signed out), a citizen's own records, an employer's
page, and the staff home of each agency whose work queues fill as the domains land."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from liudong.accounts.access import (
    has_staff_role,
    refusals_audited,
    signed_in_user,
    staff_required,
)
from liudong.accounts.models import Role, User
from liudong.people.access import jurisdiction
from liudong.people.models import Person
from liudong.settlement.views_employer import todo as settlement_todo

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django_stubs_ext import StrOrPromise

    from liudong.people.models import Agency


class Link(NamedTuple):
    label: StrOrPromise
    url: str


# Pages other apps provide, by URL name; a link appears once its page exists. Each role sees
# the pages it may open (the pages check it again: a menu is not an access rule).
CITIZEN_PAGES = (
    (_("我的档案"), "people:me"),
    (_("我的家庭户"), "people:my_household"),
    (_("我的记录"), "people:my_records"),
    (_("落户自查：我能在哪里落户"), "settlement:self_check"),
    (_("我的积分落户申请"), "settlement:my_applications"),
    (_("我的证明"), "certificates:mine"),
    (_("核验证明"), "certificates:verify"),
)
_CASEWORKER_PAGES = (
    (_("人员查询"), "people:search"),
    (_("登记人员"), "people:register"),
    (_("导入人员和家庭户"), "people:import_upload"),
    (_("证明"), "certificates:list"),
    (_("积分落户轮次"), "settlement:staff_rounds"),
    (_("积分落户审核队列"), "settlement:staff_queue"),
    (_("积分落户政策分析"), "settlement:analysis"),
    (_("后台任务"), "tasks:list"),
)
EMPLOYER_PAGES = (
    (_("积分落户：单位待办"), "settlement:employer"),
    (_("积分落户申报"), "settlement:rounds"),
)
STAFF_PAGES = {
    Role.STAFF: _CASEWORKER_PAGES,
    Role.SUPERVISOR: _CASEWORKER_PAGES,
    Role.AUDITOR: ((_("审计记录"), "audit:search"),),
    Role.ADMIN: (
        (_("参考数据管理"), "admin:index"),
        (_("后台任务"), "tasks:list"),
        (_("积分落户政策分析"), "settlement:analysis"),
    ),
    Role.ANALYST: ((_("积分落户政策分析"), "settlement:analysis"),),
}


def links(pages: tuple[tuple[StrOrPromise, str], ...]) -> list[Link]:
    """The pages that exist, in order (a URL name that does not resolve is left out)."""
    found = []
    for label, name in pages:
        try:
            found.append(Link(label, reverse(name)))
        except NoReverseMatch:
            continue
    return found


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User):
        return render(request, "site/home.html")
    if has_staff_role.test(user):
        return redirect("staff_home")
    if user.role == Role.EMPLOYER:
        context = {
            "employer": user.employer,
            "links": links(EMPLOYER_PAGES),
            "todo": [Link(label, url) for label, url in settlement_todo(user)],
        }
        return render(request, "site/home_employer.html", context)
    return render(
        request,
        "site/home_citizen.html",
        {"person": user.person, "links": links(CITIZEN_PAGES)},
    )


@refusals_audited("site.staff_home")
@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """The staff home of the user's agency: jurisdiction, persons in it, the work queue."""
    user = signed_in_user(request)
    agency = user.agency
    context = {
        "agency": agency,
        "persons": _grouped(persons_in_jurisdiction(user, agency)),
        "links": links(STAFF_PAGES.get(Role(user.role), ())),
        "queue": [],  # filled by the domain apps as they land (applications, transfers, ...)
    }
    return render(request, "site/home_staff.html", context)


def _grouped(number: int | None) -> str | None:
    return None if number is None else f"{number:,}"


def persons_in_jurisdiction(user: User, agency: Agency | None) -> int | None:
    """How many registered persons the user's agency serves (the registry decides who);
    None for roles without a jurisdiction (auditors, administrators)."""
    if agency is None or jurisdiction(user) is None:
        return None
    return Person.objects.for_user(user).count()
