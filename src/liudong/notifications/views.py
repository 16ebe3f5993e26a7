"""The inbox (/notifications/): one's own notifications, newest first, 50 a page, unread
ones highlighted; and marking one read (POST). Another user's notification is a 404 page
with one ``denied`` audit event (written by the action)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from liudong.accounts.access import refusals_audited, signed_in_user
from liudong.notifications import actions, selectors
from liudong.notifications.access import signed_in_required

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

PAGE_SIZE = 50


@signed_in_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notifications."""
    user = signed_in_user(request)
    page = Paginator(selectors.inbox(user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "notifications": list(page.object_list)}
    return render(request, "notifications/inbox.html", context)


@refusals_audited(actions.MARK_READ)
@signed_in_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one's own notification read, then go to its link (or back to the inbox)."""
    notification = actions.do_mark_read(signed_in_user(request), pk)
    if request.POST.get("open") and notification.link:
        return redirect(notification.link)
    return redirect("notifications:inbox")
