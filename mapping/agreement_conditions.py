"""Agreement conditions: the small language of DESIGN §5 — ``{field: JSON Pointer into the label, op, value}`` with
ops eq, in, gte, lte and ``at_least`` over published orderings (GWP sets, boundaries, verification levels).

"Provenance conditions apply to the label as issued, numeric ones after conversion." (``applies``)

Condition semantics (:func:`check_condition`):

* ``eq``: JSON equality of the label's value and ``value`` (no numeric coercion, ``1`` ≠ ``true``; use
  ``gte`` and ``lte`` for numbers).
* ``in``: the label's value is one of the listed values.
* ``gte`` / ``lte``: both sides compared as :class:`~decimal.Decimal` (the label's value must be a decimal
  string or an integer) — or, when ``value`` is a date ``YYYY-MM-DD``, both sides compared as calendar dates (the
  label's value must be a date): how terms bound data age, e.g. ``/footprint/referencePeriodEnd`` ``gte``
  ``2021-01-01``.
* ``at_least``: ranks in the named ordering of :data:`ORDERINGS`; a value outside the ordering (e.g.
  ``EF3.1`` for ``gwp_set``) fails, it is never guessed.
* **List-valued fields** (e.g. ``/footprint/ipccCharacterizationFactors``): *every* element must satisfy the
  op ("all" semantics), because a label listing several GWP sets used each of them for part of its total and
  the weakest one governs. An empty list fails. ``at_least AR5`` over ``["AR5", "AR6"]`` holds; over
  ``["AR4", "AR6"]`` it fails.
* **Each element** (``*``, :data:`~mapping.agreement_pointers.EACH`): ``/footprint/electricity/*/factor/kind``
  names the factor kind of every supply; every one must satisfy the op, and an empty list fails. The real terms
  of mutual recognition are written this way: the verifier's accreditation (``/verification/accreditation/body``
  and ``/standard``), the verification standard, the PCR (``/methodology/pcr``), the background databases
  (``/footprint/secondaryEmissionFactorSources/*/name``), each electricity factor's kind, geography and year, the
  data's age and the exempted share (``/footprint/exemptedEmissionsPercent``).
* A field absent from the label fails the condition with reason ``absent``: nothing is assumed. A value that is
  an object (not a value a condition compares) fails too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .agreement_fields import DECIMAL, decimal_string, invalid, json_object
from .agreement_pointers import ABSENT, EACH, resolve_each, split_pointer
from .errors import MappingError
from .vocabulary import BOUNDARIES, GWP_SETS, VERIFICATION_LEVELS

# The orderings the project publishes for ``at_least``, weakest first (issue 5 §1), by the names terms use.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "gwp_set": GWP_SETS,
    "boundary": BOUNDARIES,
    "verification": VERIFICATION_LEVELS,
}
OPS = ("eq", "in", "gte", "lte", "at_least")
# "Provenance conditions apply to the label as issued, numeric ones after conversion." (DESIGN §5)
APPLIES = ("as_issued", "after_conversion")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _as_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    applies: str
    ordering: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "op": self.op, "value": self.value, "applies": self.applies}
        if self.ordering is not None:
            out["ordering"] = self.ordering
        return out


@dataclass(frozen=True)
class ConditionResult:
    """One condition checked against a record. ``actual`` is ``None`` when the field is absent."""

    ok: bool
    field: str
    op: str
    actual: Any
    required: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "op": self.op,
            "actual": self.actual,
            "required": self.required,
            "reason": self.reason,
        }


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | bool)


def parse_condition(doc: Any, pointer: str, *, known_fields: Callable[[str], bool]) -> Condition:
    """Parse and check one condition; ``pointer`` locates it in the terms (for error fields)."""
    obj = json_object(doc, pointer, ("field", "op", "value", "applies"), ("ordering",))
    target = obj["field"]
    try:
        split_pointer(target)
    except MappingError as e:
        raise invalid(f"{pointer}/field: {e.message}", f"{pointer}/field") from e
    if target == "" or not known_fields(target):
        raise invalid(
            f"condition field {target!r} is not a field of the label record schema",
            f"{pointer}/field",
            code="agreement.unknown_field",
        )
    op = obj["op"]
    if op not in OPS:
        raise invalid(f"unknown op {op!r} (ops: {', '.join(OPS)})", f"{pointer}/op")
    applies = obj["applies"]
    if applies not in APPLIES:
        raise invalid(f"applies must be one of {', '.join(APPLIES)}, not {applies!r}", f"{pointer}/applies")
    value = obj["value"]
    ordering = obj.get("ordering")
    vp = f"{pointer}/value"
    if op == "at_least":
        if ordering is None:
            raise invalid("op at_least needs an ordering", f"{pointer}/ordering")
        if ordering not in ORDERINGS:
            raise invalid(f"unknown ordering {ordering!r} (orderings: {', '.join(ORDERINGS)})", f"{pointer}/ordering")
        if value not in ORDERINGS[ordering]:
            raise invalid(
                f"at_least value {value!r} is not in the {ordering} ordering ({' < '.join(ORDERINGS[ordering])})", vp
            )
    elif ordering is not None:
        raise invalid(f"only at_least takes an ordering; op {op} does not", f"{pointer}/ordering")
    elif op == "in":
        if not isinstance(value, list) or not value or not all(_is_scalar(v) for v in value):
            raise invalid("op in needs a non-empty list of strings, integers or booleans", vp)
        if len({_json_key(v) for v in value}) != len(value):
            raise invalid("op in: the list repeats a value", vp)
    elif op in ("gte", "lte"):
        if _as_date(value) is None:
            if isinstance(value, str) and _DATE.match(value):
                raise invalid(f"{value!r} is not a calendar date", vp)
            decimal_string(value, vp)
    elif not _is_scalar(value):  # eq
        raise invalid("op eq needs a string, integer, boolean or null value", vp)
    return Condition(target, op, value, applies, ordering)


def _json_key(value: Any) -> tuple[str, Any]:
    """A key under which JSON-equal scalars are equal and ``1``, ``true`` and ``"1"`` differ."""
    return (type(value).__name__, value)


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and DECIMAL.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return None
    return None


def _check_one(cond: Condition, actual: Any) -> str | None:
    """``None`` when the scalar ``actual`` satisfies ``cond``, else why not."""
    if not _is_scalar(actual):
        return f"{actual!r} is not a value the condition can compare"
    if cond.op == "eq":
        return None if _json_key(actual) == _json_key(cond.value) else f"{actual!r} is not {cond.value!r}"
    if cond.op == "in":
        allowed = {_json_key(v) for v in cond.value}
        return None if _json_key(actual) in allowed else f"{actual!r} is not one of {cond.value!r}"
    if cond.op in ("gte", "lte") and _as_date(cond.value) is not None:
        day, bound = _as_date(actual), _as_date(cond.value)
        if day is None:
            return f"{actual!r} is not a date"
        if cond.op == "gte":
            return None if day >= bound else f"{actual} is before {cond.value}"
        return None if day <= bound else f"{actual} is after {cond.value}"
    if cond.op in ("gte", "lte"):
        got = _as_decimal(actual)
        if got is None:
            return f"{actual!r} is not a decimal number"
        want = Decimal(cond.value)
        if cond.op == "gte":
            return None if got >= want else f"{actual} is less than {cond.value}"
        return None if got <= want else f"{actual} is greater than {cond.value}"
    # at_least
    assert cond.ordering is not None  # parse_condition, the only maker of a Condition, requires it for at_least
    ordering = ORDERINGS[cond.ordering]
    if actual not in ordering:
        return f"{actual!r} is not in the {cond.ordering} ordering ({' < '.join(ordering)})"
    if ordering.index(actual) >= ordering.index(cond.value):
        return None
    return f"{actual} is below {cond.value} in the {cond.ordering} ordering"


def _faults(cond: Condition, values: list[Any]) -> list[str]:
    """Why each of ``values`` fails ``cond`` (a list value: each of its elements)."""
    out = []
    for v in values:
        for item in v if isinstance(v, list) else [v]:
            fault = _check_one(cond, item)
            if fault is not None:
                out.append(fault)
    return out


def check_condition(cond: Condition, record: Any) -> ConditionResult:
    """Check one condition against ``record`` (see the module docstring for each op's meaning)."""
    pairs = resolve_each(record, cond.field)
    required = cond.value
    if EACH in split_pointer(cond.field):
        actual: Any = [None if v is ABSENT else v for _, v in pairs]
        if not pairs:
            return ConditionResult(False, cond.field, cond.op, [], required, f"{cond.field}: the label lists none")
        missing = [where for where, v in pairs if v is ABSENT]
        if missing:
            return ConditionResult(
                False, cond.field, cond.op, actual, required, f"absent: the label has no {missing[0]}"
            )
        faults = _faults(cond, actual)
        if faults:
            reason = "; ".join(faults) + " (every element must satisfy the condition)"
            return ConditionResult(False, cond.field, cond.op, actual, required, reason)
        return ConditionResult(True, cond.field, cond.op, actual, required, "every element satisfies the condition")
    value = pairs[0][1]

    def result(ok: bool, reason: str) -> ConditionResult:
        return ConditionResult(ok, cond.field, cond.op, None if value is ABSENT else value, required, reason)

    if value is ABSENT:
        return result(False, f"absent: the label has no {cond.field}")
    if isinstance(value, list):
        if not value:
            return result(False, f"{cond.field} is an empty list")
        faults = _faults(cond, value)
        if faults:
            return result(False, "; ".join(faults) + " (every listed value must satisfy the condition)")
        return result(True, "every listed value satisfies the condition")
    if isinstance(value, dict):
        return result(False, f"{cond.field} is an object, not a value the condition can compare")
    fault = _check_one(cond, value)
    return result(fault is None, fault or "satisfied")


__all__ = ["APPLIES", "OPS", "ORDERINGS", "Condition", "ConditionResult", "check_condition", "parse_condition"]
