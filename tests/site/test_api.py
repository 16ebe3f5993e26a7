"""The API's infrastructure: one error shape for every failure, bearer tokens and sessions,
CSRF, pagination, the OpenAPI document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from liudong.audit.models import AuditEvent
from liudong.site import apiauth
from liudong.site.models import ApiToken
from tests.apiclient import Api, error_of
from tests.factories import PersonFactory
from tests.personas import login

if TYPE_CHECKING:
    from pytest_django import DjangoAssertNumQueries

    from tests.personas import World

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# One error shape.


def test_401_for_anonymous_callers(world: World) -> None:
    response = Api().get("/people/persons")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"
    assert not AuditEvent.objects.exists()


def test_404_for_an_unknown_api_url(world: World) -> None:
    response = Api(world.beijing_caseworker).get("/people/nothing-here")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_404_for_a_record_outside_the_scope_leaks_nothing(world: World) -> None:
    response = Api(world.beijing_caseworker).get(f"/people/persons/{world.haidian_resident.pk}")
    assert response.status_code == 404
    assert "张海淀" not in response.content.decode()
    missing = Api(world.beijing_caseworker).get("/people/persons/999999")
    assert error_of(missing) == error_of(response)  # exists or not: the same answer


def test_403_for_a_role_that_may_not(world: World) -> None:
    response = Api(world.auditor).get("/people/persons")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert AuditEvent.objects.get().outcome == "denied"


def test_405_for_a_wrong_method(world: World) -> None:
    response = Api(world.beijing_caseworker).client.delete("/api/people/persons")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_422_names_the_field_path(world: World) -> None:
    response = Api(world.beijing_caseworker).post(
        f"/people/persons/{world.migrant.pk}/hukou",
        {"region": "x", "hukou_type": "urban", "on": "2024-01-01"},
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "region"
    assert error_of(response)["code"] == "invalid"


def test_a_query_parameter_error_names_it(world: World) -> None:
    response = Api(world.beijing_caseworker).get("/people/persons", limit=101)
    assert response.status_code == 422
    assert error_of(response)["field"] == "limit"


def test_500_has_the_shape_and_no_traceback(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from liudong.people import selectors

    def broken(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "read_person", broken)
    response = Api(world.beijing_caseworker).get(f"/people/persons/{world.migrant.pk}")
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Sessions and CSRF.


def test_a_session_post_without_csrf_is_refused(world: World) -> None:
    api = Api(world.beijing_caseworker, client=Client(enforce_csrf_checks=True))
    response = api.post(
        "/people/agencies", {"code": "x", "name": "x", "kind": "employment", "region": 110105}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"


def test_a_session_post_with_csrf_passes(world: World) -> None:
    client = login(Client(enforce_csrf_checks=True), world.admin)
    client.get("/people/me/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    api = Api(client=client)
    body = {"code": "bj-dongcheng", "name": "东城", "kind": "employment", "region": 110105}
    response = api.post("/people/agencies", body, **{"X-CSRFToken": token})
    assert response.status_code == 201, response.content


def test_an_anonymous_post_is_401_not_a_csrf_error(world: World) -> None:
    response = Api(client=Client(enforce_csrf_checks=True)).post("/people/persons", {})
    assert response.status_code == 401


# ---------------------------------------------------------------------------------------------
# Bearer tokens.


def test_a_token_is_shown_once_and_stored_only_as_its_digest(world: World) -> None:
    token, raw = apiauth.do_create_api_token(world.beijing_caseworker, name="batch import")
    assert raw.startswith("ldt_")
    assert len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.digest, stored.hint)
    assert stored.digest == apiauth.token_digest(raw)
    assert AuditEvent.objects.filter(action="site.create_api_token").count() == 1


def test_a_bearer_token_authenticates_without_cookies_or_csrf(world: World) -> None:
    _, raw = apiauth.do_create_api_token(world.beijing_caseworker, name="batch import")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    api = Api(client=client)
    assert api.get("/people/persons").status_code == 200
    body = {"scheme": "medical", "city": 110000, "start": "2024-01-01"}
    assert api.post(f"/people/persons/{world.migrant.pk}/insurance", body).status_code == 201
    assert ApiToken.objects.get().last_used is not None


def test_a_revoked_or_unknown_token_is_401(world: World) -> None:
    token, raw = apiauth.do_create_api_token(world.beijing_caseworker, name="old")
    apiauth.do_revoke_api_token(world.beijing_caseworker, token.pk)
    for value in (raw, "ldt_" + "x" * 43, "not-a-token"):
        response = Api(client=Client(headers={"Authorization": f"Bearer {value}"})).get(
            "/people/persons"
        )
        assert response.status_code == 401, value


def test_only_the_owner_or_an_administrator_revokes_a_token(world: World) -> None:
    from liudong.site.errors import NotFoundError

    token, _ = apiauth.do_create_api_token(world.beijing_caseworker, name="mine")
    with pytest.raises(NotFoundError):
        apiauth.do_revoke_api_token(world.shanghai_officer, token.pk)
    assert apiauth.do_revoke_api_token(world.admin, token.pk).revoked is not None


# ---------------------------------------------------------------------------------------------
# Pages of lists.


def test_lists_are_paginated_with_limit_and_offset(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(30):
        PersonFactory.create(hukou=110105)
    api = Api(world.beijing_caseworker)
    with django_assert_max_num_queries(12):
        first = api.get("/people/persons", limit=25).json()
    assert (len(first["items"]), first["count"], first["limit"], first["offset"]) == (25, 32, 25, 0)
    rest = api.get("/people/persons", limit=25, offset=25).json()
    assert len(rest["items"]) == 7
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in rest["items"]}


def test_employment_lists_cost_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    from tests.factories import EmploymentFactory

    for _ in range(20):
        EmploymentFactory.create(employer=world.employer)
    api = Api(world.employer_rep)
    with django_assert_max_num_queries(12):
        page = api.get("/people/employments", limit=100).json()
    assert page["count"] == 21
    assert "id_number" not in json.dumps(page)


# ---------------------------------------------------------------------------------------------
# The documents.


def test_the_openapi_document_and_docs_are_served(world: World) -> None:
    schema = Client().get("/api/openapi.json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"people_register_person", "people_get_person"} <= operations
    register = schema["paths"]["/api/people/persons"]["post"]
    assert {"201", "400", "401", "403", "409", "422"} <= set(register["responses"])
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    docs = Client().get("/api/docs")
    assert docs.status_code == 200
    assert "cdn.jsdelivr" not in docs.content.decode()  # served from our own static files


def test_huge_numbers_are_refused_or_not_found_never_a_500(world: World) -> None:
    api = Api(world.beijing_caseworker)
    huge = 10**22
    assert api.get(f"/people/persons/{huge}").status_code == 404
    assert api.get("/people/regions", offset=huge).status_code == 422
    assert api.get("/people/regions", parent=huge).status_code == 422
    body = {"person_id": huge, "employer_id": huge, "start": "2024-01-01"}
    assert api.post("/people/employments", body).status_code == 422
    body["person_id"] = body["employer_id"] = 2**63 - 1
    assert api.post("/people/employments", body).status_code == 404
