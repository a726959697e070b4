"""Background data: what a dataset entry and a label's citation of it must satisfy beyond their schemas.

DESIGN §5 "Background data": "factor datasets are signed ledger entries — grid electricity factors (each
with scope: combustion or life cycle; gases: CO2 only or CO2e; basis: location, residual mix or
supplier-specific; T&D losses in or out; data year), GWP tables, digests of LCA database releases. Labels
cite the entries they used; admission and the verifier check each citation."

schemes.md §3: "Write every factor with four attributes: kind, geography, data year, and publication.
They are not interchangeable." So an electricity value's ``kind`` names its scope and gases, and the
attributes it carries must agree with that kind; a label's stated factor must equal the signed value in
number, unit and kind, so factors that differ in scope or gases are never mixed silently.

Shape is the JSON Schemas' job (``dataset.publish`` / ``dataset.retire``); this module checks what a schema
cannot say: unique keys, kind/attribute/unit agreement, version order, and citations. A value's (or a whole
dataset's) ``published`` — when the authority published it, optional so that older entries still verify — is
checked by :func:`verifier.citations_published.check_published` (dated one way only). It is pure: callers
pass what the log holds (the cited ``dataset.publish`` payload, whether newer versions or a retirement
exist); nothing here reads the log.

Errors (``field`` is a JSON Pointer into the ``dataset.publish`` payload or the label record):

* :class:`~mapping.errors.InputError` ``dataset.float`` — a value written as a JSON number;
* :class:`~mapping.errors.SchemaError` ``dataset.value_invalid``, ``dataset.unknown_unit``,
  ``dataset.unknown_kind``, ``dataset.kind_mismatch``, ``dataset.duplicate_key``, ``dataset.duplicate_file``,
  ``dataset.year_not_listed``, ``dataset.version_not_increasing``, ``dataset.retire_mismatch``,
  ``dataset.already_retired``, ``dataset.citation_missing``, ``dataset.citation_mismatch``,
  ``dataset.citation_unknown_key``, ``dataset.citation_value_mismatch``, ``dataset.citation_unlisted``;
* :class:`~mapping.errors.InputError` ``dataset.status_invalid`` — a caller passed an unknown status.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from mapping.errors import ConflictError, InputError, SchemaError
from mapping.vocabulary import (
    CONFIDENCE,
    DATASET_BASES,
    DATASET_GWP_SETS,
    DATASET_KINDS,
    DATASET_UNITS,
    DECLARED_GWP_SETS,
    ELECTRICITY_ATTRIBUTES,
    ELECTRICITY_KIND_RULES,
    ELECTRICITY_KINDS,
    ELECTRICITY_UNITS,
    GASES,
    SCOPES,
    TD_LOSSES,
)

from .citations_published import check_published

__all__ = [
    "BASES",
    "CITATION_STATUSES",
    "CONFIDENCE",
    "DATASET_STATUSES",
    "ELECTRICITY_ATTRIBUTES",
    "ELECTRICITY_KINDS",
    "GASES",
    "GWP_SETS",
    "KINDS",
    "SCOPES",
    "UNITS",
    "check_dataset",
    "check_retire",
    "check_value",
    "check_version_increase",
    "dataset_values",
    "newer_versions",
    "parse_value",
    "split_payload",
    "version_statuses",
]

# --- vocabularies (the tests keep these equal to the enums of dataset.publish.schema.json) ----------------

# The vocabularies are the domain's (mapping/vocabulary.py, kept equal to dataset.publish.schema.json's enums
# by the tests); the names below are this module's public spelling of them.
UNITS = DATASET_UNITS
KINDS = DATASET_KINDS
BASES = DATASET_BASES
GWP_SETS = DATASET_GWP_SETS
DATASET_STATUSES = ("current", "superseded", "retired", "missing")
CITATION_STATUSES = ("matched", "superseded", "retired", "missing")

_GWP_VALUE_SETS = frozenset(DECLARED_GWP_SETS)
_ELECTRICITY_UNITS = ELECTRICITY_UNITS
_KIND_RULES = ELECTRICITY_KIND_RULES
_ENUMS: dict[str, tuple[Any, ...]] = {
    "scope": SCOPES,
    "gases": GASES,
    "basis": BASES,
    "td_losses_included": TD_LOSSES,
    "gwp_set": GWP_SETS,
    "confidence": CONFIDENCE,
}
# common.schema.json#/$defs/decimal
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?")


# --- one value ----------------------------------------------------------------------------------------------


def _kind_mismatch(message: str, field: str) -> SchemaError:
    return SchemaError(message, code="dataset.kind_mismatch", field=field)


def parse_value(value: Any, field: str) -> Decimal:
    """The Decimal of a decimal string ``value``; a JSON number is refused (``dataset.float``)."""
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        raise InputError(
            f'value {value!r} is a JSON number; write it as a decimal string such as "{value}"',
            code="dataset.float",
            field=field,
        )
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise SchemaError(
            f"value {value!r} is not a plain decimal string (digits, optional '-' and '.', no exponent)",
            code="dataset.value_invalid",
            field=field,
        )
    return Decimal(value)


def check_value(item: Mapping[str, Any], pointer: str = "/dataset/values/0") -> None:
    """Check one ``values`` item beyond its schema; ``pointer`` is where it sits (errors name its members).

    Requires ``item`` to be a mapping. Electricity kinds must carry every one of
    :data:`ELECTRICITY_ATTRIBUTES`, consistent with the kind and the unit; other kinds carry none of the
    electricity-only attributes (scope, gases, basis, td_losses_included).
    """
    key = item.get("key")
    number = parse_value(item.get("value"), f"{pointer}/value")
    kind = item.get("kind")
    unit = item.get("unit")
    if kind not in KINDS:
        raise SchemaError(f"value {key!r}: unknown kind {kind!r}", code="dataset.unknown_kind", field=f"{pointer}/kind")
    if unit not in UNITS:
        raise SchemaError(f"value {key!r}: unknown unit {unit!r}", code="dataset.unknown_unit", field=f"{pointer}/unit")
    for member, allowed in _ENUMS.items():
        # bool members compare by identity: 1 == True, but 1 is not a T&D flag
        if member in item and (item[member] not in allowed or type(item[member]) is int):
            raise SchemaError(
                f"value {key!r}: {member} {item[member]!r} is not one of {list(allowed)}",
                code="dataset.value_invalid",
                field=f"{pointer}/{member}",
            )
    if "year" in item and (isinstance(item["year"], bool) or not isinstance(item["year"], int)):
        raise SchemaError(
            f"value {key!r}: year must be an integer", code="dataset.value_invalid", field=f"{pointer}/year"
        )
    if "published" in item:  # issue 20: when the authority published it (absent on older entries)
        check_published(item["published"], f"{pointer}/published")

    if kind in _KIND_RULES:
        _check_electricity(item, kind, unit, pointer)
        if number < 0:
            raise SchemaError(
                f"value {key!r}: an electricity factor cannot be negative",
                code="dataset.value_invalid",
                field=f"{pointer}/value",
            )
        return
    for member in ("scope", "gases", "basis", "td_losses_included"):
        if member in item:
            raise _kind_mismatch(
                f"value {key!r}: {member} describes electricity factors; kind {kind!r} must not carry it",
                f"{pointer}/{member}",
            )
    if kind == "gwp":
        if unit != "dimensionless":
            raise _kind_mismatch(f"value {key!r}: a GWP is dimensionless, not {unit!r}", f"{pointer}/unit")
        if item.get("gwp_set") not in _GWP_VALUE_SETS:
            raise _kind_mismatch(
                f"value {key!r}: a GWP names its set, one of {sorted(_GWP_VALUE_SETS)}", f"{pointer}/gwp_set"
            )
        if number < 0:
            raise SchemaError(
                f"value {key!r}: a GWP cannot be negative", code="dataset.value_invalid", field=f"{pointer}/value"
            )
    elif unit == "dimensionless":
        raise _kind_mismatch(f"value {key!r}: only kind 'gwp' is dimensionless", f"{pointer}/unit")


def _check_electricity(item: Mapping[str, Any], kind: str, unit: str, pointer: str) -> None:
    key = item.get("key")
    for member in ELECTRICITY_ATTRIBUTES:
        if member not in item:
            # schemes.md §4.2 ex. 4: "Every factor therefore carries its scope, gases, basis, whether T&D
            # losses are included, data year and gwp set."
            hint = "" if member == "year" else " (use 'unspecified' if unknown)"
            raise _kind_mismatch(
                f"value {key!r}: an electricity factor ({kind}) must state {member}{hint}", f"{pointer}/{member}"
            )
    rule = _KIND_RULES[kind]
    for member, allowed in (("scope", rule.scopes), ("gases", rule.gases), ("basis", rule.bases)):
        if item[member] not in allowed:
            raise _kind_mismatch(
                f"value {key!r}: kind {kind!r} needs {member} in {sorted(allowed)}, not {item[member]!r}",
                f"{pointer}/{member}",
            )
    gases = item["gases"]
    unit_gases = _ELECTRICITY_UNITS.get(unit, (None, None))[0]
    if unit_gases != gases:
        wanted = sorted(u for u, (g, _) in _ELECTRICITY_UNITS.items() if g == gases)
        raise _kind_mismatch(
            f"value {key!r}: a {gases} electricity factor is in one of {wanted}, not {unit!r}", f"{pointer}/unit"
        )
    if (gases == "CO2") != (item["gwp_set"] == "not-applicable"):
        raise _kind_mismatch(
            f"value {key!r}: gwp_set is 'not-applicable' exactly when gases is CO2 only (here {gases})",
            f"{pointer}/gwp_set",
        )


# --- a whole dataset ----------------------------------------------------------------------------------------


def split_payload(entry_or_body: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
    """(dataset body, publisher) from either a ``dataset.publish`` payload or its ``dataset`` object."""
    inner = entry_or_body.get("dataset")
    if isinstance(inner, Mapping) and "id" in inner:
        publisher = entry_or_body.get("publisher")
        return inner, publisher if isinstance(publisher, str) else None
    return entry_or_body, None


def check_dataset(body: Mapping[str, Any]) -> None:
    """Check a dataset beyond its schema: each value (:func:`check_value`), unique keys, listed years.

    ``body`` is the ``dataset`` object of a ``dataset.publish`` payload, or the payload itself; errors
    point into the payload (``/dataset/values/<i>/…``) either way. Requires a schema-valid shape for the
    members it does not check itself.
    """
    dataset, _ = split_payload(body)
    values = dataset.get("values")
    release = dataset.get("release")
    if (values is None) == (release is None):
        raise SchemaError(
            "a dataset carries exactly one of 'values' (a factor table) or 'release' (file digests)",
            code="dataset.value_invalid",
            field="/dataset",
        )
    if "published" in dataset:
        check_published(dataset["published"], "/dataset/published")
    years = set(dataset.get("years") or ())
    if values is not None:
        first_index: dict[Any, int] = {}
        for i, item in enumerate(values):
            pointer = f"/dataset/values/{i}"
            if not isinstance(item, Mapping):
                raise SchemaError("a value must be an object", code="dataset.value_invalid", field=pointer)
            key = item.get("key")
            if key in first_index:
                raise SchemaError(
                    f"duplicate key {key!r} (first at /dataset/values/{first_index[key]})",
                    code="dataset.duplicate_key",
                    field=f"{pointer}/key",
                )
            first_index[key] = i
            check_value(item, pointer)
            if years and "year" in item and item["year"] not in years:
                raise SchemaError(
                    f"value {key!r}: year {item['year']} is not among the dataset's years {sorted(years)}",
                    code="dataset.year_not_listed",
                    field=f"{pointer}/year",
                )
    else:
        assert release is not None  # exactly one of the two, checked above
        seen: dict[Any, int] = {}
        for i, f in enumerate(release.get("files") or ()):
            name = f.get("name") if isinstance(f, Mapping) else None
            if name in seen:
                raise SchemaError(
                    f"file {name!r} is listed twice (first at /dataset/release/files/{seen[name]})",
                    code="dataset.duplicate_file",
                    field=f"/dataset/release/files/{i}/name",
                )
            seen[name] = i


def dataset_values(body: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The dataset's values by key (empty for a release digest). ``body`` as for :func:`check_dataset`."""
    dataset, _ = split_payload(body)
    return {item["key"]: dict(item) for item in dataset.get("values") or ()}


# --- versions -----------------------------------------------------------------------------------------------


def check_version_increase(previous_versions: Iterable[int], version: int) -> None:
    """Refuse ``version`` unless it is greater than every version of the same dataset id already published.

    Issue 8: "a new version supersedes the old one without erasing it"; a version that does not increase
    is ``dataset.version_not_increasing``.
    """
    previous = list(previous_versions)
    if previous and version <= max(previous):
        raise ConflictError(
            f"dataset version {version} does not increase: version {max(previous)} is already published",
            code="dataset.version_not_increasing",
            field="/dataset/version",
        )


def version_statuses(published: Iterable[int], retired: Iterable[int] = ()) -> dict[int, str]:
    """Status of every published version: ``retired``, else ``current`` for the highest one not retired,
    else ``superseded``. (Retiring the newest version makes the one below it current again.)"""
    retired_set = set(retired)
    versions = sorted(set(published))
    live = [v for v in versions if v not in retired_set]
    top = live[-1] if live else None
    return {v: "retired" if v in retired_set else ("current" if v == top else "superseded") for v in versions}


def newer_versions(version: int, published: Iterable[int], retired: Iterable[int] = ()) -> list[int]:
    """The published, not retired versions above ``version``, ascending (what makes it ``superseded``)."""
    retired_set = set(retired)
    return sorted({v for v in published if v > version and v not in retired_set})


def check_retire(
    retire: Mapping[str, Any], publish: Mapping[str, Any] | None, *, already_retired: bool = False
) -> None:
    """Check a ``dataset.retire`` payload against the ``dataset.publish`` payload its ``dataset.entry`` names.

    ``publish`` is ``None`` when the log holds no entry with that id (``dataset.citation_missing`` would be
    the wrong word here: this is ``dataset.retire_mismatch`` at ``/dataset/entry``). The publisher, id and
    version must match the published ones; a version is retired once (``dataset.already_retired``).
    """
    target = retire.get("dataset") or {}
    if publish is None or publish.get("kind", "dataset.publish") != "dataset.publish":
        raise SchemaError(
            f"entry {target.get('entry')} is not a dataset.publish in the log",
            code="dataset.retire_mismatch",
            field="/dataset/entry",
        )
    body, publisher = split_payload(publish)
    for member, mine, theirs in (
        ("/publisher", retire.get("publisher"), publisher),
        ("/dataset/id", target.get("id"), body.get("id")),
        ("/dataset/version", target.get("version"), body.get("version")),
    ):
        if mine != theirs:
            raise SchemaError(
                f"retire names {mine!r} but the published entry has {theirs!r}",
                code="dataset.retire_mismatch",
                field=member,
            )
    if already_retired:
        raise ConflictError(
            f"dataset {body.get('id')} version {body.get('version')} is already retired",
            code="dataset.already_retired",
            field="/dataset/entry",
        )


# --- citations ----------------------------------------------------------------------------------------------
