"""URLs of the settlement pages (namespace ``settlement``), mounted at /settlement/.

Public: the self-check, the open rounds, the published lists and the receipt check. Citizens:
applying, following the case, objecting. Staff: rounds, the review queue, verification,
confirmation, ranking, the notice and objections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path

from liudong.settlement import views, views_analysis, views_employer, views_staff

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

app_name = "settlement"
urlpatterns: list[URLPattern | URLResolver] = [
    # public
    path("", views.self_check, name="self_check"),
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/<int:round_id>/list/", views.ranking_list, name="ranking_list"),
    path("verify/", views.verify, name="verify"),
    # citizens
    path("rounds/<int:round_id>/apply/", views.apply, name="apply"),
    path("rounds/<int:round_id>/object/", views.object_to_list, name="object"),
    path("applications/", views.my_applications, name="my_applications"),
    path("applications/<int:application_id>/", views.application, name="application"),
    path(
        "applications/<int:application_id>/review/",
        views.request_review,
        name="request_review",
    ),
    path(
        "applications/<int:application_id>/confirm/",
        views.confirm_filing,
        name="confirm_filing",
    ),
    path(
        "applications/<int:application_id>/withdraw/",
        views.withdraw,
        name="withdraw",
    ),
    path(
        "applications/<int:application_id>/receipt.json",
        views.receipt_download,
        name="receipt",
    ),
    path(
        "applications/<int:application_id>/check/",
        views.check_my_entry,
        name="check_entry",
    ),
    # employer representatives: confirm employees' employment indicators, file for them
    path("employer/", views_employer.home, name="employer"),
    path(
        "employer/applications/<int:application_id>/confirm/",
        views_employer.confirm_employment,
        name="employer_confirm",
    ),
    path(
        "employer/rounds/<int:round_id>/file/",
        views_employer.file_for_employee,
        name="employer_file",
    ),
    # staff
    path("staff/rounds/", views_staff.rounds, name="staff_rounds"),
    path("staff/rounds/<int:round_id>/", views_staff.round_detail, name="staff_round"),
    path("staff/rounds/<int:round_id>/close/", views_staff.close_round, name="staff_close"),
    path("staff/rounds/<int:round_id>/rank/", views_staff.rank_round, name="staff_rank"),
    path(
        "staff/rounds/<int:round_id>/progress/",
        views_staff.ranking_progress,
        name="staff_progress",
    ),
    path("staff/rounds/<int:round_id>/notice/", views_staff.publish_notice, name="staff_notice"),
    path("staff/rounds/<int:round_id>/permits/", views_staff.issue_permits, name="staff_permits"),
    path("staff/queue/", views_staff.queue, name="staff_queue"),
    path(
        "staff/applications/<int:application_id>/",
        views_staff.application,
        name="staff_application",
    ),
    path(
        "staff/applications/<int:application_id>/step/",
        views_staff.step,
        name="staff_step",
    ),
    path(
        "staff/applications/<int:application_id>/verify/",
        views_staff.verify_indicator,
        name="staff_verify",
    ),
    path(
        "staff/applications/<int:application_id>/confirm/",
        views_staff.confirm,
        name="staff_confirm",
    ),
    path(
        "staff/objections/<int:objection_id>/decide/",
        views_staff.decide_objection,
        name="staff_decide",
    ),
    # analysts: a points scheme over a synthetic population
    path("analysis/", views_analysis.analysis_page, name="analysis"),
    path("analysis/run/", views_analysis.analysis_run, name="analysis_run"),
    path(
        "analysis/runs/<uuid:result_id>/",
        views_analysis.analysis_result,
        name="analysis_result",
    ),
]
