"""T7 authorization matrix: every endpoint × every persona × every target scope.

The endpoints are found, not listed: every URL pattern from the resolver (recursively) and
every operation of the OpenAPI document. Each must be declared in ``tests/authz/<app>.py``
(see ``tests/authz/__init__.py``); an undeclared endpoint fails here, so a new page or API
operation cannot ship without its access rule.

For every cell the test expects an allow (2xx/3xx) exactly where the declaration grants the
persona's role the target's scope, and otherwise a denial: 401/403/404 or a redirect to
sign-in, with no personal data in the body and, for a signed-in persona, exactly one
``denied`` audit event. In every response, allowed or not, a registered person's name or ID
number may appear only where the persona may see that person; administrators and auditors
see none at all. Each cell runs in a transaction that is rolled back.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from liudong import regions
from liudong.audit.models import AuditEvent
from liudong.people.models import Region
from liudong.site import formtokens
from liudong.site.api import api
from tests import authz
from tests.authz.people import person_target
from tests.personas import PERSONA_NAMES, login

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.test.client import _MonkeyPatchedWSGIResponse as HttpResponse

    from liudong.accounts.models import User
    from tests.personas import World

API_DOCUMENT_ROUTES = {"api:openapi-json", "api:openapi-view", "api:api-root"}
PERSON_VISIBLE = {
    "citizen": {authz.OWN},
    "employer": {authz.OWN},  # her employer's employees
    "staff": {authz.OWN_JURISDICTION},
    "supervisor": {authz.OWN_JURISDICTION},
}
DECLARED = authz.load()


# ---------------------------------------------------------------------------------------------
# Finding the endpoints.


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or route, route


def url_endpoints() -> dict[str, str]:
    """Route name (or route, if unnamed) → route, except API operations (by operationId)."""
    found = dict(_walk(get_resolver().url_patterns))
    return {
        key: route
        for key, route in found.items()
        if not key.startswith("api:") or key in API_DOCUMENT_ROUTES
    }


@functools.cache
def api_operations() -> dict[str, tuple[str, str]]:
    """operationId → (method, path) for every operation in the OpenAPI document."""
    schema = api.get_openapi_schema(path_prefix="/api/")
    return {
        operation["operationId"]: (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def test_every_endpoint_is_declared_and_every_declaration_exists() -> None:
    existing = set(url_endpoints()) | set(api_operations())
    undeclared = sorted(existing - set(DECLARED))
    stale = sorted(set(DECLARED) - existing)
    assert not undeclared, (
        "declare the access of these endpoints in tests/authz/<app>.py: " + ", ".join(undeclared)
    )
    assert not stale, "these declarations name endpoints that no longer exist: " + ", ".join(stale)


def test_api_operations_declare_their_own_methods() -> None:
    for operation_id, (method, _path) in api_operations().items():
        if operation_id in DECLARED:
            assert DECLARED[operation_id].methods == (method,), operation_id


# ---------------------------------------------------------------------------------------------
# Scopes.


def _relation(home: int, codes: tuple[int, ...]) -> str:
    low, high = Region.code_range(home)
    if any(low <= code < high for code in codes):
        return authz.OWN_JURISDICTION
    if any(Region.code_range(code)[0] <= home < Region.code_range(code)[1] for code in codes):
        return authz.PARENT_JURISDICTION
    if any(regions.parent(code) == regions.parent(home) for code in codes):
        return authz.SIBLING_JURISDICTION
    return authz.OTHER_JURISDICTION


def scope_of(user: User | None, target: authz.Target | None) -> str:
    if target is None:
        return authz.NONE
    if user is None:
        return authz.UNRELATED
    if user.person_id is not None and user.person_id in target.persons:
        return authz.OWN
    if user.role == "employer" and user.employer_id in target.employers:
        return authz.OWN
    if user.role in {"staff", "supervisor"} and user.agency is not None:
        return _relation(user.agency.region_id, target.regions)
    if user.role == "citizen" and target.persons:
        return authz.OTHER_CITIZEN
    return authz.UNRELATED


# ---------------------------------------------------------------------------------------------
# Calling an endpoint.

_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)|\{(\w+)\}")


def _fill(route: str, kwargs: dict[str, Any]) -> str:
    path = _PARAMETER.sub(lambda m: str(kwargs[m.group(1) or m.group(2) or m.group(3)]), route)
    return "/" + path.lstrip("^/").replace("^", "").replace("$", "")


def _url(key: str, endpoint: authz.Endpoint, target: authz.Target | None) -> str:
    kwargs = endpoint.kwargs(target) if endpoint.kwargs is not None else {}
    operations = api_operations()
    if key in operations:
        return _fill(operations[key][1], kwargs)
    route = _routes()[key]
    return _fill(route, kwargs) if key == route else reverse(key, kwargs=kwargs or None)


@functools.cache
def _routes() -> dict[str, str]:
    return url_endpoints()


def _send(
    client: Client, key: str, endpoint: authz.Endpoint, method: str, url: str, body: dict[str, Any]
) -> HttpResponse:
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    if endpoint.form_token:
        request = RequestFactory().get("/")
        request.session = client.session
        token = formtokens.issue(request, endpoint.form_token)
        request.session.save()
        body = {**body, formtokens.FIELD: token}
    return client.post(url, body)


def _text(response: HttpResponse) -> str:
    content = response.content.decode(errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            return json.dumps(json.loads(content), ensure_ascii=False)
        except ValueError:
            return content
    return content


def _outcome(response: HttpResponse) -> str:
    status = response.status_code
    if status in {401, 403, 404}:
        return "deny"
    if status in {301, 302, 303}:
        location = response.get("Location", "")
        signing_in = (reverse("accounts:login"), reverse("admin:login"), reverse("accounts:verify"))
        return "deny" if location.startswith(signing_in) else "allow"
    return "allow" if 200 <= status < 300 else f"error {status}"


class Cell:
    """One request of the matrix and what it must show."""

    def __init__(self, world: World, people: list[authz.Target], key: str, method: str) -> None:
        self.world, self.people, self.key, self.method = world, people, key, method
        self.endpoint = DECLARED[key]

    def run(self, client: Client, user: User | None, target: authz.Target | None) -> list[str]:
        role = user.role if user is not None else "anonymous"
        scope = scope_of(user, target)
        who = f"{user.username if user else 'anonymous'} ({role})"
        where = f"{self.method} {self.key} as {who} on {target.label if target else '-'} [{scope}]"
        with transaction.atomic():
            before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
            body = (
                self.endpoint.body(authz.Call(self.world, user, target))
                if self.endpoint.body
                else {}
            )
            try:
                response = _send(
                    client,
                    self.key,
                    self.endpoint,
                    self.method,
                    _url(self.key, self.endpoint, target),
                    body,
                )
            except Exception as exc:  # reported as a finding of the cell
                transaction.set_rollback(True)
                return [f"{where}: raised {exc!r}"]
            events = list(
                AuditEvent.objects.filter(seq__gt=before).values_list("outcome", flat=True)
            )
            transaction.set_rollback(True)
        expected = scope in self.endpoint.access_for(self.method).get(role, frozenset())
        text = _text(response)
        for sent in body.values():  # what the caller sent may come back (a search form)
            text = text.replace(str(sent), "")
        return self._judge(where, response, text, user, role, expected, events)

    def _judge(
        self,
        where: str,
        response: HttpResponse,
        text: str,
        user: User | None,
        role: str,
        expected: bool,
        events: list[str],
    ) -> list[str]:
        outcome = _outcome(response)
        problems = [
            f"{where}: {p}" for p in self._leaks(text, user, role, denied=outcome == "deny")
        ]
        if self.endpoint.public:
            return problems + ([f"{where}: {outcome}"] if outcome.startswith("error") else [])
        if outcome.startswith("error"):
            return [*problems, f"{where}: {outcome}: {text[:300]}"]
        if expected and outcome != "allow":
            problems.append(f"{where}: expected allow, got {response.status_code}")
        if not expected and outcome != "deny":
            problems.append(f"{where}: UNEXPECTED ALLOW ({response.status_code})")
        if not expected and user is not None and self.endpoint.audited and events != ["denied"]:
            problems.append(
                f"{where}: a denial must leave exactly one denied audit event, not {events}"
            )
        return problems

    def _leaks(self, text: str, user: User | None, role: str, *, denied: bool) -> list[str]:
        leaks = []
        for person in self.people:
            record = person.obj
            if not any(s and s in text for s in (record.name, record.id_masked, record.id_number)):
                continue
            visible = scope_of(user, person) in PERSON_VISIBLE.get(role, set())
            if denied or not visible:
                leaks.append(f"shows {person.label}'s personal data")
        return leaks


def _cases() -> list[tuple[str, str]]:
    return [(key, method) for key in sorted(DECLARED) for method in DECLARED[key].methods]


@pytest.mark.parametrize(("key", "method"), _cases(), ids=[f"{m} {k}" for k, m in _cases()])
def test_declared_access_holds(world: World, key: str, method: str) -> None:
    endpoint = DECLARED[key]
    kinds = authz.target_kinds()
    targets: list[authz.Target | None] = (
        list(kinds[endpoint.target](world)) if endpoint.target else [None]
    )
    people = [person_target(name, getattr(world, name)) for name in _PERSONS]
    cell = Cell(world, people, key, method)
    problems = []
    for user in [None, *(world.persona(name) for name in PERSONA_NAMES)]:
        client = Client() if user is None else login(Client(), user)
        for target in targets:
            problems += cell.run(client, user, target)
    assert not problems, "\n".join(problems)


_PERSONS = ("migrant", "neighbour", "haidian_resident", "municipal_resident", "pudong_resident")
