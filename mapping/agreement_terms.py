"""Recognition-agreement terms: the model and its parser (DESIGN §5).

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
     "conversions": [{"name": "gwp-recharacterize", "params": {...}}],   # names of mapping.conversions.CONVERSIONS,
                                                 # e.g. {"name": "use-stage-rebase", "params": {"factor": <a pin>}}:
                                                 # the use stage re-based to the grid of the market of use
     "datasets": [{"dataset": ..., "version": 1, "entry": <64 hex>, "key": ...}],
     "tolerance": "0.01", "valid_from": "2024-01-01", "valid_until": "2026-12-31",
     "carry_over": "until_version_end",          # optional, see mapping/equivalence.py rule 4
     "supersedes": null | {"version": n, "terms_hash": <64 hex>},
     "illustrative": true, "notes": "...",
     "title": "...", "title_zh": "...", "title_zh_hant": "..."}  # optional; a Chinese page shows title_zh_hant
                                                 # (zh-Hant), then title_zh, then title

Conditions name label fields by JSON Pointer, ``*`` standing for each element of a list
(``/footprint/electricity/*/factor/kind``), so terms can state what real mutual-recognition terms check: the
verifier's accreditation (``/verification/accreditation/body``, ``/standard``), the verification standard, the
PCR, the background databases, each electricity factor's kind, geography and year, the data's age (a date bound
on ``/footprint/referencePeriodEnd``) and the exempted share (:mod:`mapping.agreement_conditions`).

This module and the three it builds on are pure (stdlib, ``mapping.errors`` and the names of
``mapping.vocabulary``): the condition language is
:mod:`mapping.agreement_conditions`, the JSON Pointers it names label fields by :mod:`mapping.agreement_pointers`,
and the member checks every part of the terms shares :mod:`mapping.agreement_fields`; their names are
re-exported here. Hashing the terms is the verifier's job (``verifier/agreements.py``): ``mapping/`` stays free
of crypto. Which label fields exist is injected (``known_fields``); :func:`fields_of_schema` builds that
predicate from a JSON Schema handed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .agreement_conditions import (
    APPLIES,
    OPS,
    ORDERINGS,
    Condition,
    ConditionResult,
    check_condition,
    parse_condition,
)
from .agreement_fields import decimal_string, invalid, json_object
from .agreement_pointers import ABSENT, escape_token, fields_of_schema, resolve_pointer, split_pointer

DIRECTIONS = ("mutual", "one-way")
# What happens to a label logged while a version was in force once that version ends (equivalence rule 4).
CARRY_OVER = ("until_version_end", "until_label_expiry")
DEFAULT_CARRY_OVER = "until_version_end"

_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{1,62}[a-z0-9]$")
_HEX32 = re.compile(r"^[0-9a-f]{64}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CONVERSION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_MAX_CONDITIONS = 64
TOLERANCE_SCOPES = ("every_label", "labels_with_breakdown")
_MAX_TEXT = 4000

_TOP_REQUIRED = ("id", "version", "parties", "direction", "conditions", "tolerance", "valid_from")
_TOP_OPTIONAL = (
    "from",
    "to",
    "conversions",
    "datasets",
    "valid_until",
    "carry_over",
    "tolerance_scope",
    "supersedes",
    "illustrative",
    "notes",
    "title",
    "title_zh",
    "title_zh_hant",
)


@dataclass(frozen=True)
class VersionRef:
    """A reference to one version of an agreement by number and terms hash."""

    version: int
    terms_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "terms_hash": self.terms_hash}


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
    # Which labels the tolerance check applies to: "every_label" (a label without a stage x gas breakdown
    # fails it: nothing to recompute its total from) or "labels_with_breakdown" (such a label is exempt).
    tolerance_scope: str = "every_label"

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


def _reject_floats(value: Any, pointer: str) -> None:
    if isinstance(value, float):
        raise invalid(f"binary float at {pointer or '/'}; write quantities as decimal strings", pointer)
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise invalid(f"member name {k!r} at {pointer or '/'} is not a string", pointer)
            _reject_floats(v, f"{pointer}/{escape_token(k)}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _reject_floats(v, f"{pointer}/{i}")
    elif not (value is None or isinstance(value, str | int | bool)):
        raise invalid(f"{type(value).__name__} at {pointer or '/'} is not a JSON value", pointer)


def _int(value: Any, pointer: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise invalid(f"{pointer} must be an integer >= {minimum}, not {value!r}", pointer)
    return value


def _scheme(value: Any, pointer: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise invalid(f"{pointer} must be a scheme id such as 'gd-carbon-label', not {value!r}", pointer)
    return value


def _date(value: Any, pointer: str) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise invalid(f"{pointer} must be a date YYYY-MM-DD, not {value!r}", pointer)
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise invalid(f"{pointer}: {value!r} is not a calendar date", pointer) from e


def version_ref(value: Any, pointer: str) -> VersionRef:
    """Parse ``{"version": n, "terms_hash": hex}`` (``answers``, ``supersedes``)."""
    obj = json_object(value, pointer, ("version", "terms_hash"))
    version = _int(obj["version"], f"{pointer}/version", 1)
    h = obj["terms_hash"]
    if not isinstance(h, str) or not _HEX32.match(h):
        raise invalid(f"{pointer}/terms_hash must be 64 lower-case hex digits", f"{pointer}/terms_hash")
    return VersionRef(version, h)


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
    obj = json_object(doc, "", _TOP_REQUIRED, _TOP_OPTIONAL)
    agreement_id = obj["id"]
    if not isinstance(agreement_id, str) or not _ID.match(agreement_id):
        raise invalid(f"/id must be an id such as 'gd-hk-mutual', not {agreement_id!r}", "/id")
    version = _int(obj["version"], "/version", 1)

    parties = obj["parties"]
    if not isinstance(parties, list) or len(parties) != 2:
        raise invalid("/parties must list exactly two schemes", "/parties")
    p0, p1 = (_scheme(p, f"/parties/{i}") for i, p in enumerate(parties))
    if p0 == p1:
        raise invalid(f"/parties must name two distinct schemes, not {p0!r} twice", "/parties")

    direction = obj["direction"]
    if direction not in DIRECTIONS:
        raise invalid(f"/direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}", "/direction")
    from_scheme = to_scheme = None
    if direction == "one-way":
        for key in ("from", "to"):
            if key not in obj:
                raise invalid(f"a one-way agreement names {key!r}", f"/{key}")
        from_scheme, to_scheme = _scheme(obj["from"], "/from"), _scheme(obj["to"], "/to")
        if {from_scheme, to_scheme} != {p0, p1}:
            raise invalid(f"/from and /to must be the two parties ({p0}, {p1}), one each", "/from")
    else:
        for key in ("from", "to"):
            if key in obj:
                raise invalid(f"a mutual agreement has no {key!r}", f"/{key}")

    conditions_doc = obj["conditions"]
    if not isinstance(conditions_doc, list) or len(conditions_doc) > _MAX_CONDITIONS:
        raise invalid(f"/conditions must be a list of at most {_MAX_CONDITIONS} conditions", "/conditions")
    conditions = tuple(
        parse_condition(c, f"/conditions/{i}", known_fields=known_fields) for i, c in enumerate(conditions_doc)
    )

    conversions_doc = obj.get("conversions", [])
    if not isinstance(conversions_doc, list):
        raise invalid("/conversions must be a list", "/conversions")
    conversions = []
    for i, c in enumerate(conversions_doc):
        cp = f"/conversions/{i}"
        step = json_object(c, cp, ("name",), ("params",))
        name = step["name"]
        if not isinstance(name, str) or not _CONVERSION_NAME.match(name):
            raise invalid(f"{cp}/name must be a conversion name such as 'gwp-recharacterize'", f"{cp}/name")
        if name not in known_conversions:
            raise invalid(
                f"conversion {name!r} is not one the mapping layer has ({', '.join(sorted(known_conversions))})",
                f"{cp}/name",
                code="agreement.unknown_conversion",
            )
        params = step.get("params", {})
        if not isinstance(params, dict):
            raise invalid(f"{cp}/params must be an object", f"{cp}/params")
        conversions.append(ConversionStep(name, params))

    datasets_doc = obj.get("datasets", [])
    if not isinstance(datasets_doc, list):
        raise invalid("/datasets must be a list", "/datasets")
    datasets = []
    for i, d in enumerate(datasets_doc):
        dp = f"/datasets/{i}"
        pin = json_object(d, dp, ("dataset", "version", "entry", "key"))
        entry = pin["entry"]
        if not isinstance(entry, str) or not _HEX32.match(entry):
            raise invalid(f"{dp}/entry must be a dataset.publish entry id (64 lower-case hex)", f"{dp}/entry")
        key = pin["key"]
        if not isinstance(key, str) or not key:
            raise invalid(f"{dp}/key must be a non-empty string", f"{dp}/key")
        datasets.append(
            DatasetPin(_scheme(pin["dataset"], f"{dp}/dataset"), _int(pin["version"], f"{dp}/version", 0), entry, key)
        )
    if len({(d.dataset, d.key) for d in datasets}) != len(datasets):
        raise invalid("/datasets pins the same dataset key twice", "/datasets")

    # "a tolerance (the largest relative gap allowed between a label's stated total and the one recomputed
    # from its own data)": a relative gap, so 0 <= tolerance < 1.
    tolerance = decimal_string(obj["tolerance"], "/tolerance")
    if not Decimal(0) <= tolerance < Decimal(1):
        raise invalid(f"/tolerance is a relative gap in [0, 1), not {obj['tolerance']!r}", "/tolerance")

    tolerance_scope = obj.get("tolerance_scope", TOLERANCE_SCOPES[0])
    if tolerance_scope not in TOLERANCE_SCOPES:
        raise invalid(f"/tolerance_scope must be one of {', '.join(TOLERANCE_SCOPES)}", "/tolerance_scope")

    valid_from = _date(obj["valid_from"], "/valid_from")
    valid_until = None
    if obj.get("valid_until") is not None:
        valid_until = _date(obj["valid_until"], "/valid_until")
        if valid_until < valid_from:
            raise invalid(f"/valid_until {valid_until} is before /valid_from {valid_from}", "/valid_until")

    carry_over = obj.get("carry_over", DEFAULT_CARRY_OVER)
    if carry_over not in CARRY_OVER:
        raise invalid(f"/carry_over must be one of {', '.join(CARRY_OVER)}, not {carry_over!r}", "/carry_over")

    supersedes = None
    if obj.get("supersedes") is not None:
        supersedes = version_ref(obj["supersedes"], "/supersedes")
        if supersedes.version >= version:
            raise invalid(f"version {version} cannot supersede version {supersedes.version}", "/supersedes/version")

    illustrative = obj.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise invalid("/illustrative must be true or false", "/illustrative")
    for key in ("notes", "title", "title_zh", "title_zh_hant"):
        if key in obj and (not isinstance(obj[key], str) or not 0 < len(obj[key]) <= _MAX_TEXT):
            raise invalid(f"/{key} must be a non-empty string of at most {_MAX_TEXT} characters", f"/{key}")

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
        tolerance_scope=tolerance_scope,
        valid_from=valid_from,
        valid_until=valid_until,
        carry_over=carry_over,
        supersedes=supersedes,
        illustrative=illustrative,
        notes=obj.get("notes"),
        document=doc,
    )


__all__ = [
    "ABSENT",
    "APPLIES",
    "CARRY_OVER",
    "DIRECTIONS",
    "OPS",
    "ORDERINGS",
    "TOLERANCE_SCOPES",
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
