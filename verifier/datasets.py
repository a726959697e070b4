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
cannot say: unique keys, kind/attribute/unit agreement, version order, and citations. It is pure: callers
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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mapping.errors import ConflictError, InputError, SchemaError

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
    "CitationResult",
    "check_citation",
    "check_dataset",
    "check_label_citations",
    "check_retire",
    "check_value",
    "check_version_increase",
    "dataset_values",
    "newer_versions",
    "parse_value",
    "require_present",
    "version_statuses",
]

# --- vocabularies (the tests keep these equal to the enums of dataset.publish.schema.json) ----------------

UNITS = (
    "kgCO2/kWh",
    "kgCO2e/kWh",
    "tCO2/MWh",
    "tCO2e/MWh",
    "gCO2/kWh",
    "gCO2e/kWh",
    "kgCO2e/kg",
    "kgCO2e/t",
    "kgCO2e/MJ",
    "kgCO2e/m3",
    "kgCO2e/tkm",
    "kgCO2e/unit",
    "dimensionless",
)
ELECTRICITY_KINDS = (
    "combustion-co2",
    "combustion-co2e",
    "lifecycle-co2e",
    "residual-mix-co2",
    "residual-mix-co2e",
    "supplier-specific",
)
KINDS = (*ELECTRICITY_KINDS, "gwp", "emission-factor")
SCOPES = ("combustion", "lifecycle", "unspecified")
GASES = ("CO2", "CO2e")
BASES = ("location", "residual-mix", "supplier-specific", "fossil-generation")
TD_LOSSES = (True, False, "unspecified")
GWP_SETS = ("AR4", "AR5", "AR5-feedback", "AR6", "EF3.0", "EF3.1", "unspecified", "not-applicable")
# schemes.md "How to read the tags": [S n] confirmed from source n (the note says so where the source is
# secondary); [K] not confirmed from a source. [?] facts are not values, so they are never shipped.
CONFIDENCE = ("confirmed", "secondary", "unconfirmed")
ELECTRICITY_ATTRIBUTES = ("scope", "gases", "basis", "td_losses_included", "year", "gwp_set")
DATASET_STATUSES = ("current", "superseded", "retired", "missing")
CITATION_STATUSES = ("matched", "superseded", "retired", "missing")

_GWP_VALUE_SETS = frozenset({"AR4", "AR5", "AR5-feedback", "AR6", "EF3.0", "EF3.1"})
# Electricity units: the gases they count, and the exact factor to kg per kWh (1 t/MWh = 1 kg/kWh).
_ELECTRICITY_UNITS: dict[str, tuple[str, Decimal]] = {
    "kgCO2/kWh": ("CO2", Decimal(1)),
    "tCO2/MWh": ("CO2", Decimal(1)),
    "gCO2/kWh": ("CO2", Decimal("0.001")),
    "kgCO2e/kWh": ("CO2e", Decimal(1)),
    "tCO2e/MWh": ("CO2e", Decimal(1)),
    "gCO2e/kWh": ("CO2e", Decimal("0.001")),
}


@dataclass(frozen=True)
class _KindRule:
    scopes: frozenset[str]
    gases: frozenset[str]
    bases: frozenset[str]


# What each electricity kind allows (schemes.md §3 and §4.2 example 4): the kind names scope and gases.
_KIND_RULES: dict[str, _KindRule] = {
    "combustion-co2": _KindRule(
        frozenset({"combustion"}), frozenset({"CO2"}), frozenset({"location", "fossil-generation"})
    ),
    "combustion-co2e": _KindRule(
        frozenset({"combustion"}), frozenset({"CO2e"}), frozenset({"location", "fossil-generation"})
    ),
    "lifecycle-co2e": _KindRule(frozenset({"lifecycle"}), frozenset({"CO2e"}), frozenset({"location"})),
    "residual-mix-co2": _KindRule(frozenset(SCOPES), frozenset({"CO2"}), frozenset({"residual-mix"})),
    "residual-mix-co2e": _KindRule(frozenset(SCOPES), frozenset({"CO2e"}), frozenset({"residual-mix"})),
    "supplier-specific": _KindRule(frozenset(SCOPES), frozenset(GASES), frozenset({"supplier-specific"})),
}
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


def _split(entry_or_body: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
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
    dataset, _ = _split(body)
    values = dataset.get("values")
    release = dataset.get("release")
    if (values is None) == (release is None):
        raise SchemaError(
            "a dataset carries exactly one of 'values' (a factor table) or 'release' (file digests)",
            code="dataset.value_invalid",
            field="/dataset",
        )
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
    dataset, _ = _split(body)
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
    body, publisher = _split(publish)
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

_CITE_MEMBERS = ("dataset", "version", "entry", "key")


@dataclass(frozen=True)
class CitationResult:
    """What a buyer sees for one citation: who published the factor, which version, whether a newer one exists.

    ``status``: ``matched`` (the cited version is current), ``superseded`` (a newer version exists:
    ``newer_version`` is the newest), ``retired`` (the publisher retired the cited version) or
    ``missing`` (the cited entry was not available to check).
    """

    dataset: str
    version: int
    entry: str
    key: str
    status: str
    value: str | None = None
    unit: str | None = None
    kind: str | None = None
    publisher: str | None = None
    newer_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.version,
            "entry": self.entry,
            "key": self.key,
            "status": self.status,
            "value": self.value,
            "unit": self.unit,
            "kind": self.kind,
            "publisher": self.publisher,
            "newer_version": self.newer_version,
        }


def _cite_field(label_record: Mapping[str, Any] | None, cite: Mapping[str, Any], member: str) -> str:
    """``/cites/<i>/<member>`` for the label's ``cites`` item equal to ``cite``; ``/cites`` if none is."""
    for i, c in enumerate((label_record or {}).get("cites") or ()):
        if isinstance(c, Mapping) and all(c.get(m) == cite.get(m) for m in _CITE_MEMBERS):
            return f"/cites/{i}/{member}"
    return "/cites"


def _same_citation(a: Any, b: Mapping[str, Any]) -> bool:
    return isinstance(a, Mapping) and all(a.get(m) == b.get(m) for m in _CITE_MEMBERS)


def _normalized(value: Decimal, unit: str) -> tuple[str, Decimal]:
    """(unit family, value) with electricity units brought to kg per kWh exactly; other units as they are."""
    if unit in _ELECTRICITY_UNITS:
        gases, scale = _ELECTRICITY_UNITS[unit]
        return f"kg{gases}/kWh", value * scale
    return unit, value


def _compare_factor(factor: Mapping[str, Any], item: Mapping[str, Any], pointer: str, cited: str) -> None:
    def mismatch(member: str, stated: Any, signed: Any) -> SchemaError:
        return SchemaError(
            f"the label states {member} {stated!r} for {cited}, but the publisher signed {signed!r}",
            code="dataset.citation_value_mismatch",
            field=f"{pointer}/{member}",
        )

    stated_unit, signed_unit = factor.get("unit"), item["unit"]
    family_l, value_l = _normalized(parse_value(factor.get("value"), f"{pointer}/value"), str(stated_unit))
    family_s, value_s = _normalized(Decimal(item["value"]), signed_unit)
    if family_l != family_s:
        raise mismatch("unit", stated_unit, signed_unit)
    if value_l != value_s:
        raise mismatch("value", factor.get("value"), f"{item['value']} {signed_unit}")
    if factor.get("kind") != item["kind"]:
        raise mismatch("kind", factor.get("kind"), item["kind"])
    if "year" in factor and "year" in item and factor["year"] != item["year"]:
        raise mismatch("year", factor["year"], item["year"])
    td = item.get("td_losses_included")
    if "td_losses_included" in factor and isinstance(td, bool) and factor["td_losses_included"] != td:
        raise mismatch("td_losses_included", factor["td_losses_included"], td)
    gwp = item.get("gwp_set")
    if "gwp_set" in factor and gwp in _GWP_VALUE_SETS and factor["gwp_set"] != gwp:
        raise mismatch("gwp_set", factor["gwp_set"], gwp)


def check_citation(
    cite: Mapping[str, Any],
    dataset_body: Mapping[str, Any] | None,
    dataset_status: str,
    label_record: Mapping[str, Any],
    *,
    newer_versions: Iterable[int] = (),
    publisher: str | None = None,
    entry_id: str | None = None,
) -> CitationResult:
    """Check one item of a label's ``cites`` against the dataset entry it names; return what a buyer sees.

    Requires ``cite`` to be schema-valid ``{dataset, version, entry, key}``. ``dataset_body`` is the
    ``dataset.publish`` payload the log holds under ``cite["entry"]`` (or its ``dataset`` object, with
    ``publisher`` passed), or ``None`` if it is not available. ``dataset_status`` is that version's status
    (one of :data:`DATASET_STATUSES`, e.g. from :func:`version_statuses`); ``newer_versions`` the published
    versions above it; ``entry_id`` the id of the entry found, when the caller looked it up some other way.

    Steps: (1) not available → status ``missing`` (no error: a report; :func:`require_present` raises
    ``dataset.citation_missing``); (2) the entry must be the one cited, with the cited dataset id and
    version (``dataset.citation_mismatch``); (3) the key must be in it (``dataset.citation_unknown_key``;
    for a release digest the key is a released file's name); (4) every electricity factor of the label
    whose ``citation`` equals ``cite`` must state the signed value (equal as Decimal, units converted
    exactly between kg/kWh, t/MWh and g/kWh), the same kind, and where both state them the same year, T&D
    flag and GWP set (``dataset.citation_value_mismatch`` at ``/footprint/electricity/<i>/factor/<member>``);
    (5) status ``retired``, else ``superseded`` if a newer version exists, else ``matched``.
    """
    if dataset_status not in DATASET_STATUSES:
        raise InputError(
            f"dataset status {dataset_status!r} is not one of {list(DATASET_STATUSES)}", code="dataset.status_invalid"
        )
    base: dict[str, Any] = {m: cite.get(m) for m in _CITE_MEMBERS}
    # Step 1: availability.
    if dataset_body is None or dataset_status == "missing":
        return CitationResult(**base, status="missing")
    body, signed_publisher = _split(dataset_body)
    publisher = signed_publisher or publisher
    # Step 2: the entry is the one cited.
    if entry_id is not None and entry_id != cite.get("entry"):
        raise SchemaError(
            f"the citation names entry {cite.get('entry')} but the entry found is {entry_id}",
            code="dataset.citation_mismatch",
            field=_cite_field(label_record, cite, "entry"),
        )
    for member, signed in (("dataset", body.get("id")), ("version", body.get("version"))):
        if cite.get(member) != signed:
            raise SchemaError(
                f"the citation names {member} {cite.get(member)!r} but entry {cite.get('entry')} publishes {signed!r}",
                code="dataset.citation_mismatch",
                field=_cite_field(label_record, cite, member),
            )
    # Step 3: the key is in the signed dataset.
    key = cite.get("key")
    cited = f"{body.get('id')} v{body.get('version')} {key!r}"
    if body.get("values") is not None:
        item = dataset_values(body).get(key)  # type: ignore[arg-type]
        if item is None:
            raise SchemaError(
                f"dataset {body.get('id')} version {body.get('version')} has no value with key {key!r}",
                code="dataset.citation_unknown_key",
                field=_cite_field(label_record, cite, "key"),
            )
        value, unit, kind = item["value"], item["unit"], item["kind"]
    else:
        files = {f.get("name") for f in (body.get("release") or {}).get("files") or ()}
        if key not in files:
            raise SchemaError(
                f"release {body.get('id')} version {body.get('version')} lists no file named {key!r}",
                code="dataset.citation_unknown_key",
                field=_cite_field(label_record, cite, "key"),
            )
        item, value, unit, kind = None, None, None, None
    # Step 4: the label's stated factors equal the signed value.
    supplies = (label_record.get("footprint") or {}).get("electricity") or ()
    for i, supply in enumerate(supplies):
        factor = supply.get("factor") if isinstance(supply, Mapping) else None
        if not isinstance(factor, Mapping) or not _same_citation(factor.get("citation"), cite):
            continue
        pointer = f"/footprint/electricity/{i}/factor"
        if item is None:
            raise SchemaError(
                f"{cited} is a released file, not a factor value; a stated factor cannot cite it",
                code="dataset.citation_value_mismatch",
                field=f"{pointer}/citation",
            )
        _compare_factor(factor, item, pointer, cited)
    # Step 5: status.
    newer = sorted(v for v in newer_versions if isinstance(v, int) and v > (body.get("version") or 0))
    newest = newer[-1] if newer else None
    if dataset_status == "retired":
        status = "retired"
    elif dataset_status == "superseded" or newer:
        status = "superseded"
    else:
        status = "matched"
    return CitationResult(
        **base, status=status, value=value, unit=unit, kind=kind, publisher=publisher, newer_version=newest
    )


def require_present(result: CitationResult, label_record: Mapping[str, Any] | None = None) -> CitationResult:
    """Return ``result``, or raise ``dataset.citation_missing`` if it is ``missing`` (admission: the cited
    entry must be in the log). With ``label_record`` the error points at the citation's ``entry``."""
    if result.status == "missing":
        raise SchemaError(
            f"cited dataset entry {result.entry} ({result.dataset} v{result.version}) is not in the log",
            code="dataset.citation_missing",
            field=_cite_field(label_record, result.to_dict(), "entry"),
        )
    return result


def check_label_citations(label_record: Mapping[str, Any]) -> None:
    """Every electricity factor's ``citation`` must also be listed in the label's ``cites`` (so checking each
    item of ``cites`` with :func:`check_citation` checks every cited factor): ``dataset.citation_unlisted``."""
    cites = [c for c in label_record.get("cites") or () if isinstance(c, Mapping)]
    supplies = (label_record.get("footprint") or {}).get("electricity") or ()
    for i, supply in enumerate(supplies):
        factor = supply.get("factor") if isinstance(supply, Mapping) else None
        citation = factor.get("citation") if isinstance(factor, Mapping) else None
        if citation is None:
            continue
        if not any(_same_citation(citation, c) for c in cites):
            raise SchemaError(
                f"electricity factor {i} cites {citation.get('dataset')} v{citation.get('version')} "
                f"{citation.get('key')!r}, which the label's 'cites' does not list",
                code="dataset.citation_unlisted",
                field=f"/footprint/electricity/{i}/factor/citation",
            )
