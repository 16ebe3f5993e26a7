"""Errors that actions raise and that pages and the API turn into a designed response.

Every error carries a stable ``code`` (for the API and tests), a message a person can act on
(what is wrong, what would be right) and, where one field is at fault, the ``field``. The API
renders them as ``{"error": {"code", "message", "field"}}`` with ``status``; pages show the
message next to the field.
"""

from __future__ import annotations

from typing import Self


class ActionError(Exception):
    """Bad input or a request the rules do not allow: 400 unless a subclass says otherwise.

    ``audited`` is set once the refusal has its audit event (see ``liudong.site.actions``), so
    the layers above (API, pages) never write a second one.
    """

    status = 400
    audited = False
    object_type = ""
    object_id = ""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def about(self, object_type: str, object_id: object) -> Self:
        """Name the object the refusal concerns, for its audit event."""
        self.object_type, self.object_id = object_type, str(object_id)
        return self

    @property
    def outcome(self) -> str:
        """The audit outcome of this refusal: ``denied`` for access, ``rejected`` for input."""
        return "denied" if self.status in {401, 403, 404} else "rejected"

    def as_dict(self) -> dict[str, dict[str, str | None]]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class InvalidInputError(ActionError):
    status = 422


class UnauthenticatedError(ActionError):
    status = 401

    def __init__(self, message: str = "sign in first", code: str = "unauthenticated") -> None:
        super().__init__(code, message)


class AccessDeniedError(ActionError):
    status = 403

    def __init__(self, message: str = "you may not do this", code: str = "forbidden") -> None:
        super().__init__(code, message)


class NotFoundError(ActionError):
    status = 404

    def __init__(self, message: str = "not found", code: str = "not_found") -> None:
        super().__init__(code, message)


class ConflictError(ActionError):
    status = 409


class PayloadTooLargeError(ActionError):
    status = 413
