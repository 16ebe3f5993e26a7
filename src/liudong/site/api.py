"""The JSON API: one NinjaAPI at /api/ (OpenAPI at /api/openapi.json, docs at /api/docs), a
router per app (each app's ``api.py``, mounted at the bottom of this module).

Every failure has one shape, ``{"error": {"code", "message", "field"}}``: designed action
errors, validation errors (422, the field path), unreadable bodies (400), bodies over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413), 401/403/404/405, and unexpected exceptions (500,
``server_error``, no traceback). A refusal is audited once (``denied`` or ``rejected``),
401s and unknown URLs are not. Callers authenticate with a bearer token or the session
(CSRF on unsafe methods, :mod:`liudong.site.apiauth`); unsafe methods go through
:mod:`liudong.site.idempotency`.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import URLPattern
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from liudong.certificates.api import router as certificates_router
from liudong.people.api import router as people_router
from liudong.settlement.api import router as settlement_router
from liudong.site import idempotency
from liudong.site.actions import audit_refusal
from liudong.site.apiauth import AUTH, authenticated_user
from liudong.site.errors import (
    ActionError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    UnauthenticatedError,
)
from liudong.site.models import IdempotencyRecord
from liudong.tasks.api import router as tasks_router

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest
    from django.http.response import HttpResponseBase
    from django.urls import URLResolver
    from ninja.openapi.schema import OpenAPISchema
    from ninja.operation import Operation

logger = logging.getLogger(__name__)
E = TypeVar("E", bound=Exception)

SERVER_ERROR = {
    "error": {
        "code": "server_error",
        "message": "something went wrong on our side; nothing was changed. Try again later, and "
        "tell the helpdesk if it keeps happening",
        "field": None,
    }
}
# pydantic error types with a code of their own; every other validation error is "invalid"
VALIDATION_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "money_not_string": "money_not_string",
}
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "throttled",
}


# ---------------------------------------------------------------------------------------------
# Request bodies: UTF-8 JSON, strictly.


class StrictJSONParser(Parser):
    """JSON bodies in UTF-8 only, with no duplicate keys, NaN/Infinity, NUL or other control
    characters, or lone surrogates; each refusal names its code and field."""

    def parse_body(self, request: HttpRequest) -> Any:
        charset = (request.content_params or {}).get("charset", "utf-8").lower()
        if charset not in {"utf-8", "utf8"}:
            raise ActionError(
                "unsupported_charset", f"send the body as UTF-8, not {charset[:20]}", "body"
            )
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ActionError(
                "body_encoding", f"the body is not valid UTF-8 (byte {exc.start})", "body"
            ) from None
        try:
            data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise ActionError(
                "invalid_json", f"the body is not JSON: {exc.msg} at line {exc.lineno}", "body"
            ) from None
        _check_strings(data, "")
        return data


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InvalidInputError("duplicate_key", f"the key {key!r} appears twice", key)
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise ActionError("invalid_number", f"{name} is not a JSON number", "body")


def _check_strings(value: Any, path: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_string(key, path or "body")
            _check_strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}.{index}" if path else str(index))
    elif isinstance(value, str):
        _check_string(value, path or "body")


def _check_string(text: str, field: str) -> None:
    if "\x00" in text:
        raise InvalidInputError("nul_character", "text may not contain NUL (\\u0000)", field)
    if any(ord(c) < 0x20 and c not in "\t\n\r" for c in text):
        raise InvalidInputError(
            "control_character", "text may not contain control characters", field
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(
            "lone_surrogate", "text contains a lone UTF-16 surrogate such as \\ud800", field
        ) from None


# ---------------------------------------------------------------------------------------------
# The API object.


class LiudongAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Built once per prefix (it costs most of a second; the routes never change)."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cache: dict[str, OpenAPISchema] = self.__dict__.setdefault("_schemas", {})
        if path_prefix not in cache:
            cache[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return cache[path_prefix]

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """``<app>_<handler>``, e.g. ``people_register_person``: stable and readable."""
        app = operation.view_func.__module__.split(".")[1]
        return f"{app}_{operation.view_func.__name__}"

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_405(pattern.callback)
        return patterns


def _json_405(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """ninja answers a wrong method with a bare 405; give it the error shape."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        error = ActionError("method_not_allowed", f"{request.method} is not allowed here")
        refused = _error_json(error, status=405)
        refused["Allow"] = response.get("Allow", "")
        return refused

    return wrapped


api = LiudongAPI(
    title="liudong API",
    version="1",
    description="流动 liudong: the registry and the services of the 2019 Opinions on the "
    "social mobility of labour and talents. Errors: "
    '`{"error": {"code", "message", "field"}}`. Every POST needs an `Idempotency-Key`.',
    urls_namespace="api",
    auth=AUTH,
    parser=StrictJSONParser(),
)


def _error_json(exc: ActionError, *, status: int | None = None) -> HttpResponse:
    return JsonResponse(exc.as_dict(), status=status or exc.status)


def refusal(request: HttpRequest, exc: ActionError) -> HttpResponse:
    """The response to a refusal, audited once (unless it is a 401 or a server error)."""
    if exc.status != 401 and exc.status < 500:
        where = {"method": request.method, "path": request.path}
        audit_refusal(request.user, "api.request", exc, extra=where)
    return _error_json(exc)


def _on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return refusal(request, exc)


def _on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {"loc": (), "type": "invalid", "msg": "invalid"}
    location = [str(part) for part in first.get("loc", ())[1:]]
    if len(location) > 1 and location[0] in {"payload", "body", "data"}:
        location = location[1:]  # the handler's parameter name is not part of the document
    more = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
    code = VALIDATION_CODES.get(str(first.get("type")), "invalid")
    error = InvalidInputError(
        code, f"{first.get('msg', 'invalid')}{more}", ".".join(location) or None
    )
    return refusal(request, error)


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ActionError):  # raised by our parser, wrapped by ninja
        return refusal(request, exc.__cause__)
    if exc.status_code == 401:
        return refusal(request, UnauthenticatedError())
    error = ActionError(HTTP_CODES.get(exc.status_code, "error"), exc.message)
    error.status = exc.status_code
    return refusal(request, error)


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return refusal(request, NotFoundError())


def _on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return refusal(
        request,
        PayloadTooLargeError("body_too_large", f"the body is larger than {limit} bytes", "body"),
    )


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected error in %s %s", request.method, request.path, exc_info=exc)
    return JsonResponse(SERVER_ERROR, status=500)


def _handle(exc_class: type[E], handler: Callable[[HttpRequest, E], HttpResponse]) -> None:
    # ninja's signature allows a class as well as an instance; it only ever passes instances
    api.add_exception_handler(
        exc_class, cast("Callable[[HttpRequest, E | type[E]], HttpResponse]", handler)
    )


_handle(ActionError, _on_action_error)
_handle(NinjaValidationError, _on_validation_error)
_handle(HttpError, _on_http_error)
_handle(Http404, _on_not_found)
_handle(RequestDataTooBig, _on_too_large)
_handle(Exception, _on_unexpected)


# ---------------------------------------------------------------------------------------------
# Idempotency around every unsafe operation (before validation, after authentication).


def idempotent(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @functools.wraps(run)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in idempotency.UNSAFE_METHODS:
            return run(request, *args, **kwargs)
        user = authenticated_user(request)
        if user is None:
            return run(request, *args, **kwargs)  # the operation refuses it (401/403)
        try:
            claimed = idempotency.claim(request, user)
        except (ActionError, RequestDataTooBig) as exc:
            return api.on_exception(request, exc)
        if not isinstance(claimed, IdempotencyRecord):
            return claimed if claimed is not None else run(request, *args, **kwargs)
        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            idempotency.release(claimed)
            raise
        idempotency.complete(claimed, response)
        return response

    return guarded


api.add_decorator(idempotent, mode="view")
api.add_router("/people/", people_router)
api.add_router("/tasks/", tasks_router)
api.add_router("/certificates/", certificates_router)
api.add_router("/settlement/", settlement_router)


# ---------------------------------------------------------------------------------------------
# Errors outside ninja's operations (unknown /api/ URLs; see handler404 in urls.py).


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _error_json(NotFoundError(f"no API endpoint at {request.path}"))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(SERVER_ERROR, status=500)
    return defaults.server_error(request)
