"""The case type of a points-settlement application: ``settlement.points_application``.

::

    submitted ──start_verification──▶ verifying ──finish_verification──▶ verified
        │                                 ▲                                 │  │
        │ withdraw                        └──────resume_verification────────┘  │ request_review
        ▼                                 ▲                                    ▼ (applicant, within
    withdrawn                             └──────────start_review──── review_requested   the window)

    verified ──confirm (supervisor, checker)──▶ confirmed ──(objection: reopen)──▶ reopened
    verified ──refuse (supervisor, checker, reason)──▶ refused                  │
    reopened ──correct / restore (supervisor)──▶ confirmed ◀─────────────────────┘
    confirmed ──settle / close_not_admitted (when permits are issued)──▶ settled / not_admitted

Maker is not checker: the supervisor who confirms or refuses may not be the user who made the
last maker step (finishing the verification). ``reopen``, ``settle`` and ``close_not_admitted``
are system steps (``system=True``): the round's own events make them (an objection filed,
permits issued) through ``liudong.workflows.actions.do_system_transition``, naming the
objection or the list version as their cause; no user can make them.

Deadlines in working days. The Beijing measures (BJ16, BJ20) and their operating rules fix the
calendar of each round in the annual notice, not a statutory number of days per step: the
limits below are modelling assumptions (MODEL), shown as such.
"""

from __future__ import annotations

from liudong.workflows import CaseType, State, StateDeadline, Transition

CASEWORKERS = frozenset({"staff", "supervisor"})

POINTS_APPLICATION = CaseType(
    name="settlement.points_application",
    states=[
        State("submitted", "已提交", "submitted"),
        State("verifying", "审核中", "verifying"),
        State("verified", "审核完成，待确认", "verified, awaiting confirmation"),
        State("review_requested", "申请复核", "review requested"),
        State("confirmed", "已确认积分", "score confirmed"),
        State("reopened", "因异议重新审核", "reopened after an objection"),
        State("refused", "不予受理", "refused", terminal=True),
        State("withdrawn", "已撤回", "withdrawn", terminal=True),
        State("settled", "已获准落户", "settlement approved", terminal=True),
        State("not_admitted", "未进入落户名单", "not admitted", terminal=True),
    ],
    transitions=[
        Transition("start_verification", "submitted", "verifying", CASEWORKERS),
        Transition("finish_verification", "verifying", "verified", CASEWORKERS),
        Transition("resume_verification", "verified", "verifying", CASEWORKERS),
        Transition("request_review", "verified", "review_requested", frozenset({"citizen"})),
        Transition("start_review", "review_requested", "verifying", CASEWORKERS),
        Transition("confirm", "verified", "confirmed", frozenset({"supervisor"}), checker=True),
        Transition(
            "refuse",
            "verified",
            "refused",
            frozenset({"supervisor"}),
            checker=True,
            requires_reason=True,
        ),
        Transition("withdraw", "submitted", "withdrawn", frozenset({"citizen"})),
        Transition("withdraw_in_verification", "verifying", "withdrawn", frozenset({"citizen"})),
        Transition("withdraw_verified", "verified", "withdrawn", frozenset({"citizen"})),
        Transition("withdraw_in_review", "review_requested", "withdrawn", frozenset({"citizen"})),
        Transition("reopen", "confirmed", "reopened", system=True),
        Transition(
            "correct",
            "reopened",
            "confirmed",
            frozenset({"supervisor"}),
            checker=True,
            requires_reason=True,
        ),
        Transition(
            "restore",
            "reopened",
            "confirmed",
            frozenset({"supervisor"}),
            checker=True,
            requires_reason=True,
        ),
        Transition("settle", "confirmed", "settled", system=True),
        Transition("close_not_admitted", "confirmed", "not_admitted", system=True),
    ],
    initial="submitted",
    deadlines={
        "submitted": StateDeadline(
            5, "MODEL 积分落户申请提交后五个工作日内开始审核（北京按年度通知安排）", "supervisor"
        ),
        "verifying": StateDeadline(
            20, "MODEL 积分指标审核二十个工作日内完成（北京按年度通知安排）", "supervisor"
        ),
        "review_requested": StateDeadline(
            5, "MODEL 收到复核申请后五个工作日内启动复核", "supervisor"
        ),
        "reopened": StateDeadline(10, "MODEL 公示期异议十个工作日内核查处理", "supervisor"),
    },
    openers=frozenset({"citizen"}),
)
