"""Recognition-agreement terms: the model, its parser and the condition language (DESIGN §5).

"A recognition agreement (A→B, or mutual) states conditions in a small language — ``{field: JSON Pointer
into the label, op, value}`` with ops eq, in, gte, lte and ``at_least`` over published orderings (GWP sets,
boundaries, verification levels) — the conversions to apply and the dataset entries they use, a tolerance
(the largest relative gap allowed between a label's stated total and the one recomputed from its own data),
and a validity window. Provenance conditions apply to the label as issued, numeric ones after conversion."

Terms are a JSON document (schema: ``verifier/schemas/agreement-terms.schema.json``)::

    {"id": "gd-hk-mutual", "version": 1,
     "parties": ["gd-carbon-label", "hk-cma-carbon-label"],
     "direction": "mutual",                      # or "one-way" with "from" and "to"
     "conditions": [{"field": "/verification/level", "op": "at_least", "value": "limited",
                     "ordering": "verification", "applies": "as_issued"}],
     "conversions": [{"name": "gwp-recharacterize", "params": {...}}],
     "datasets": [{"dataset": ..., "version": 1, "entry": <64 hex>, "key": ...}],
     "tolerance": "0.01", "valid_from": "2024-01-01", "valid_until": "2026-12-31",
     "carry_over": "until_version_end",          # optional, see mapping/equivalence.py rule 4
     "supersedes": null | {"version": n, "terms_hash": <64 hex>},
     "illustrative": true, "notes": "..."}

This module is pure (stdlib and ``mapping.errors`` only). Hashing the terms is the verifier's job
(``verifier/agreements.py``): ``mapping/`` stays free of crypto. Which label fields exist is injected
(``known_fields``); :func:`fields_of_schema` builds that predicate from a JSON Schema handed in.

Condition semantics (:func:`check_condition`):

* ``eq``: JSON equality of the label's value and ``value`` (no numeric coercion, ``1`` ≠ ``true``; use
  ``gte`` and ``lte`` for numbers).
* ``in``: the label's value is one of the listed values.
* ``gte`` / ``lte``: both sides compared as :class:`~decimal.Decimal` (the label's value must be a decimal
  string or an integer).
* ``at_least``: ranks in the named ordering of :data:`ORDERINGS`; a value outside the ordering (e.g.
  ``EF3.1`` for ``gwp_set``) fails, it is never guessed.
* **List-valued fields** (e.g. ``/footprint/ipccCharacterizationFactors``): *every* element must satisfy the
  op ("all" semantics), because a label listing several GWP sets used each of them for part of its total and
  the weakest one governs. An empty list fails. ``at_least AR5`` over ``["AR5", "AR6"]`` holds; over
  ``["AR4", "AR6"]`` it fails.
* A field absent from the label fails the condition with reason ``absent``: nothing is assumed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import MappingError

# The orderings the project publishes for ``at_least``, weakest first (issue 5 §1).
ORDERINGS: dict[str, tuple[str, ...]] = {
    "gwp_set": ("AR4", "AR5", "AR5-feedback", "AR6"),
    "boundary": ("gate-to-gate", "cradle-to-gate", "cradle-to-grave"),
    "verification": ("none", "limited", "reasonable"),
}
OPS = ("eq", "in", "gte", "lte", "at_least")
# "Provenance conditions apply to the label as issued, numeric ones after conversion." (DESIGN §5)
APPLIES = ("as_issued", "after_conversion")
DIRECTIONS = ("mutual", "one-way")
# What happens to a label logged while a version was in force once that version ends (equivalence rule 4).
CARRY_OVER = ("until_version_end", "until_label_expiry")
DEFAULT_CARRY_OVER = "until_version_end"

_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{1,62}[a-z0-9]$")
_HEX32 = re.compile(r"^[0-9a-f]{64}$")
_DECIMAL = re.compile(r"^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CONVERSION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_ARRAY_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
_MAX_CONDITIONS = 64
_MAX_TEXT = 4000

_TOP_REQUIRED = ("id", "version", "parties", "direction", "conditions", "tolerance", "valid_from")
_TOP_OPTIONAL = (
    "from",
    "to",
    "conversions",
    "datasets",
    "valid_until",
    "carry_over",
    "supersedes",
    "illustrative",
    "notes",
    "title",
)


class _Absent:
    """The value of a JSON Pointer that names nothing in the document."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class VersionRef:
    """A reference to one version of an agreement by number and terms hash."""

    version: int
    terms_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "terms_hash": self.terms_hash}


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
class ConversionStep:
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}


@dataclass(frozen=True)
class DatasetPin:
    """A dataset entry the conversions must use: pinned, so every buyer gets the same number."""

    dataset: str
    version: int
    entry: str
    key: str

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version, "entry": self.entry, "key": self.key}


@dataclass(frozen=True)
class Terms:
    """Parsed, checked terms of one agreement version. ``document`` is the dict as written (what is hashed)."""

    id: str
    version: int
    parties: tuple[str, str]
    direction: str
    from_scheme: str | None
    to_scheme: str | None
    conditions: tuple[Condition, ...]
    conversions: tuple[ConversionStep, ...]
    datasets: tuple[DatasetPin, ...]
    tolerance: Decimal
    valid_from: date
    valid_until: date | None
    carry_over: str
    supersedes: VersionRef | None
    illustrative: bool
    notes: str | None
    document: dict[str, Any] = field(compare=False, repr=False)

    def covers(self, label_scheme: str, target_scheme: str) -> bool:
        """Whether these terms carry labels of ``label_scheme`` into ``target_scheme``'s terms."""
        if label_scheme == target_scheme:
            return False
        if self.direction == "mutual":
            return {label_scheme, target_scheme} == set(self.parties)
        return label_scheme == self.from_scheme and target_scheme == self.to_scheme

    def other_party(self, scheme: str) -> str | None:
        if scheme not in self.parties:
            return None
        return self.parties[1] if scheme == self.parties[0] else self.parties[0]

    def to_dict(self) -> dict[str, Any]:
        return self.document


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


# --------------------------------------------------------------------------------------------------- pointers


def split_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 JSON Pointer, unescaped (``~1`` → ``/`` then ``~0`` → ``~``).

    Requires ``pointer`` to be ``""`` or to start with ``/``; raises :class:`MappingError` otherwise or on a
    ``~`` not followed by ``0`` or ``1`` (RFC 6901 §3).
    """
    if pointer == "":
        return []
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise MappingError(
            f"{pointer!r} is not a JSON Pointer (RFC 6901: it starts with '/')", code="agreement.invalid_pointer"
        )
    tokens = pointer[1:].split("/")
    for token in tokens:
        if re.search(r"~(?![01])", token):
            raise MappingError(
                f"{pointer!r}: '~' must be followed by 0 or 1 (RFC 6901 §3)", code="agreement.invalid_pointer"
            )
    # RFC 6901 §4: "first transforming any occurrence of ~1 to /, and then transforming any occurrence of ~0 to ~"
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def escape_token(token: str) -> str:
    """RFC 6901 §3 escaping of one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def resolve_pointer(record: Any, pointer: str) -> Any:
    """The value ``pointer`` (RFC 6901) names in ``record``, or :data:`ABSENT` when it names nothing.

    Array tokens must be decimal indexes without leading zeros (RFC 6901 §4); ``-`` names nothing.
    """
    node = record
    for token in split_pointer(pointer):
        if isinstance(node, dict):
            if token not in node:
                return ABSENT
            node = node[token]
        elif isinstance(node, list):
            if not _ARRAY_INDEX.match(token) or int(token) >= len(node):
                return ABSENT
            node = node[int(token)]
        else:
            return ABSENT
    return node


def fields_of_schema(schema: dict[str, Any]) -> Callable[[str], bool]:
    """A ``known_fields`` predicate: does ``pointer`` name a member the JSON Schema ``schema`` allows?

    Walks ``properties``; then ``additionalProperties`` (when an object schema, checking ``propertyNames``'s
    ``enum`` or ``pattern``); then ``items`` for array indexes. A ``$ref`` is a leaf (the label schema's refs
    all name scalar types), so a pointer going deeper through one is unknown.
    """

    def known(pointer: str) -> bool:
        try:
            tokens = split_pointer(pointer)
        except MappingError:
            return False
        if not tokens:
            return False
        node: Any = schema
        for token in tokens:
            if not isinstance(node, dict):
                return False
            props = node.get("properties", {})
            extra = node.get("additionalProperties")
            if token in props:
                node = props[token]
            elif isinstance(extra, dict):
                names = node.get("propertyNames", {})
                if "enum" in names and token not in names["enum"]:
                    return False
                if "pattern" in names and not re.search(names["pattern"], token):
                    return False
                node = extra
            elif "items" in node and isinstance(node["items"], dict):
                if not _ARRAY_INDEX.match(token):
                    return False
                node = node["items"]
            else:
                return False
        return True

    return known


# --------------------------------------------------------------------------------------------------- parsing


def _invalid(message: str, pointer: str, code: str = "agreement.invalid_terms") -> MappingError:
    return MappingError(message, code=code, field=pointer or "/")


def _reject_floats(value: Any, pointer: str) -> None:
    if isinstance(value, float):
        raise _invalid(f"binary float at {pointer or '/'}; write quantities as decimal strings", pointer)
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise _invalid(f"member name {k!r} at {pointer or '/'} is not a string", pointer)
            _reject_floats(v, f"{pointer}/{escape_token(k)}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _reject_floats(v, f"{pointer}/{i}")
    elif not (value is None or isinstance(value, str | int | bool)):
        raise _invalid(f"{type(value).__name__} at {pointer or '/'} is not a JSON value", pointer)


def _int(value: Any, pointer: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _invalid(f"{pointer} must be an integer >= {minimum}, not {value!r}", pointer)
    return value


def _scheme(value: Any, pointer: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise _invalid(f"{pointer} must be a scheme id such as 'gd-carbon-label', not {value!r}", pointer)
    return value


def _decimal(value: Any, pointer: str) -> Decimal:
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise _invalid(f"{pointer} must be a decimal string such as '0.05', not {value!r}", pointer)
    return Decimal(value)


def _date(value: Any, pointer: str) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise _invalid(f"{pointer} must be a date YYYY-MM-DD, not {value!r}", pointer)
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise _invalid(f"{pointer}: {value!r} is not a calendar date", pointer) from e


def _object(value: Any, pointer: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(f"{pointer or '/'} must be an object", pointer)
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in value:
        if key not in allowed:
            raise _invalid(
                f"unknown member {key!r} at {pointer or '/'} (allowed: {', '.join(sorted(allowed))})",
                f"{pointer}/{escape_token(key)}",
            )
    for key in required:
        if key not in value:
            raise _invalid(f"{pointer or '/'} lacks required member {key!r}", f"{pointer}/{key}")
    return value


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | bool)


def version_ref(value: Any, pointer: str) -> VersionRef:
    """Parse ``{"version": n, "terms_hash": hex}`` (``answers``, ``supersedes``)."""
    obj = _object(value, pointer, ("version", "terms_hash"))
    version = _int(obj["version"], f"{pointer}/version", 1)
    h = obj["terms_hash"]
    if not isinstance(h, str) or not _HEX32.match(h):
        raise _invalid(f"{pointer}/terms_hash must be 64 lower-case hex digits", f"{pointer}/terms_hash")
    return VersionRef(version, h)


def parse_condition(doc: Any, pointer: str, *, known_fields: Callable[[str], bool]) -> Condition:
    """Parse and check one condition; ``pointer`` locates it in the terms (for error fields)."""
    obj = _object(doc, pointer, ("field", "op", "value", "applies"), ("ordering",))
    target = obj["field"]
    try:
        split_pointer(target)
    except MappingError as e:
        raise _invalid(f"{pointer}/field: {e.message}", f"{pointer}/field") from e
    if target == "" or not known_fields(target):
        raise _invalid(
            f"condition field {target!r} is not a field of the label record schema",
            f"{pointer}/field",
            code="agreement.unknown_field",
        )
    op = obj["op"]
    if op not in OPS:
        raise _invalid(f"unknown op {op!r} (ops: {', '.join(OPS)})", f"{pointer}/op")
    applies = obj["applies"]
    if applies not in APPLIES:
        raise _invalid(f"applies must be one of {', '.join(APPLIES)}, not {applies!r}", f"{pointer}/applies")
    value = obj["value"]
    ordering = obj.get("ordering")
    vp = f"{pointer}/value"
    if op == "at_least":
        if ordering is None:
            raise _invalid("op at_least needs an ordering", f"{pointer}/ordering")
        if ordering not in ORDERINGS:
            raise _invalid(f"unknown ordering {ordering!r} (orderings: {', '.join(ORDERINGS)})", f"{pointer}/ordering")
        if value not in ORDERINGS[ordering]:
            raise _invalid(
                f"at_least value {value!r} is not in the {ordering} ordering ({' < '.join(ORDERINGS[ordering])})", vp
            )
    elif ordering is not None:
        raise _invalid(f"only at_least takes an ordering; op {op} does not", f"{pointer}/ordering")
    elif op == "in":
        if not isinstance(value, list) or not value or not all(_is_scalar(v) for v in value):
            raise _invalid("op in needs a non-empty list of strings, integers or booleans", vp)
        if len({_json_key(v) for v in value}) != len(value):
            raise _invalid("op in: the list repeats a value", vp)
    elif op in ("gte", "lte"):
        _decimal(value, vp)
    elif not _is_scalar(value):  # eq
        raise _invalid("op eq needs a string, integer, boolean or null value", vp)
    return Condition(target, op, value, applies, ordering)


def parse_terms(
    doc: Any, *, known_fields: Callable[[str], bool], known_conversions: set[str] | frozenset[str]
) -> Terms:
    """Check terms ``doc`` and return them as :class:`Terms`; raise :class:`MappingError` on the first fault.

    Codes: ``agreement.invalid_terms`` (shape, op/value mismatch, parties, from/to, tolerance, dates, floats),
    ``agreement.unknown_field`` (a condition's pointer names no field of the label schema: ``known_fields``),
    ``agreement.unknown_conversion`` (a name not in ``known_conversions``: the mapping layer's registry).
    ``field`` is a JSON Pointer into the terms.
    """
    _reject_floats(doc, "")
    obj = _object(doc, "", _TOP_REQUIRED, _TOP_OPTIONAL)
    agreement_id = obj["id"]
    if not isinstance(agreement_id, str) or not _ID.match(agreement_id):
        raise _invalid(f"/id must be an id such as 'gd-hk-mutual', not {agreement_id!r}", "/id")
    version = _int(obj["version"], "/version", 1)

    parties = obj["parties"]
    if not isinstance(parties, list) or len(parties) != 2:
        raise _invalid("/parties must list exactly two schemes", "/parties")
    p0, p1 = (_scheme(p, f"/parties/{i}") for i, p in enumerate(parties))
    if p0 == p1:
        raise _invalid(f"/parties must name two distinct schemes, not {p0!r} twice", "/parties")

    direction = obj["direction"]
    if direction not in DIRECTIONS:
        raise _invalid(f"/direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}", "/direction")
    from_scheme = to_scheme = None
    if direction == "one-way":
        for key in ("from", "to"):
            if key not in obj:
                raise _invalid(f"a one-way agreement names {key!r}", f"/{key}")
        from_scheme, to_scheme = _scheme(obj["from"], "/from"), _scheme(obj["to"], "/to")
        if {from_scheme, to_scheme} != {p0, p1}:
            raise _invalid(f"/from and /to must be the two parties ({p0}, {p1}), one each", "/from")
    else:
        for key in ("from", "to"):
            if key in obj:
                raise _invalid(f"a mutual agreement has no {key!r}", f"/{key}")

    conditions_doc = obj["conditions"]
    if not isinstance(conditions_doc, list) or len(conditions_doc) > _MAX_CONDITIONS:
        raise _invalid(f"/conditions must be a list of at most {_MAX_CONDITIONS} conditions", "/conditions")
    conditions = tuple(
        parse_condition(c, f"/conditions/{i}", known_fields=known_fields) for i, c in enumerate(conditions_doc)
    )

    conversions_doc = obj.get("conversions", [])
    if not isinstance(conversions_doc, list):
        raise _invalid("/conversions must be a list", "/conversions")
    conversions = []
    for i, c in enumerate(conversions_doc):
        cp = f"/conversions/{i}"
        step = _object(c, cp, ("name",), ("params",))
        name = step["name"]
        if not isinstance(name, str) or not _CONVERSION_NAME.match(name):
            raise _invalid(f"{cp}/name must be a conversion name such as 'gwp-recharacterize'", f"{cp}/name")
        if name not in known_conversions:
            raise _invalid(
                f"conversion {name!r} is not one the mapping layer has ({', '.join(sorted(known_conversions))})",
                f"{cp}/name",
                code="agreement.unknown_conversion",
            )
        params = step.get("params", {})
        if not isinstance(params, dict):
            raise _invalid(f"{cp}/params must be an object", f"{cp}/params")
        conversions.append(ConversionStep(name, params))

    datasets_doc = obj.get("datasets", [])
    if not isinstance(datasets_doc, list):
        raise _invalid("/datasets must be a list", "/datasets")
    datasets = []
    for i, d in enumerate(datasets_doc):
        dp = f"/datasets/{i}"
        pin = _object(d, dp, ("dataset", "version", "entry", "key"))
        entry = pin["entry"]
        if not isinstance(entry, str) or not _HEX32.match(entry):
            raise _invalid(f"{dp}/entry must be a dataset.publish entry id (64 lower-case hex)", f"{dp}/entry")
        key = pin["key"]
        if not isinstance(key, str) or not key:
            raise _invalid(f"{dp}/key must be a non-empty string", f"{dp}/key")
        datasets.append(
            DatasetPin(_scheme(pin["dataset"], f"{dp}/dataset"), _int(pin["version"], f"{dp}/version", 0), entry, key)
        )
    if len({(d.dataset, d.key) for d in datasets}) != len(datasets):
        raise _invalid("/datasets pins the same dataset key twice", "/datasets")

    # "a tolerance (the largest relative gap allowed between a label's stated total and the one recomputed
    # from its own data)": a relative gap, so 0 <= tolerance < 1.
    tolerance = _decimal(obj["tolerance"], "/tolerance")
    if not Decimal(0) <= tolerance < Decimal(1):
        raise _invalid(f"/tolerance is a relative gap in [0, 1), not {obj['tolerance']!r}", "/tolerance")

    valid_from = _date(obj["valid_from"], "/valid_from")
    valid_until = None
    if obj.get("valid_until") is not None:
        valid_until = _date(obj["valid_until"], "/valid_until")
        if valid_until < valid_from:
            raise _invalid(f"/valid_until {valid_until} is before /valid_from {valid_from}", "/valid_until")

    carry_over = obj.get("carry_over", DEFAULT_CARRY_OVER)
    if carry_over not in CARRY_OVER:
        raise _invalid(f"/carry_over must be one of {', '.join(CARRY_OVER)}, not {carry_over!r}", "/carry_over")

    supersedes = None
    if obj.get("supersedes") is not None:
        supersedes = version_ref(obj["supersedes"], "/supersedes")
        if supersedes.version >= version:
            raise _invalid(f"version {version} cannot supersede version {supersedes.version}", "/supersedes/version")

    illustrative = obj.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise _invalid("/illustrative must be true or false", "/illustrative")
    for key in ("notes", "title"):
        if key in obj and (not isinstance(obj[key], str) or not 0 < len(obj[key]) <= _MAX_TEXT):
            raise _invalid(f"/{key} must be a non-empty string of at most {_MAX_TEXT} characters", f"/{key}")

    return Terms(
        id=agreement_id,
        version=version,
        parties=(p0, p1),
        direction=direction,
        from_scheme=from_scheme,
        to_scheme=to_scheme,
        conditions=conditions,
        conversions=tuple(conversions),
        datasets=tuple(datasets),
        tolerance=tolerance,
        valid_from=valid_from,
        valid_until=valid_until,
        carry_over=carry_over,
        supersedes=supersedes,
        illustrative=illustrative,
        notes=obj.get("notes"),
        document=doc,
    )


# --------------------------------------------------------------------------------------------------- conditions


def _json_key(value: Any) -> tuple[str, Any]:
    """A key under which JSON-equal scalars are equal and ``1``, ``true`` and ``"1"`` differ."""
    return (type(value).__name__, value)


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return None
    return None


def _check_one(cond: Condition, actual: Any) -> str | None:
    """``None`` when the scalar ``actual`` satisfies ``cond``, else why not."""
    if cond.op == "eq":
        return None if _json_key(actual) == _json_key(cond.value) else f"{actual!r} is not {cond.value!r}"
    if cond.op == "in":
        allowed = {_json_key(v) for v in cond.value}
        return None if _json_key(actual) in allowed else f"{actual!r} is not one of {cond.value!r}"
    if cond.op in ("gte", "lte"):
        got = _as_decimal(actual)
        if got is None:
            return f"{actual!r} is not a decimal number"
        want = Decimal(cond.value)
        if cond.op == "gte":
            return None if got >= want else f"{actual} is less than {cond.value}"
        return None if got <= want else f"{actual} is greater than {cond.value}"
    # at_least
    assert cond.ordering is not None
    ordering = ORDERINGS[cond.ordering]
    if actual not in ordering:
        return f"{actual!r} is not in the {cond.ordering} ordering ({' < '.join(ordering)})"
    if ordering.index(actual) >= ordering.index(cond.value):
        return None
    return f"{actual} is below {cond.value} in the {cond.ordering} ordering"


def check_condition(cond: Condition, record: Any) -> ConditionResult:
    """Check one condition against ``record`` (see the module docstring for each op's meaning)."""
    actual = resolve_pointer(record, cond.field)
    required = cond.value

    def result(ok: bool, reason: str) -> ConditionResult:
        return ConditionResult(ok, cond.field, cond.op, None if actual is ABSENT else actual, required, reason)

    if actual is ABSENT:
        return result(False, f"absent: the label has no {cond.field}")
    if isinstance(actual, list):
        if not actual:
            return result(False, f"{cond.field} is an empty list")
        faults = [f for f in (_check_one(cond, a) for a in actual) if f is not None]
        if faults:
            return result(False, "; ".join(faults) + " (every listed value must satisfy the condition)")
        return result(True, "every listed value satisfies the condition")
    if isinstance(actual, dict):
        return result(False, f"{cond.field} is an object, not a value the condition can compare")
    fault = _check_one(cond, actual)
    return result(fault is None, fault or "satisfied")


__all__ = [
    "ABSENT",
    "APPLIES",
    "CARRY_OVER",
    "DIRECTIONS",
    "OPS",
    "ORDERINGS",
    "Condition",
    "ConditionResult",
    "ConversionStep",
    "DatasetPin",
    "Terms",
    "VersionRef",
    "check_condition",
    "escape_token",
    "fields_of_schema",
    "parse_condition",
    "parse_terms",
    "resolve_pointer",
    "split_pointer",
    "version_ref",
]
