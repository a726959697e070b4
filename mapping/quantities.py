"""Decimal quantities: parsing (strings only, never floats), the arithmetic context and output quantization.

Every conversion computes inside :data:`CONTEXT` (28 significant digits, round half even, traps on invalid
operations and division by zero) and states :data:`QUANTUM` as the quantization of the values it reports.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from .errors import MappingError

PRECISION = 28
CONTEXT = Context(prec=PRECISION, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
QUANTUM = Decimal("0.0001")
"""Reported kgCO2e values are quantized to this step (round half even)."""

CO2E_UNIT = "kgCO2e"
_DECIMAL_RE = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")


def parse_decimal(value: Any, field: str, *, nonnegative: bool = False) -> Decimal:
    """``value`` (a decimal string or a :class:`Decimal`) as a finite Decimal; floats and other types refused."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MappingError(
                f"{field} must be a finite number, got {value}", code="mapping.bad_quantity", field=field
            )
        out = value
    elif isinstance(value, str):
        if not _DECIMAL_RE.match(value):
            raise MappingError(
                f"{field} must be a decimal string such as '12.5', got {value!r}",
                code="mapping.bad_quantity",
                field=field,
            )
        out = Decimal(value)
    else:
        kind = "a binary float" if isinstance(value, float) else type(value).__name__
        raise MappingError(
            f"{field} must be a decimal string, not {kind} ({value!r})", code="mapping.bad_quantity", field=field
        )
    if nonnegative and out < 0:
        raise MappingError(f"{field} must not be negative, got {out}", code="mapping.negative_quantity", field=field)
    return out


def quantize(value: Decimal) -> Decimal:
    """``value`` rounded to :data:`QUANTUM` (round half even)."""
    return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN, context=CONTEXT)


def fmt(value: Decimal) -> str:
    """A quantized value as a plain decimal string (never exponent notation)."""
    return format(quantize(value), "f")


def plain(value: Decimal) -> str:
    """An unquantized value as a plain decimal string, trailing zeros kept as computed."""
    return format(value, "f")


def arithmetic_note() -> dict[str, str]:
    """How a step computed: stated in every trail step."""
    return {"precision_digits": str(PRECISION), "rounding": "half-even", "quantum_kgco2e": str(QUANTUM)}
