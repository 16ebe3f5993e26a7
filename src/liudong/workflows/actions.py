"""Every write to a case: open it, move it along its case type's transitions, escalate it when
overdue. Each runs in one transaction and writes the case, its ``CaseTransition`` history row
and its audit event together; a refusal is audited once, after the rollback (``@action``).

A transition is a compare-and-set on (pk, state, version): of two users moving the same case
at once, exactly one succeeds and the other gets 409 ``case_changed`` (reload and look again).

Users make the steps their role allows (``do_transition``); the platform makes the steps
declared ``system=True`` when something happens elsewhere (``do_system_transition``, no actor,
naming its cause). Neither path makes the other's steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from liudong.accounts.models import Role, User
from liudong.audit.events import record
from liudong.people.models import Person, Region
from liudong.site.actions import action
from liudong.site.errors import (
    AccessDeniedError,
    ActionError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
)
from liudong.site.text import join_clauses, join_list, parenthesized
from liudong.workdays import add_working_days
from liudong.workflows import access, registry
from liudong.workflows.models import Case, CaseTransition

if TYPE_CHECKING:
    import datetime as dt

    from django.db import models

    from liudong.workdays import Deadline
    from liudong.workflows.definition import CaseType, StateDeadline, Transition

SHANGHAI = ZoneInfo("Asia/Shanghai")
REASON_MAX_LENGTH = 2000
CAUSE_MAX_LENGTH = 128
CASE = "workflows.case"  # the object type of cases in audit events


def today_local(now: dt.datetime | None = None) -> dt.date:
    """The date in China (Asia/Shanghai) at ``now`` (default: the current time)."""
    return timezone.localtime(now or timezone.now(), SHANGHAI).date()


# ---------------------------------------------------------------------------------------------
# Opening a case.


@action("workflows.open_case")
def do_open_case(
    actor: User | None,
    case_type: CaseType | str,
    jurisdiction: Region | int,
    subject: Person | None = None,
) -> Case:
    """Open a case in its initial state, with that state's deadline (if it has one)."""
    user = _signed_in(actor)
    declared = _declared(case_type)
    region = _region(jurisdiction)
    if user.role not in declared.openers:
        raise AccessDeniedError(
            _("%(role)s不能办理这类案件的申请；可以申请的是：%(roles)s")
            % {"role": Role(user.role).label, "roles": _roles(declared.openers)},
            code="role_not_allowed",
        )
    if not access.may_open(user, region.code, subject.pk if subject is not None else None):
        raise AccessDeniedError(
            _("只能为本人申请，或在本机构管辖范围内立案"), code="outside_jurisdiction"
        )
    now = timezone.now()
    deadline = _deadline(declared, declared.initial, now)
    case = Case.objects.create(
        case_type=declared.name,
        state=declared.initial,
        jurisdiction=region,
        subject=subject,
        opened_at=now,
        opened_by=user,
        deadline=deadline.date if deadline else None,
        deadline_provisional=bool(deadline and deadline.provisional),
    )
    _history(case, CaseTransition.OPEN, "", declared.initial, user, now, maker=True)
    record(user, "workflows.open_case", case, detail=_detail(case, "open", ""))
    return case


# ---------------------------------------------------------------------------------------------
# Transitions.


@action("workflows.transition")
def do_transition(actor: User | None, case: Case, transition_name: str, reason: str = "") -> Case:
    """Make ``transition_name`` on ``case`` (as loaded by the caller, whose state and version
    it must still have). Updates ``case`` in place and returns it."""
    try:
        return _transition(actor, case, transition_name, reason)
    except ActionError as exc:
        exc.about(CASE, case.pk)
        raise


def _transition(actor: User | None, case: Case, name: str, reason: str) -> Case:
    user = _signed_in(actor)
    current = access.cases_for(user).filter(pk=case.pk).first()
    if current is None:
        raise AccessDeniedError(_("这件案件不在您的办理范围内"), code="outside_jurisdiction")
    if current.version != case.version:
        raise _changed()
    declared = registry.case_type(current.case_type)
    step = _step(declared, current, user, name)
    if step.checker:
        _not_the_maker(current, user, declared)
    reason = _reason(reason, step)
    now = timezone.now()
    for field, value in _move(current, step, declared, now).items():
        setattr(case, field, value)
    _history(
        case, step.name, step.source, step.target, user, now, maker=not step.checker, reason=reason
    )
    record(user, "workflows.transition", case, detail=_detail(case, step.name, step.source))
    return case


def _move(current: Case, step: Transition, declared: CaseType, now: dt.datetime) -> dict[str, Any]:
    """Compare-and-set ``current`` (as read now) into ``step.target`` with its deadline; the
    fields written, version included. 409 ``case_changed`` if someone moved it meanwhile."""
    deadline = _deadline(declared, step.target, now)
    fields: dict[str, Any] = {
        "state": step.target,
        "deadline": deadline.date if deadline else None,
        "deadline_provisional": bool(deadline and deadline.provisional),
        "escalated_at": None,
    }
    moved = Case.objects.filter(pk=current.pk, state=current.state, version=current.version)
    if moved.update(version=F("version") + 1, **fields) != 1:
        raise _changed()
    return {**fields, "version": current.version + 1}


def _step(declared: CaseType, case: Case, user: User, name: str) -> Transition:
    """The transition ``name`` if ``user``'s role may make it from the case's state now."""
    step = _declared_step(declared, name)
    if step.system:
        raise AccessDeniedError(
            _("“%(name)s”由系统在相关事项发生时自动办理，不能由用户办理") % {"name": name},
            code="system_step",
        )
    if user.role not in step.roles:
        raise AccessDeniedError(
            _("“%(name)s”只能由%(roles)s办理") % {"name": name, "roles": _roles(step.roles)},
            code="role_not_allowed",
        )
    if step.source != case.state:
        raise InvalidInputError("transition_not_allowed", _not_now(declared, case, name))
    return step


def _declared_step(declared: CaseType, name: str, *, system: bool = False) -> Transition:
    """The transition ``name``; unknown: an error listing the user steps (or, on the system
    path, the system steps)."""
    step = declared.transition(name)
    if step is None:
        known = ", ".join(t.name for t in declared.transitions if t.system == system)
        raise InvalidInputError(
            "unknown_transition",
            _("这类案件没有“%(name)s”这一步；可以办理的步骤有：%(known)s")
            % {"name": name, "known": known},
            "transition",
        )
    return step


def _not_now(declared: CaseType, case: Case, name: str) -> str:
    state = _state_label(declared, case.state)
    allowed = declared.allowed_from(case.state)
    if not allowed:
        return _("案件已是“%(state)s”，已经办结，不能再办理“%(name)s”") % {
            "state": state,
            "name": name,
        }
    steps = join_clauses(f"{t.name}{parenthesized(_who(t))}" for t in allowed)
    return _("案件现在是“%(state)s”，不能办理“%(name)s”；现在可以办理：%(steps)s") % {
        "state": state,
        "name": name,
        "steps": steps,
    }


def _not_the_maker(case: Case, user: User, declared: CaseType) -> None:
    """Maker is not checker: the user who made the last maker step may not check it."""
    last = CaseTransition.objects.filter(case=case, maker=True).order_by("-pk").first()
    if last is not None and last.actor_id == user.pk:
        raise AccessDeniedError(
            _("上一步（办理至“%(state)s”）是您办理的，须由另一位审核人员审核")
            % {"state": _state_label(declared, last.target)},
            code="maker_is_checker",
        )


def _state_label(declared: CaseType, name: str) -> str:
    return declared.state_label(name, get_language())


def _reason(reason: str, step: Transition) -> str:
    cleaned = reason.strip()
    if step.requires_reason and not cleaned:
        raise InvalidInputError(
            "reason_required",
            _("“%(name)s”必须写明理由：依据哪一条规定、哪些事实，申请人可以怎样补正或申诉")
            % {"name": step.name},
            "reason",
        )
    if len(cleaned) > REASON_MAX_LENGTH:
        raise InvalidInputError(
            "too_long", _("理由最多%(n)d个字符") % {"n": REASON_MAX_LENGTH}, "reason"
        )
    return cleaned


def _who(step: Transition) -> str:
    return str(_("系统")) if step.system else _roles(step.roles)


def _changed() -> ConflictError:
    return ConflictError(
        "case_changed",
        _("这件案件刚被别人办理过，您看到的已不是最新状态；请刷新后重新查看再办理"),
    )


# ---------------------------------------------------------------------------------------------
# System steps: made by the platform on an event, never by a user.


def cause_of(obj: models.Model) -> str:
    """The ``caused_by`` of a system step made because of ``obj`` (a saved record):
    ``"<app>.<model>:<pk>"``, e.g. ``"settlement.objection:12"``."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def do_system_transition(case: Case, transition_name: str, *, reason: str, caused_by: str) -> Case:
    """Make the system step ``transition_name`` (declared ``system=True``) on ``case``, as
    loaded by the caller (its version must not have changed since: 409 ``case_changed``),
    because of ``caused_by`` (``cause_of(record)``). No user makes it: the history row has no
    actor, is not a maker step and keeps ``reason`` (required: the applicant reads it) and
    ``caused_by``; the audit event is ``workflows.transition`` without an actor and with
    ``"system": true``. The new state's deadline starts as for any transition.

    Refusals, audited like any action's: ``not_a_system_step`` (403: a user's step),
    ``unknown_transition``, ``transition_not_allowed``, ``reason_required``/``too_long``
    (``reason``), ``required``/``too_long`` (``caused_by``), 404 for a case that does not
    exist, 409 ``case_changed``. Called inside a domain action, it commits or vanishes with it."""
    return _system_transition(None, case, transition_name, reason, caused_by)


@action("workflows.transition")
def _system_transition(
    actor: User | None, case: Case, name: str, reason: str, caused_by: str
) -> Case:
    try:
        return _system_step(case, name, reason, caused_by)
    except ActionError as exc:
        exc.about(CASE, case.pk)
        raise


def _system_step(case: Case, name: str, reason: str, caused_by: str) -> Case:
    current = Case.objects.filter(pk=case.pk).first()
    if current is None:
        raise NotFoundError(_("没有这件案件"))
    if current.version != case.version:
        raise _changed()
    declared = registry.case_type(current.case_type)
    step = _declared_step(declared, name, system=True)
    if not step.system:
        raise AccessDeniedError(
            _("“%(name)s”须由%(roles)s办理，系统不能代为办理")
            % {"name": name, "roles": _roles(step.roles)},
            code="not_a_system_step",
        )
    if step.source != current.state:
        raise InvalidInputError("transition_not_allowed", _not_now(declared, current, name))
    reason = _system_reason(reason)
    caused_by = _cause(caused_by)
    now = timezone.now()
    fields = _move(current, step, declared, now)
    for field, value in fields.items():
        setattr(case, field, value)
    _history(
        case,
        step.name,
        step.source,
        step.target,
        None,
        now,
        maker=False,
        reason=reason,
        caused_by=caused_by,
    )
    detail = {**_detail(case, step.name, step.source), "system": True, "caused_by": caused_by}
    record(None, "workflows.transition", case, detail=detail)
    return case


def _system_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise InvalidInputError(
            "reason_required",
            _("系统办理的步骤必须写明原因（例如哪一件异议、哪一版名单），申请人会看到"),
            "reason",
        )
    if len(cleaned) > REASON_MAX_LENGTH:
        raise InvalidInputError(
            "too_long", _("理由最多%(n)d个字符") % {"n": REASON_MAX_LENGTH}, "reason"
        )
    return cleaned


def _cause(caused_by: str) -> str:
    cleaned = caused_by.strip()
    if not cleaned:
        raise InvalidInputError(
            "required",
            _("请写明引起这一步的记录，格式为“应用.模型:编号”，例如 settlement.objection:12"),
            "caused_by",
        )
    if len(cleaned) > CAUSE_MAX_LENGTH:
        raise InvalidInputError(
            "too_long", _("最多%(n)d个字符") % {"n": CAUSE_MAX_LENGTH}, "caused_by"
        )
    return cleaned


# ---------------------------------------------------------------------------------------------
# The sweep: escalate overdue cases.


@dataclass(frozen=True)
class Escalation:
    case_id: int
    case_type: str
    state: str
    deadline: dt.date
    escalate_to_role: str
    cite: str


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did: the cases it escalated, and overdue cases it could not (their case
    type is not registered in this process, or no longer declares a deadline for the state)."""

    today: dt.date
    escalated: tuple[Escalation, ...]
    skipped: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return len(self.escalated)

    def lines(self) -> list[str]:
        head = f"{self.today}: escalated {self.count} overdue case(s)"
        lines = [head] + [
            f"  case {e.case_id} {e.case_type} in {e.state}, due {e.deadline} ({e.cite})"
            f" -> {e.escalate_to_role}"
            for e in self.escalated
        ]
        if self.skipped:
            lines.append(
                f"  skipped {len(self.skipped)} overdue case(s) without a registered deadline: "
                + ", ".join(map(str, self.skipped))
            )
        return lines


def do_sweep_overdue(now: dt.datetime | None = None) -> SweepReport:
    """Escalate every case whose deadline (a date in China) is before today and which has not
    been escalated in its current state. Idempotent: a second sweep escalates nothing new.

    Each case is escalated in its own transaction (a compare-and-set that loses to a transition
    made meanwhile, which leaves the case alone), with a history row and an audit event
    ``workflows.escalate``."""
    now = now or timezone.now()
    today = today_local(now)
    overdue = Case.objects.filter(deadline__lt=today, escalated_at__isnull=True)
    escalated, skipped = [], []
    for case in overdue.order_by("deadline", "pk"):
        rule = _deadline_rule(case)
        if rule is None or case.deadline is None:
            skipped.append(case.pk)
        elif _escalate(case, rule, now):
            escalated.append(
                Escalation(
                    case.pk,
                    case.case_type,
                    case.state,
                    case.deadline,
                    rule.escalate_to_role,
                    rule.cite,
                )
            )
    return SweepReport(today=today, escalated=tuple(escalated), skipped=tuple(skipped))


def _deadline_rule(case: Case) -> StateDeadline | None:
    try:
        return registry.case_type(case.case_type).deadlines.get(case.state)
    except LookupError:
        return None


def _escalate(case: Case, rule: StateDeadline, now: dt.datetime) -> bool:
    """Escalate ``case`` unless it moved on (or was escalated) since it was read."""
    with transaction.atomic():
        still = Case.objects.filter(
            pk=case.pk, state=case.state, version=case.version, escalated_at__isnull=True
        )
        if still.update(escalated_at=now) != 1:
            return False
        _history(case, CaseTransition.ESCALATE, case.state, case.state, None, now, maker=False)
        record(
            None,
            "workflows.escalate",
            object_type=CASE,
            object_id=str(case.pk),
            detail={
                "case_type": case.case_type,
                "state": case.state,
                "deadline": case.deadline.isoformat() if case.deadline else None,
                "escalate_to_role": rule.escalate_to_role,
                "cite": rule.cite,
            },
        )
    return True


# ---------------------------------------------------------------------------------------------
# Shared pieces.


def _signed_in(actor: User | None) -> User:
    if not isinstance(actor, User) or not actor.is_authenticated:
        raise UnauthenticatedError
    return actor


def _declared(case_type: CaseType | str) -> CaseType:
    name = case_type if isinstance(case_type, str) else case_type.name
    try:
        return registry.case_type(name)
    except LookupError as exc:
        raise InvalidInputError("unknown_case_type", str(exc), "case_type") from None


def _region(jurisdiction: Region | int) -> Region:
    if isinstance(jurisdiction, Region):
        return jurisdiction
    region = Region.objects.filter(pk=jurisdiction).first()
    if region is None:
        raise InvalidInputError(
            "unknown_region",
            _("%(c)s 不是有效的行政区划代码") % {"c": jurisdiction},
            "jurisdiction",
        )
    return region


def _roles(roles: frozenset[str]) -> str:
    return join_list(Role(r).label for r in sorted(roles))


def _deadline(declared: CaseType, state: str, now: dt.datetime) -> Deadline | None:
    rule = declared.deadlines.get(state)
    if rule is None:
        return None
    return add_working_days(today_local(now), rule.working_days)


def _history(
    case: Case,
    name: str,
    source: str,
    target: str,
    actor: User | None,
    at: dt.datetime,
    *,
    maker: bool,
    reason: str = "",
    caused_by: str = "",
) -> CaseTransition:
    return CaseTransition.objects.create(
        case=case,
        name=name,
        source=source,
        target=target,
        actor=actor,
        at=at,
        reason=reason,
        maker=maker,
        caused_by=caused_by,
    )


def _detail(case: Case, step: str, source: str) -> dict[str, Any]:
    return {
        "case_type": case.case_type,
        "transition": step,
        "source": source,
        "target": case.state,
        "deadline": case.deadline.isoformat() if case.deadline else None,
        "deadline_provisional": case.deadline_provisional,
    }
