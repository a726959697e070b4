"""Reading a label record's JSON members: each reader names the JSON Pointer of the member at fault.

The footprint model (:mod:`mapping.footprint`, :mod:`mapping.footprint_parts`) reads every member through
these, so the codes are the same everywhere: ``mapping.bad_field`` (wrong JSON type), ``mapping.missing_field``,
``mapping.unknown_value`` / ``mapping.unknown_unit`` (a name outside its vocabulary), ``mapping.bad_date``
and ``mapping.bad_quantity`` (a percentage above 100).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import MappingError
from .quantities import parse_decimal

_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def one_of(value: Any, allowed: tuple[str, ...], field: str, what: str) -> str:
    """``value`` when it is one of ``allowed`` (a vocabulary); ``what`` names the vocabulary in the error."""
    if not isinstance(value, str) or value not in allowed:
        raise MappingError(
            f"{field}: unknown {what} {value!r} (allowed: {', '.join(allowed)})",
            code="mapping.unknown_unit" if what.endswith("unit") else "mapping.unknown_value",
            field=field,
        )
    return value


def as_object(value: Any, field: str) -> dict[str, Any]:
    """``value`` when it is a JSON object."""
    if not isinstance(value, dict):
        raise MappingError(f"{field} must be an object", code="mapping.bad_field", field=field)
    return value


def member(obj: dict[str, Any], key: str, field: str) -> Any:
    """The required member ``key`` of the object at ``field``."""
    if key not in obj:
        raise MappingError(f"{field}/{key} is missing", code="mapping.missing_field", field=f"{field}/{key}")
    return obj[key]


def optional_percent(obj: dict[str, Any], key: str, field: str) -> Decimal | None:
    """The optional percentage ``key`` of the object at ``field`` (0 to 100), or None when absent."""
    if key not in obj:
        return None
    value = parse_decimal(obj[key], f"{field}/{key}", nonnegative=True)
    if value > 100:
        raise MappingError(
            f"{field}/{key} must be at most 100, got {value}", code="mapping.bad_quantity", field=f"{field}/{key}"
        )
    return value


def label_date(value: Any, field: str) -> str:
    """``value`` when it is a real calendar day written ``YYYY-MM-DD`` (the label schema's ``date``: not the
    other ISO 8601 forms ``date.fromisoformat`` also reads, such as ``20260101`` or ``2026-W01-1``)."""
    if not isinstance(value, str) or not _DATE_SHAPE.fullmatch(value):
        raise MappingError(f"{field} must be a date YYYY-MM-DD, got {value!r}", code="mapping.bad_date", field=field)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise MappingError(f"{field}: {value!r} is not a real date", code="mapping.bad_date", field=field) from None
    return value


__all__ = ["as_object", "label_date", "member", "one_of", "optional_percent"]
