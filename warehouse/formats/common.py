"""What every format reader shares: the error that names the file and the field, JSON decoding, and
strict readers for one field's value (a typed value, a finite number, an ISO 8601 date-time)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson


class FormatError(ValueError):
    """A file does not match its format; names the file, the field and what would be accepted."""

    def __init__(self, path: str | Path, field: str, message: str):
        self.path = str(path)
        self.field = field
        self.message = message
        super().__init__(f"{self.path}: field {field!r}: {message}")


def loads(data: bytes | str):
    """Decode JSON: orjson (C, ~3x the stdlib's speed), or the stdlib for what orjson refuses but
    results files hold (NaN and Infinity, integers past 64 bits, text that is not UTF-8)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def load_json_object(path: str | Path) -> dict:
    """A file holding one JSON object; FormatError for invalid JSON or any other JSON value."""
    try:
        data = loads(Path(path).read_bytes())
    except json.JSONDecodeError as error:
        raise FormatError(path, "(file)", f"not valid JSON ({error}); expected a JSON object") from None
    if not isinstance(data, dict):
        raise FormatError(path, "(file)", f"expected a JSON object, got {type(data).__name__}")
    return data


def typed_field(
    data: dict, key: str, types: type | tuple[type, ...], path: str, what: str, required: bool = False
) -> Any:
    """``data[key]`` when it is one of ``types`` (booleans only where ``bool`` is named), None when
    absent or null (FormatError if ``required``); FormatError saying ``what`` was expected otherwise."""
    value = data.get(key)
    if value is None:
        if required:
            raise FormatError(path, key, f"missing; expected {what}")
        return None
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise FormatError(path, key, f"expected {what}, got {value!r}")
    if not isinstance(value, types):
        raise FormatError(path, key, f"expected {what}, got {type(value).__name__} {value!r}")
    return value


def finite_number(value: Any) -> float | None:
    """A finite float, or None for anything else (" ", "N/A", None, booleans, NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def parse_time(value: Any, path: str, name: str) -> datetime | None:
    """ISO 8601 text (``2024-06-09T21:55:05Z``, naive times taken as UTC) → aware UTC datetime;
    ``""`` and None → None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise FormatError(path, name, f'expected an ISO 8601 date-time string, null or "", got {value!r}')
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FormatError(
            path, name, f"expected an ISO 8601 date-time such as 2024-06-09T21:55:05Z, got {value!r}"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
