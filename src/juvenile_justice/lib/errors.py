"""Domain errors and their problem-details form (RFC 9457, API.md "Conventions").

Services raise these; the HTTP layer turns them into ``application/problem+json`` answers and the
pages into field errors. Messages must never contain personal data (names, ID numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: ``field`` is a dotted path such as ``charges.0.article``."""

    field: str
    message: str


class DomainError(Exception):
    """Base class: ``status`` and ``title`` give the HTTP answer."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}

    def problem(self) -> dict[str, Any]:
        """The problem-details body."""
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    """422: the input is well-formed but breaks a rule; ``errors`` names each field."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, errors: list[FieldError], detail: str | None = None, **extra: Any) -> None:
        self.errors = errors
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors), extra=extra)

    @classmethod
    def one(cls, field_name: str, message: str, **extra: Any) -> ValidationFailed:
        """A validation error on a single field."""
        return cls([FieldError(field_name, message)], **extra)

    def problem(self) -> dict[str, Any]:
        body = super().problem()
        body["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return body


class NotAuthenticated(DomainError):
    """401: no or bad credentials."""

    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    """403: authenticated but not allowed."""

    status = 403
    title = "Forbidden"


class SealedRecordRefused(Forbidden):
    """403: the record is sealed (犯罪记录封存, R-SEAL-5) and the reader holds no approved query for it.

    Its existence is known from the sealed-status lookup (API.md "Conventions"); the refusal is logged.
    """

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail
            or "该记录已依法封存，须经依法查询批准后方可查阅 / this record is sealed: it can be read only through "
            "an approved lawful query",
            extra={"sealed": True},
        )


class NotFound(DomainError):
    """404: unknown id, or data of another unit (its existence is not revealed)."""

    status = 404
    title = "Not Found"


class Conflict(DomainError):
    """409: conflicts with the current state (stale ``version``, duplicate, wrong state)."""

    status = 409
    title = "Conflict"


class TooManyAttempts(DomainError):
    """429: too many failed log-ins for one user name."""

    status = 429
    title = "Too Many Requests"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


def field_error_from_msgspec(text: str, root: str = "body") -> FieldError:
    """A :class:`FieldError` from a msgspec validation message such as
    ``Expected `int`, got `str` - at `$.charges[0].article```, naming the field as ``charges.0.article``.
    ``root`` names the whole document when the error is at its top level.
    """
    message, _, where = text.partition(" - at ")
    path = where.strip().strip("`").removeprefix("$").lstrip(".")
    path = path.replace("[", ".").replace("]", "").strip(".")
    for lead in ("Object missing required field", "Object contains unknown field"):
        if message.startswith(lead) and "`" in message:
            name = message.split("`")[1]
            path = f"{path}.{name}" if path else name
            message = "required" if "missing" in lead else "unknown field"
    return FieldError(path or root, message)
