"""The settlement pages for employer representatives (用人单位经办人).

Her page (``home``) lists the applications of her employer's employees that wait for the
employer's confirmation of the employment indicators (what the employee declared beside what
the registry held), the filings the employer made and where each stands, and the open rounds
she may file in. She confirms on that page (``confirm_employment``) and files for a current
employee on ``file_for_employee``: the same facts form as the citizen's, the employee then
confirms on her own account and only she receives the receipt secret.

Only representatives bound to an employer get in (others: the designed 403 page); an
application outside her employer's is a 404, as the selectors make it; each refusal leaves one
``denied`` audit event. Refusals of the actions (already confirmed, the case closed, outside the
window, a second live application) are messages or field errors on the page, never a 500.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liudong.accounts.access import forbidden, refusals_audited, signed_in_user
from liudong.people.access import is_employer_rep
from liudong.people.models import Employment, Person
from liudong.settlement import actions, schemes, selectors
from liudong.settlement.employment import awaiting_employer, indicator_rows
from liudong.settlement.forms import ApplyForm
from liudong.settlement.models import Application, ApplicationState, Round, RoundStatus
from liudong.settlement.views import scheme_name, state_label, today
from liudong.site import formtokens
from liudong.site.errors import ConflictError, InvalidInputError, NotFoundError
from liudong.site.text import parenthesized

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

    from liudong.accounts.models import User

    View = Callable[..., HttpResponse]

__all__ = ["confirm_employment", "file_for_employee", "home", "todo"]

CONFIRM_FORM = "settlement.confirm_employment"
FILE_FORM = "settlement.employer_file"
EMPLOYEE = "person"  # the filing form's question: for which employee


def employer_required(view: View) -> View:
    """Signed in as a representative bound to an employer."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not is_employer_rep.test(request.user):
            return forbidden(request, _("这一页只对用人单位经办人开放。"))
        return view(request, *args, **kwargs)

    return guarded


def current_employees(user: User) -> list[Employment]:
    """The open employments at her employer, by the employee's name."""
    return list(
        Employment.objects.filter(employer_id=user.employer_id or 0, end__isnull=True)
        .select_related("person")
        .order_by("person__name", "person_id")
    )


def _open_rounds() -> list[Round]:
    on = today()
    return list(
        Round.objects.select_related("region")
        .filter(status=RoundStatus.OPEN, opens_on__lte=on, closes_on__gte=on)
        .order_by("-year", "scheme")
    )


def _employee_application(user: User, application_id: int) -> Application:
    """An application naming her employer, or 404 (whether or not it exists)."""
    found = (
        actions.applications_for(user)
        .filter(pk=application_id, employer_id=user.employer_id or 0)
        .first()
    )
    if found is None:
        raise NotFoundError(_("没有找到这份申请，或者申请人不是本单位职工")).about(
            actions.OBJECT_APPLICATION, application_id
        )
    return found


def todo(user: User) -> list[tuple[str, str]]:
    """The employer home's to-do lines (text, link): confirmations waiting for her and
    filings waiting for the employee."""
    lines = []
    waiting = len(awaiting_employer(user))
    if waiting:
        lines.append(
            (
                ngettext(
                    "%(n)d 份职工的积分落户申请等待单位确认就业信息",
                    "%(n)d 份职工的积分落户申请等待单位确认就业信息",
                    waiting,
                )
                % {"n": waiting},
                reverse("settlement:employer") + "#confirm",
            )
        )
    filed = (
        actions.applications_for(user)
        .filter(
            filed_for_employer_id=user.employer_id or 0,
            live=True,
            pre_state=ApplicationState.AWAITING_APPLICANT,
        )
        .count()
    )
    if filed:
        lines.append(
            (
                ngettext(
                    "%(n)d 份代为填报的申请等待职工本人确认",
                    "%(n)d 份代为填报的申请等待职工本人确认",
                    filed,
                )
                % {"n": filed},
                reverse("settlement:employer") + "#filings",
            )
        )
    return lines


# ---------------------------------------------------------------------------------------------
# Her page and the confirmation.


@refusals_audited("settlement.read_application")
@employer_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    jobs = {
        job.person_id: job
        for job in Employment.objects.filter(employer_id=user.employer_id or 0).order_by("start")
    }
    pending = [
        {
            "application": a,
            "name": scheme_name(a.round.scheme),
            "state": state_label(a),
            "job": jobs.get(a.person_id),
            "indicators": indicator_rows(a),
        }
        for a in awaiting_employer(user)
    ]
    filings = [
        {
            "application": a,
            "name": scheme_name(a.round.scheme),
            "status": _filing_status(a),
            "awaiting": a.case is None and a.pre_state == ApplicationState.AWAITING_APPLICANT,
        }
        for a in actions.applications_for(user)
        .filter(filed_for_employer_id=user.employer_id or 0)
        .order_by("-created_at", "-pk")[:200]
    ]
    context = {
        "employer": user.employer,
        "pending": pending,
        "filings": filings,
        "rounds": [{"round": r, "name": scheme_name(r.scheme)} for r in _open_rounds()],
        "form_token": formtokens.issue(request, CONFIRM_FORM) if pending else "",
        "token_field": formtokens.FIELD,
    }
    return render(request, "settlement/employer/home.html", context)


def _filing_status(application: Application) -> str:
    """Where a filing stands: waiting for the employee, lapsed, withdrawn, or her case's state."""
    if application.case is None:
        if application.pre_state == ApplicationState.AWAITING_APPLICANT:
            return _("待职工本人确认（申报截止 %(c)s）") % {
                "c": application.round.closes_on.isoformat()
            }
        return state_label(application)
    if application.live:
        return _("职工已确认，已受理：%(state)s") % {"state": state_label(application)}
    return state_label(application)


@refusals_audited("settlement.confirm_employment")
@employer_required
@require_POST
def confirm_employment(request: HttpRequest, application_id: int) -> HttpResponse:
    """Confirm the employment indicators of an employee's application."""
    user = signed_in_user(request)
    found = _employee_application(user, application_id)
    if not formtokens.consume(request, CONFIRM_FORM):
        messages.warning(request, _("这张确认表已经提交过了；请在刷新后的页面上核对后再确认。"))
        return redirect("settlement:employer")
    try:
        actions.do_confirm_employment(user, found)
    except (InvalidInputError, ConflictError) as exc:
        messages.error(request, exc.message)
        return redirect("settlement:employer")
    messages.success(request, _("已确认这份申请中的就业信息，已通知申请人本人。"))
    return redirect("settlement:employer")


# ---------------------------------------------------------------------------------------------
# Filing for an employee.


class EmployeeField(forms.ModelChoiceField[Person]):
    """A current employee, shown by name and masked ID number."""

    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name}{parenthesized(obj.id_masked)}"


class EmployeeForm(forms.Form):
    """Which current employee the employer files for."""

    def __init__(self, *args: Any, employees: list[Employment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[EMPLOYEE] = EmployeeField(
            queryset=Person.objects.filter(pk__in=[job.person_id for job in employees]).order_by(
                "name", "pk"
            ),
            label=_("为哪一位职工填报"),
            empty_label=_("请选择"),
            help_text=_("只列出本单位在职的职工（就业登记中尚未离职的）"),
            error_messages={
                "required": _("请选择为哪一位职工填报"),
                "invalid_choice": _("只能为本单位在职职工代为填报；请从列表中选择一位在职职工"),
            },
        )

    def person(self) -> Person:
        chosen: Person = self.cleaned_data[EMPLOYEE]
        return chosen


@refusals_audited("settlement.apply")
@employer_required
@require_http_methods(["GET", "POST"])
def file_for_employee(request: HttpRequest, round_id: int) -> HttpResponse:
    """The facts form of the round's scheme for one current employee; the POST files it
    (``do_apply`` with ``person``): it waits for her own confirmation."""
    user = signed_in_user(request)
    rnd = selectors.round_detail(round_id)
    scheme = schemes.scheme(rnd.scheme)
    employees = current_employees(user)
    if request.method != "POST":
        chooser = EmployeeForm(employees=employees, initial=_chosen(request, employees))
        form = ApplyForm(scheme=scheme, on=rnd.assessed_on)
        return _file_page(request, rnd, chooser, form, employees)
    if not formtokens.consume(request, FILE_FORM):
        messages.warning(request, _("这张填报表已经提交过了，没有重复填报。"))
        return redirect("settlement:employer")
    chooser = EmployeeForm(request.POST, employees=employees)
    form = ApplyForm(request.POST, scheme=scheme, on=rnd.assessed_on)
    if not (chooser.is_valid() & form.is_valid()):
        return _file_page(request, rnd, chooser, form, employees, status=422)
    person = chooser.person()
    try:
        filed = actions.do_apply(user, rnd, facts=form.facts(), person=person)
    except (InvalidInputError, ConflictError) as exc:
        if exc.field == EMPLOYEE:
            chooser.add_error(EMPLOYEE, exc.message)
        else:
            form.put_error(exc.field, exc.message)
        return _file_page(request, rnd, chooser, form, employees, status=exc.status)
    messages.success(
        request,
        _(
            "已为%(name)s填报%(year)d年度%(scheme)s申请（预估积分 %(score)s 分）。"
            "请提醒她在申报截止（%(c)s）前用本人账户登录确认，否则申请失效；"
            "回执密钥在她确认时只显示给她本人。"
        )
        % {
            "name": person.name,
            "year": rnd.year,
            "scheme": scheme_name(rnd.scheme),
            "score": filed.application.score,
            "c": rnd.closes_on.isoformat(),
        },
    )
    return redirect(reverse("settlement:employer") + "#filings")


def _chosen(request: HttpRequest, employees: list[Employment]) -> dict[str, Any]:
    """``?person=<id>`` preselects a current employee (anyone else is ignored)."""
    asked = request.GET.get(EMPLOYEE, "")
    ids = {job.person_id for job in employees}
    return {EMPLOYEE: int(asked)} if asked.isdigit() and int(asked) in ids else {}


def _file_page(
    request: HttpRequest,
    rnd: Round,
    chooser: EmployeeForm,
    form: ApplyForm,
    employees: list[Employment],
    status: int = 200,
) -> HttpResponse:
    on = today()
    context = {
        "round": rnd,
        "name": scheme_name(rnd.scheme),
        "open": rnd.status == RoundStatus.OPEN and rnd.opens_on <= on <= rnd.closes_on,
        "chooser": chooser,
        "form": form,
        "employees": employees,
        "form_token": formtokens.issue(request, FILE_FORM),
        "token_field": formtokens.FIELD,
    }
    return render(request, "settlement/employer/file.html", context, status=status)
