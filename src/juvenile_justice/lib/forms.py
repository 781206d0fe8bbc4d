"""Form handling for pages: convert form fields to the API's Structs, collect field errors."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from juvenile_justice.lib.errors import FieldError

T = TypeVar("T")

_PATH = re.compile(r"`\$\.([A-Za-z_]+)")


def convert(data: dict[str, Any], type_: type[T]) -> tuple[T | None, list[FieldError]]:
    """Convert form values (strings; blanks dropped) to ``type_``; returns (value, errors)."""
    cleaned = {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}
    try:
        return msgspec.convert(cleaned, type=type_, strict=False), []
    except msgspec.ValidationError as exc:
        match = _PATH.search(str(exc))
        field = match.group(1) if match else "form"
        message = str(exc).split(" - at ")[0]
        if message.startswith("Object missing required field"):
            message = "required"
        return None, [FieldError(field, message)]


def errors_by_field(errors: list[FieldError]) -> dict[str, str]:
    """Map field → message for templates (``charges.0`` also reported under ``charges``)."""
    out: dict[str, str] = {}
    for e in errors:
        out.setdefault(e.field, e.message)
        out.setdefault(e.field.split(".")[0], e.message)
    return out
