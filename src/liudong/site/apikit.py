"""What every app's ``api.py`` builds on: strict input schemas, the error schema, money as
strings, limit/offset pages and the calling user.

An app writes ``router = Router(tags=[...])`` with schemas derived from :class:`Input` and
handlers that parse, call one action and return; ``liudong.site.api`` mounts the router.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from django.http import HttpRequest

    from liudong.accounts.models import User

M = TypeVar("M", bound="Model")
MAX_LIMIT = 100


class Input(Schema):
    """Base of every request body: unknown keys are refused (``unknown_field``), not ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None


class ErrorOut(Schema):
    """The one error shape: ``{"error": {"code", "message", "field"}}``."""

    error: ErrorDetail


ERRORS: dict[int, type[ErrorOut]] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422), ErrorOut)
"""Merge into every operation's ``response=`` so the OpenAPI document lists the errors."""


def _money_from_json(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, str):
        raise PydanticCustomError(
            "money_not_string",
            'amounts are JSON strings such as "8000.00", never numbers: a binary float '
            "cannot hold most fen values exactly",
        )
    return value


MoneyIn = Annotated[
    str,
    BeforeValidator(_money_from_json),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,12}(\.\d{1,2})?$", "example": "8000.00"}),
]
"""An amount in yuan in a request: a string, validated exactly by the action."""

RegionCode = Annotated[int, Field(ge=100000, le=999999, description="a GB/T 2260 code")]
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]

MoneyOut = Annotated[
    Decimal,
    PlainSerializer(lambda amount: f"{amount:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "example": "8000.00"}),
]


MAX_OFFSET = 1_000_000_000  # far beyond any list; keeps OFFSET within the database's integers


class PageQuery(Schema):
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description=f"at most {MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def paginate(queryset: QuerySet[M], page: PageQuery) -> dict[str, Any]:
    """One page of a list endpoint: ``items``, ``count``, ``limit``, ``offset``."""
    items = list(queryset[page.offset : page.offset + page.limit])
    return {"items": items, "count": queryset.count(), "limit": page.limit, "offset": page.offset}


def caller(request: HttpRequest) -> User:
    """The authenticated caller (the API refuses anonymous requests before handlers run)."""
    return cast("User", request.auth)  # type: ignore[attr-defined]  # set by ninja's auth
