"""Typed reads of a PACT footprint's members (pure), and the report of the members a label does not hold.

Each read returns the value written the label's way, or refuses naming the member by its JSON Pointer (``at``
is the pointer of the object holding it).

The codes say whose fault it is: ``pact.bad_value`` when the footprint breaks PACT v3's own schema (a wrong
type, a value outside its enumeration or pattern), ``pact.missing_field`` when it lacks a member PACT
requires, ``pact.cannot_carry`` when the value is valid PACT that a label cannot hold (the callers decide
those).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .pact_fields import pact_decimal, refuse

__all__ = [
    "MemberReport",
    "NotCarried",
    "array",
    "boolean",
    "choice",
    "decimal",
    "item_object",
    "matching",
    "member_object",
    "percent",
    "pointer",
    "strings",
    "text",
    "urns",
]


@dataclass(frozen=True)
class NotCarried:
    """A member of the footprint its label does not hold: the member's JSON Pointer and why."""

    pointer: str
    reason: str


@dataclass
class MemberReport:
    """What an import leaves out (:attr:`not_carried`) and what it holds only as stated in the label's members
    extension (:attr:`in_extension`, JSON Pointers), in the order met."""

    not_carried: list[NotCarried] = field(default_factory=list)
    in_extension: list[str] = field(default_factory=list)

    def drop(self, at: str, reason: str) -> None:
        """Requires a member's JSON Pointer. Reports the member not carried, for ``reason``."""
        self.not_carried.append(NotCarried(at, reason))

    def unknown(self, obj: dict[str, Any], known: Any, at: str, owner: str) -> None:
        """Requires an object of v3 type ``owner`` at ``at``. Reports each of its members not in ``known``."""
        for key in obj:
            if key not in known:
                self.drop(pointer(at, key), f"not a member of PACT v3's {owner}: a label has no place for it")


def pointer(at: str, key: str) -> str:
    """Requires the pointer of an object and one of its keys. The key's JSON Pointer (RFC 6901 §3 escapes)."""
    return f"{at}/{key.replace('~', '~0').replace('/', '~1')}"


def decimal(obj: dict[str, Any], name: str, at: str, sign: str | None = None) -> str:
    """A PACT decimal member (see :func:`mapping.pact_fields.pact_decimal`); absent: ``pact.missing_field``."""
    if name not in obj:
        raise refuse(f"{at}/{name}", "PACT requires it", "pact.missing_field")
    return pact_decimal(obj[name], f"{at}/{name}", sign=sign)


def text(obj: dict[str, Any], name: str, at: str, *, empty: bool = False) -> str:
    """A string member (non-empty unless ``empty``)."""
    value = obj.get(name)
    if not isinstance(value, str) or (not value and not empty):
        raise refuse(
            f"{at}/{name}", f"expected a {'' if empty else 'non-empty '}string, got {value!r}", "pact.bad_value"
        )
    return value


def boolean(obj: dict[str, Any], name: str, at: str) -> bool:
    """A boolean member (``true`` or ``false``, never a string or a number)."""
    value = obj.get(name)
    if not isinstance(value, bool):
        raise refuse(f"{at}/{name}", f"must be true or false, got {value!r}", "pact.bad_value")
    return value


def choice(obj: dict[str, Any], name: str, at: str, options: tuple[str, ...]) -> str:
    """A string member one of ``options`` (an enumeration of PACT v3's schema)."""
    value = obj.get(name)
    if value not in options:
        raise refuse(f"{at}/{name}", f"must be one of {', '.join(options)}; got {value!r}", "pact.bad_value")
    return str(value)


def matching(obj: dict[str, Any], name: str, at: str, pattern: str) -> str:
    """A string member matching ``pattern`` (a pattern of PACT v3's schema)."""
    value = text(obj, name, at)
    if not re.fullmatch(pattern, value):
        raise refuse(f"{at}/{name}", f"{value!r} does not match PACT's pattern {pattern}", "pact.bad_value")
    return value


def member_object(obj: dict[str, Any], name: str, at: str) -> dict[str, Any]:
    """An object member."""
    return item_object(obj.get(name), f"{at}/{name}")


def item_object(value: Any, at: str) -> dict[str, Any]:
    """Requires the value's own pointer. The value, which must be a JSON object."""
    if not isinstance(value, dict):
        raise refuse(at, f"expected an object, got {type(value).__name__}", "pact.bad_value")
    return value


def array(obj: dict[str, Any], name: str, at: str) -> list[Any]:
    """An array member (absent: empty)."""
    value = obj.get(name, [])
    if not isinstance(value, list):
        raise refuse(f"{at}/{name}", "expected an array", "pact.bad_value")
    return value


def strings(obj: dict[str, Any], name: str, at: str, *, least: int = 1) -> list[str]:
    """An array member of non-empty strings, at least ``least`` of them."""
    values = array(obj, name, at)
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v:
            raise refuse(f"{at}/{name}/{i}", f"expected a non-empty string, got {v!r}", "pact.bad_value")
    if len(values) < least:
        raise refuse(f"{at}/{name}", f"PACT requires at least {least}", "pact.bad_value")
    return list(values)


def urns(obj: dict[str, Any], name: str, at: str) -> list[str]:
    """A non-empty array member of URNs (RFC 8141; PACT's ``Urn``: ``urn:`` in any case, then no space)."""
    values = array(obj, name, at)
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v.lower().startswith("urn:") or len(v) > 500 or any(c.isspace() for c in v):
            raise refuse(f"{at}/{name}/{i}", f"expected a URN (RFC 8141), got {v!r}", "pact.bad_value")
    if not values:
        raise refuse(f"{at}/{name}", "PACT requires at least one URN", "pact.missing_field")
    return list(values)


def percent(obj: dict[str, Any], name: str, at: str) -> str:
    """A PACT decimal member that is a percentage: 0 to 100 with at most 6 decimals, as a label holds it."""
    value = decimal(obj, name, at, "nonneg")
    if Decimal(value) > 100 or len(value.partition(".")[2]) > 6:
        raise refuse(f"{at}/{name}", f"a label's percentage is 0 to 100 with at most 6 decimals, got {value}")
    return value
