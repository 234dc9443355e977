"""What every format reader shares: the error that names the file and the field, JSON decoding, and
strict readers for one field's value (a typed value, a finite number, an ISO 8601 date-time)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
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
        super().__init__(f"{self.path}: field {shown(field, 200)}: {message}")


def loads(data: bytes | memoryview | str):
    """Decode JSON: orjson (C, ~3x the stdlib's speed), or the stdlib for what orjson refuses but
    results files hold (NaN and Infinity, integers past 64 bits, UTF-16 or UTF-32 text). A lone surrogate,
    which only the stdlib lets through, is refused (ValueError)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        value = json.loads(bytes(data) if isinstance(data, memoryview) else data)
    if _holds_lone_surrogate(value):  # the stdlib lets them through; no database column takes them
        raise ValueError("text holds a lone UTF-16 surrogate (U+D800 to U+DFFF), which is not Unicode")
    return value


def _holds_lone_surrogate(value: Any) -> bool:
    """Whether any key or string in a decoded JSON value cannot be written as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode()
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def load_json_object(path: str | Path) -> dict:
    """A file holding one JSON object; FormatError for invalid JSON or any other JSON value."""
    return json_object(Path(path).read_bytes(), path)


def json_object(data: bytes | memoryview, path: str | Path) -> dict:
    """The bytes of a file holding one JSON object; FormatError naming the file for anything else: text
    that is not JSON or not UTF-8 (or UTF-16/32), nesting deeper than the decoder's stack, integers past
    Python's 4,300 digits, or a JSON value other than an object."""
    try:
        value = loads(data)
    except json.JSONDecodeError as error:
        raise FormatError(path, "(file)", f"not valid JSON ({error}); expected a JSON object") from None
    except UnicodeDecodeError as error:
        raise FormatError(path, "(file)", f"not UTF-8 text (byte {error.start}); expected a JSON object "
                                          "in UTF-8") from None
    except RecursionError:
        raise FormatError(path, "(file)", "nested too deeply (more than ~1,000 levels); expected a JSON "
                                          "object as lm-eval or the leaderboard writes it") from None
    except ValueError as error:  # an integer of more digits than int() reads
        raise FormatError(path, "(file)", f"not readable JSON ({one_line(error)}); expected a JSON "
                                          "object") from None
    if not isinstance(value, dict):
        raise FormatError(path, "(file)", f"expected a JSON object, got {type(value).__name__}")
    return value


def one_line(error: object, limit: int = 200) -> str:
    """An error's first line, cut to ``limit`` characters (a decoder may quote the hostile text)."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return first if len(first) <= limit else f"{first[:limit]}..."


def shown(value: Any, limit: int = 120) -> str:
    """A value as an error message shows it: its repr on one line, cut to ``limit`` characters (a field can
    hold MBs)."""
    text = repr(value).replace("\n", "\\n")
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def typed_field(
    data: dict, key: str, types: type | tuple[type, ...], path: str, what: str, required: bool = False,
    name: str | None = None,
) -> Any:
    """``data[key]`` when it is one of ``types`` (booleans only where ``bool`` is named), None when
    absent or null (FormatError if ``required``); FormatError saying ``what`` was expected otherwise.
    ``name``: the field as errors name it (default ``key``; ``config_general.model_name`` for a nested one)."""
    value = data.get(key)
    key = name or key
    if value is None:
        if required:
            raise FormatError(path, key, f"missing; expected {what}")
        return None
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise FormatError(path, key, f"expected {what}, got {shown(value)}")
    if not isinstance(value, types):
        raise FormatError(path, key, f"expected {what}, got {type(value).__name__} {shown(value)}")
    return value


def all_of_type(values: Iterable, kind: type) -> bool:
    """Whether every value is exactly of ``kind`` (a subclass is not), tested in C: the fast paths' check."""
    return set(map(type, values)) <= {kind}


def finite_number(value: Any) -> float | None:
    """A finite float, or None for anything else (" ", "N/A", None, booleans, NaN, an integer past a float's
    range: JSON allows any number of digits). Never raises."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer of more than ~308 digits
            return None
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
        raise FormatError(path, name, f'expected an ISO 8601 date-time string, null or "", got {shown(value)}')
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FormatError(
            path, name, f"expected an ISO 8601 date-time such as 2024-06-09T21:55:05Z, got {shown(value)}"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
