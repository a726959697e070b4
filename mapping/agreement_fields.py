"""Reading an agreement's terms document: the checks every part of the terms shares.

Each reader raises :class:`~mapping.errors.MappingError` ``agreement.invalid_terms`` (or the code given) with
``field`` a JSON Pointer into the terms, so a faulty document names the member at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .agreement_pointers import escape_token
from .errors import MappingError

DECIMAL = re.compile(r"^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?$")
"""A decimal string of the terms (common.schema.json#/$defs/decimal): at most 18 integer and 12 fraction digits."""


def invalid(message: str, pointer: str, code: str = "agreement.invalid_terms") -> MappingError:
    """The error for the member at ``pointer`` of the terms (``/`` for the whole document)."""
    return MappingError(message, code=code, field=pointer or "/")


def decimal_string(value: Any, pointer: str) -> Decimal:
    """``value`` when it is a decimal string (:data:`DECIMAL`), as a Decimal."""
    if not isinstance(value, str) or not DECIMAL.match(value):
        raise invalid(f"{pointer} must be a decimal string such as '0.05', not {value!r}", pointer)
    return Decimal(value)


def json_object(value: Any, pointer: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Any]:
    """``value`` when it is an object with every ``required`` member and no member outside ``optional``."""
    if not isinstance(value, dict):
        raise invalid(f"{pointer or '/'} must be an object", pointer)
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in value:
        if key not in allowed:
            raise invalid(
                f"unknown member {key!r} at {pointer or '/'} (allowed: {', '.join(sorted(allowed))})",
                f"{pointer}/{escape_token(key)}",
            )
    for key in required:
        if key not in value:
            raise invalid(f"{pointer or '/'} lacks required member {key!r}", f"{pointer}/{key}")
    return value


__all__ = ["DECIMAL", "decimal_string", "invalid", "json_object"]
