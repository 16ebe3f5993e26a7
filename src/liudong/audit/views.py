"""The auditors' pages: search the audit trail, read one event. Each read is audited."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from liudong.audit import selectors
from liudong.audit.access import auditor_required
from liudong.audit.events import record
from liudong.audit.forms import SearchForm
from liudong.audit.models import AuditEvent, Outcome

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

PAGE_SIZE = 50


@require_GET
@auditor_required("audit.search")
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, label_suffix="")
    valid = not form.is_bound or form.is_valid()
    filters = form.cleaned_data if form.is_bound and valid else {}
    found = selectors.search_events(filters) if valid else AuditEvent.objects.none()
    with transaction.atomic():
        page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        events = list(page.object_list)
        record(
            request.user,
            "audit.search",
            outcome=Outcome.OK if valid else Outcome.REJECTED,
            detail={"filters": form.used(), "page": page.number, "shown": len(events)},
        )
    context = {"form": form, "page": page, "events": events, "query": _query_without_page(request)}
    return render(request, "audit/search.html", context)


@require_GET
@auditor_required("audit.read_event")
def event_detail(request: HttpRequest, seq: int) -> HttpResponse:
    with transaction.atomic():
        event = AuditEvent.objects.filter(seq=seq).first()
        seal = selectors.seal_of(seq) if event else None
        record(
            request.user,
            "audit.read_event",
            outcome=Outcome.OK if event else Outcome.REJECTED,
            detail={} if event else {"code": "not_found"},
            object_type=AuditEvent._meta.label_lower,
            object_id=str(seq),
        )
    if event is None:
        raise Http404
    detail = json.dumps(event.detail, ensure_ascii=False, indent=2, sort_keys=True)
    context = {"event": event, "seal": seal, "detail": detail}
    return render(request, "audit/event.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
