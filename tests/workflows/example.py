"""The worked example of docs/workflows.md: a request for a document (e.g. a certificate of a
personnel file), registered for the tests only, never in production code."""

from __future__ import annotations

from liudong.workflows import CaseType, State, StateDeadline, Transition

STAFF, SUPERVISOR, CITIZEN, EMPLOYER = "staff", "supervisor", "citizen", "employer"

DOCUMENT_REQUEST = CaseType(
    name="example.document_request",
    states=[
        State("submitted", "已提交", "submitted"),
        State("under_review", "审查中", "under review"),
        State("approved", "已批准", "approved", terminal=True),
        State("refused", "不予批准", "refused", terminal=True),
        State("withdrawn", "已撤回", "withdrawn", terminal=True),
        State("forwarded", "已转至档案现存机构", "forwarded", terminal=True),
    ],
    transitions=[
        Transition("start_review", "submitted", "under_review", frozenset({STAFF, SUPERVISOR})),
        Transition("withdraw", "submitted", "withdrawn", frozenset({CITIZEN, EMPLOYER})),
        # the file moved to another agency before anyone took the request up: the transfer
        # itself forwards the request (a system step, made by the platform, never a user)
        Transition("forward", "submitted", "forwarded", system=True),
        Transition("approve", "under_review", "approved", frozenset({SUPERVISOR}), checker=True),
        Transition(
            "refuse",
            "under_review",
            "refused",
            frozenset({SUPERVISOR}),
            checker=True,
            requires_reason=True,
        ),
    ],
    initial="submitted",
    deadlines={
        "submitted": StateDeadline(5, "MODEL 示例：收到申请后五个工作日内受理", SUPERVISOR),
        "under_review": StateDeadline(15, "MODEL 示例：受理后十五个工作日内审查决定", SUPERVISOR),
    },
    # the employer may ask for its employee's document (only for a current employee)
    openers=frozenset({CITIZEN, EMPLOYER, STAFF, SUPERVISOR}),
)
