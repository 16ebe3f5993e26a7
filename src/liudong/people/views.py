"""The registry's pages: a citizen's own profile, household and records; the staff's person
search, person page and registration form.

Views are short: decorators admit the role, a selector or action does the work (and the
audit), a template renders. An ``ActionError`` becomes the designed refusal page, and every
403/404 leaves exactly one ``denied`` audit event (:func:`refusals_audited`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liudong.accounts.access import (
    citizen_required,
    refusals_audited,
    signed_in_user,
    staff_required,
)
from liudong.people import access, actions, selectors
from liudong.people.forms import RegisterPersonForm, SearchForm
from liudong.site import formtokens
from liudong.site.actions import audit_refusal
from liudong.site.errors import AccessDeniedError, ConflictError, InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

    from liudong.people.models import Person

    View = Callable[..., HttpResponse]

REGISTER_FORM = "people.register"


def caseworker_required(view: View) -> View:
    """Inside ``staff_required``: only caseworkers (staff, supervisors) of an agency."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.is_caseworker.test(request.user):
            raise AccessDeniedError(_("这一页只对有管辖机构的经办和审核人员开放"))
        return view(request, *args, **kwargs)

    return guarded


def _own_person(request: HttpRequest) -> Person | None:
    return access.persons_for(request.user).first()


# ---------------------------------------------------------------------------------------------
# A citizen's own pages.


@refusals_audited("people.read_own_record")
@citizen_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """My profile: the ID number masked, with a button that shows it in full (audited)."""
    person = _own_person(request)
    if person is None:
        return redirect("accounts:realname")
    return render(request, "people/me.html", {"person": person})


@refusals_audited("people.read_id_number")
@citizen_required
@require_POST
def reveal_my_id(request: HttpRequest) -> HttpResponse:
    person = _own_person(request)
    if person is None:
        return redirect("accounts:realname")
    full = selectors.reveal_id_number(request.user, person)
    return render(request, "people/me.html", {"person": person, "full_id_number": full})


@refusals_audited("people.read_own_household")
@citizen_required
@require_GET
def my_household(request: HttpRequest) -> HttpResponse:
    person = _own_person(request)
    if person is None:
        return redirect("accounts:realname")
    household, members = selectors.current_household(person)
    context = {"person": person, "household": household, "members": members}
    return render(request, "people/my_household.html", context)


@refusals_audited("people.read_own_record")
@citizen_required
@require_GET
def my_records(request: HttpRequest) -> HttpResponse:
    """Hukou history, residence permits, employment and social insurance."""
    person = _own_person(request)
    if person is None:
        return redirect("accounts:realname")
    context = {"person": person, "history": selectors.person_history(person)}
    return render(request, "people/my_records.html", context)


# ---------------------------------------------------------------------------------------------
# Staff pages.


@refusals_audited("people.search_persons")
@staff_required
@caseworker_required
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """Find persons in the jurisdiction by exact ID number (its blind index) or exact name.
    The search is a POST so that an ID number never appears in a URL or an access log."""
    form = SearchForm(request.POST if request.method == "POST" else None)
    results: list[Person] | None = None
    if form.is_valid():
        try:
            results = list(selectors.search_persons(request.user, **form.cleaned_data))
        except InvalidInputError as exc:
            audit_refusal(request.user, "people.search_persons", exc)
            form.add_error("id_number", exc.message)
    return render(request, "people/search.html", {"form": form, "results": results})


@refusals_audited("people.read_person")
@staff_required
@caseworker_required
@require_GET
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's record and its whole history (the read is audited)."""
    found = selectors.read_person(request.user, person_id)
    context = {"person": found, "history": selectors.person_history(found)}
    return render(request, "people/person.html", context)


@refusals_audited("people.read_id_number")
@staff_required
@caseworker_required
@require_POST
def reveal_id(request: HttpRequest, person_id: int) -> HttpResponse:
    found = access.access_person(request.user, person_id, action="people.read_id_number")
    context = {
        "person": found,
        "history": selectors.person_history(found),
        "full_id_number": selectors.reveal_id_number(request.user, found),
    }
    return render(request, "people/person.html", context)


@refusals_audited("people.register_person")
@staff_required
@caseworker_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Register a person: field-level errors, and a second submission of the same form
    (double click, reload) changes nothing."""
    if request.method != "POST":
        return _register_page(request, RegisterPersonForm())
    if not formtokens.consume(request, REGISTER_FORM):
        messages.warning(request, _("这张表已经提交过了，没有重复登记。"))
        return _register_page(request, RegisterPersonForm(), status=409)
    form = RegisterPersonForm(request.POST)
    if not form.is_valid():
        return _register_page(request, form, status=422)
    try:
        registered = actions.do_register_person(signed_in_user(request), **_registration(form))
    except (InvalidInputError, ConflictError) as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _register_page(request, form, status=exc.status)
    messages.success(request, _("已登记：%(name)s") % {"name": registered.name})
    return redirect("people:person", person_id=registered.pk)


def _registration(form: RegisterPersonForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["retirement_group"] = data.get("retirement_group") or ""
    return data


def _register_page(
    request: HttpRequest, form: RegisterPersonForm, status: int = 200
) -> HttpResponse:
    token = formtokens.issue(request, REGISTER_FORM)
    context = {"form": form, "form_token": token, "token_field": formtokens.FIELD}
    return render(request, "people/register.html", context, status=status)
