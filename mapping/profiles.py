"""Methodology profiles as data: ``mapping/data/profiles/<id>.json`` against ``mapping/data/profile.schema.json``.

Two kinds (DESIGN §5): ``standard`` profiles are reference data; ``scheme`` profiles extend a standard
profile (``extends``) and are signed by the scheme's root key when published (``profile.publish``). Every
dimension carries its value (or ``unspecified``) and the source it comes from.

Validation is in two steps: the structural check against the JSON Schema (``jsonschema_rs``), then semantic
checks the schema cannot express (kind and ``extends`` agree, a scheme extends a known standard profile or,
when no source names the standard it follows, nothing; excluded and optional stages lie inside the boundary;
a date-dependent GWP rule is in date order and requires only sets the profile lists; tolerances are positive).

A GWP requirement may depend on the footprint's date (``gwp_sets.by_date``: "the latest IPCC values" is a rule,
not a frozen set): :func:`gwp_sets_required` reads it for one date and :func:`gwp_rule_met` judges a footprint's
declared sets by its date.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from .errors import MappingError, UnknownProfileError
from .stages import generic_stages
from .vocabulary import BOUNDARY_STAGES

_STAGE_LISTS = ("excluded_stages", "optional_stages")  # a boundary's stage lists: generic stages or EN 15804 modules

DIMENSIONS = (
    "standards",
    "claim_types",
    "declared_unit",
    "boundary",
    "gwp_sets",
    "methane_origin",
    "biogenic_method",
    "biogenic_headline",
    "land_use_change",
    "packaging",
    "electricity_basis",
    "electricity_factor_kind",
    "allocation",
    "cut_off",
    "primary_data",
    "data_quality",
    "verification",
    "validity",
)
UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class Dimension:
    """One dimension of a profile: its value (or ``"unspecified"``), its source, a note and any extra members."""

    name: str
    value: Any
    source: str
    note: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def unspecified(self) -> bool:
        return self.value == UNSPECIFIED

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)


@dataclass(frozen=True)
class Profile:
    """A validated methodology profile. ``extends`` is the extended standard profile's id (or None)."""

    id: str
    version: str
    kind: str
    name: str
    name_zh: str | None
    extends: str | None
    extends_version: str | None
    publisher: str
    document_json: str
    name_zh_hant: str | None = None  # the Traditional form of name_zh, where the profile states one

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.document_json)

    def to_dict(self) -> dict[str, Any]:
        """The profile document as published (a fresh copy)."""
        return self.document

    def dimension(self, name: str) -> Dimension:
        """One dimension; a boundary's stage lists are read in generic stages (EN 15804 modules expanded)."""
        raw = self.document["dimensions"][name]
        extra = tuple(
            (k, list(generic_stages(v)) if k in _STAGE_LISTS and name == "boundary" else v)
            for k, v in raw.items()
            if k not in ("value", "source", "note")
        )
        return Dimension(name, raw["value"], raw["source"], raw.get("note"), extra)

    def dimensions(self) -> list[Dimension]:
        return [self.dimension(n) for n in DIMENSIONS]

    @property
    def stage_tolerance(self) -> Decimal:
        return Decimal(self.document["tolerances"]["stage_sum_relative"]["value"])

    @property
    def gas_tolerance(self) -> Decimal:
        return Decimal(self.document["tolerances"]["gas_total_relative"]["value"])

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "name_zh": self.name_zh,
            "version": self.version,
            "kind": self.kind,
            "extends": self.extends,
        }


# ---- validation -------------------------------------------------------------------------------------
@cache
def profile_schema() -> dict[str, Any]:
    text = (resources.files("mapping") / "data" / "profile.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator() -> Any:
    return jsonschema_rs.Draft202012Validator(profile_schema(), validate_formats=False)


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _structural(doc: Any) -> None:
    v = _validator()
    if v.is_valid(doc):
        return
    error = min(v.iter_errors(doc), key=lambda e: (-len(e.instance_path), e.message))
    pointer = _pointer(error.instance_path)
    raise MappingError(f"profile schema: at {pointer}: {error.message}", code="mapping.invalid_profile", field=pointer)


def _semantic(doc: dict[str, Any], standards: dict[tuple[str, str], dict[str, Any]]) -> None:
    kind, extends = doc["kind"], doc["extends"]
    if kind == "standard" and extends is not None:
        raise MappingError("a standard profile extends nothing", code="mapping.invalid_profile", field="/extends")
    if kind == "scheme" and extends is None and "[?]" not in doc["source"]:
        raise MappingError(
            "a scheme profile extends a standard profile, or nothing only when its source says no standard is "
            "named ([?])",
            code="mapping.invalid_profile",
            field="/extends",
        )
    if kind == "scheme" and extends is not None:
        base = standards.get((extends["id"], extends["version"]))
        if base is None:
            raise UnknownProfileError(
                f"extends {extends['id']} version {extends['version']}, which is not a known standard profile",
                code="mapping.unknown_profile",
                field="/extends",
            )
        if extends["id"] == doc["id"]:
            raise MappingError("a profile cannot extend itself", code="mapping.invalid_profile", field="/extends")
    dims = doc["dimensions"]
    _check_boundary(dims["boundary"])
    _check_gwp_rule(dims["gwp_sets"])
    for key in ("stage_sum_relative", "gas_total_relative"):
        if Decimal(doc["tolerances"][key]["value"]) <= 0:
            raise MappingError(
                "a tolerance must be positive", code="mapping.invalid_profile", field=f"/tolerances/{key}/value"
            )
    validity = dims["validity"]["value"]
    if isinstance(validity, dict) and validity.get("years") is not None and "from" not in validity:
        raise MappingError(
            "a validity period in years needs its anchor ('from')",
            code="mapping.invalid_profile",
            field="/dimensions/validity/value",
        )


def _check_boundary(boundary: dict[str, Any]) -> None:
    excluded, optional = boundary.get("excluded_stages", []), boundary.get("optional_stages", [])
    if boundary["value"] == UNSPECIFIED:
        if excluded or optional or "module_d" in boundary:
            raise MappingError(
                "an unspecified boundary names no stages", code="mapping.invalid_profile", field="/dimensions/boundary"
            )
        return
    for key, stages in (("excluded_stages", excluded), ("optional_stages", optional)):
        for b in boundary["value"]:
            outside = [s for s in stages if not set(generic_stages([s])) <= set(BOUNDARY_STAGES[b])]
            if outside:
                raise MappingError(
                    f"{key.split('_')[0]} stage(s) {', '.join(outside)} lie outside boundary {b}",
                    code="mapping.invalid_profile",
                    field=f"/dimensions/boundary/{key}",
                )
    both = [s for s in optional if set(generic_stages([s])) & set(generic_stages(excluded))]
    if both:
        raise MappingError(
            f"stage(s) {', '.join(both)} cannot be both excluded and optional",
            code="mapping.invalid_profile",
            field="/dimensions/boundary/optional_stages",
        )


def _check_gwp_rule(gwp: dict[str, Any]) -> None:
    periods = gwp.get("by_date")
    if periods is None:
        return
    field = "/dimensions/gwp_sets/by_date"
    if gwp["value"] == UNSPECIFIED:
        raise MappingError("a GWP rule needs the sets it can require", code="mapping.invalid_profile", field=field)
    starts = [_date(p["from"], f"{field}/{i}/from") for i, p in enumerate(periods)]
    if any(b <= a for a, b in itertools.pairwise(starts)):
        raise MappingError("GWP rule periods must be in date order", code="mapping.invalid_profile", field=field)
    for i, p in enumerate(periods):
        stray = [s for s in p["sets"] if s not in gwp["value"]]
        if stray:
            raise MappingError(
                f"the GWP rule requires {', '.join(stray)}, which the profile's sets do not list",
                code="mapping.invalid_profile",
                field=f"{field}/{i}/sets",
            )


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise MappingError(f"{text!r} is not a calendar date", code="mapping.invalid_profile", field=field) from None


def gwp_sets_required(dimension: Dimension, on: date) -> tuple[str, ...] | None:
    """The GWP sets a footprint dated ``on`` must use under ``dimension`` (a profile's ``gwp_sets``).

    A fixed rule gives its sets whatever the date; a date-dependent rule (``by_date``) gives the sets of the
    period containing ``on``; ``None`` when the dimension is unspecified or ``on`` precedes every period (the rule
    names no set the package knows for that date).
    """
    if dimension.unspecified:
        return None
    periods = dimension.get("by_date")
    if periods is None:
        return tuple(dimension.value)
    current = None
    for p in periods:
        if date.fromisoformat(p["from"]) <= on:
            current = tuple(p["sets"])
    return current


def gwp_rule_met(profile: Profile, declared: list[str], on: date) -> bool:
    """Whether a footprint dated ``on`` that declares GWP sets ``declared`` meets ``profile``'s GWP rule.

    Every declared set must be one the rule requires on that date; an unspecified rule is never met.
    """
    required = gwp_sets_required(profile.dimension("gwp_sets"), on)
    return bool(declared) and required is not None and all(s in required for s in declared)


def _to_profile(doc: dict[str, Any]) -> Profile:
    ext = doc["extends"]
    return Profile(
        id=doc["id"],
        version=doc["version"],
        kind=doc["kind"],
        name=doc["name"],
        name_zh=doc["name_zh"],
        extends=None if ext is None else ext["id"],
        extends_version=None if ext is None else ext["version"],
        publisher=doc["publisher"],
        document_json=json.dumps(doc, ensure_ascii=False, sort_keys=True),
        name_zh_hant=doc.get("name_zh_hant"),
    )


def _standards(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["id"], d["version"]): d for d in docs if d.get("kind") == "standard"}


def validate_profile(doc: dict[str, Any]) -> Profile:
    """Check ``doc`` against the profile schema and the semantic rules; return it as a :class:`Profile`.

    A scheme profile must extend a standard profile shipped with this package.
    """
    _structural(doc)
    _semantic(doc, _standards([p.document for p in _shipped()]))
    return _to_profile(copy.deepcopy(doc))


# ---- the shipped profiles ---------------------------------------------------------------------------
@cache
def _shipped() -> tuple[Profile, ...]:
    folder = resources.files("mapping") / "data" / "profiles"
    docs = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".json"):
            continue
        doc = json.loads(entry.read_text(encoding="utf-8"))
        try:
            _structural(doc)
        except MappingError as e:
            raise MappingError(f"shipped profile {entry.name}: {e.message}", code=e.code, field=e.field) from e
        docs.append(doc)
    standards = _standards(docs)
    for doc in docs:
        _semantic(doc, standards)
    seen = set()
    for doc in docs:
        key = (doc["id"], doc["version"])
        if key in seen:
            raise MappingError(f"profile {key[0]} version {key[1]} shipped twice", code="mapping.invalid_profile")
        seen.add(key)
    return tuple(_to_profile(d) for d in docs)


def _version_key(version: str) -> tuple[Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.split("."))


def list_profiles() -> list[Profile]:
    """Every shipped profile (every version), standards first, then by id and version."""
    return sorted(_shipped(), key=lambda p: (p.kind != "standard", p.id, _version_key(p.version)))


def get_profile(profile_id: str, version: str | None = None) -> Profile:
    """The shipped profile ``profile_id`` at ``version`` (default: its newest version)."""
    candidates = [p for p in _shipped() if p.id == profile_id]
    if not candidates:
        known = ", ".join(sorted({p.id for p in _shipped()}))
        raise UnknownProfileError(
            f"unknown profile {profile_id!r} (known: {known})", code="mapping.unknown_profile", field="profile"
        )
    if version is None:
        return max(candidates, key=lambda p: _version_key(p.version))
    for p in candidates:
        if p.version == version:
            return p
    versions = ", ".join(sorted(p.version for p in candidates))
    raise UnknownProfileError(
        f"profile {profile_id!r} has no version {version!r} (versions: {versions})",
        code="mapping.unknown_profile_version",
        field="profile",
    )


def as_profile(p: Profile | str) -> Profile:
    """``p`` itself when it is a :class:`Profile`, else the shipped profile of that id (its newest version)."""
    if isinstance(p, Profile):
        return p
    if isinstance(p, str):
        return get_profile(p)
    raise MappingError(
        f"expected a Profile or a profile id, got {type(p).__name__}", code="mapping.bad_params", field="profile"
    )


__all__ = [
    "DIMENSIONS",
    "UNSPECIFIED",
    "Dimension",
    "Profile",
    "as_profile",
    "get_profile",
    "gwp_rule_met",
    "gwp_sets_required",
    "list_profiles",
    "profile_schema",
    "validate_profile",
]
