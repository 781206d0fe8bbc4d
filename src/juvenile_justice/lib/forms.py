"""Form handling for pages: convert form fields to the API's Structs, collect field errors."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from juvenile_justice.lib.errors import FieldError, field_error_from_msgspec

T = TypeVar("T")

_HUMAN = {
    "required": "必填",
    "unknown field": "无法识别的字段",
    "Invalid RFC3339 encoded date": "日期格式应为 YYYY-MM-DD",
    "Invalid enumeration value": "请从列表中选择",
    "Expected `array` of length >= 1": "请至少填写一项",
    "Expected `str` of length >= 1": "必填",
}


def _human(message: str) -> str:
    for prefix, text in _HUMAN.items():
        if message.startswith(prefix):
            return text
    if message.startswith("Expected `str` of length"):
        return "长度不符合要求：" + message.removeprefix("Expected `str` of length ")
    return message


def convert(data: dict[str, Any], type_: type[T]) -> tuple[T | None, list[FieldError]]:
    """Convert form values (strings; blanks dropped) to ``type_``; returns (value, errors)."""
    cleaned = {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}
    missing = [
        FieldError(f.name, "必填")
        for f in msgspec.structs.fields(type_)  # type: ignore[arg-type]
        if f.required and (f.name not in cleaned or cleaned[f.name] == [])
    ]
    if missing:
        return None, missing
    try:
        return msgspec.convert(cleaned, type=type_, strict=False), []
    except msgspec.ValidationError as exc:
        error = field_error_from_msgspec(str(exc), root="form")
        return None, [FieldError(error.field, _human(error.message))]


def errors_by_field(errors: list[FieldError]) -> dict[str, str]:
    """Map field → message for templates.

    ``charges.0.article`` is also reported under ``charges.0`` and ``charges``.
    """
    out: dict[str, str] = {}
    for e in errors:
        message = e.message.split(" / ")[0]  # pages show the Chinese half of "中文 / English"
        parts = e.field.split(".")
        for i in range(len(parts), 0, -1):
            out.setdefault(".".join(parts[:i]), message)
    return out
