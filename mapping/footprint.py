"""The footprint model: a label record's ``footprint`` (and the fields around it) as typed Decimal quantities.

Field names follow WBCSD PACT v3 as the label-record schema does. :meth:`Footprint.from_label` validates
what the conversions rely on and names the JSON Pointer of the first field at fault. Two consistency checks
tie the breakdown to the stated total (the excluding-uptake total, since stage masses are emissions):

* per-gas masses: when any stage carries gas masses, the total recomputed under the label's GWP set must be
  within ``gas_tolerance`` (default 1 % relative) of the stated total (code ``mapping.gas_total_mismatch``);
* stage breakdown: when the stages carry only already-characterized CO2e (``other_co2e_kg``), their sum must
  be within ``stage_tolerance`` (default 0.1 % relative) (code ``mapping.stage_sum_mismatch``).

A label declaring several GWP sets, or an EF set the table does not hold, cannot be recomputed: the check is
recorded as not done in :attr:`Footprint.checks`, never silently passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from .errors import MappingError
from .gwp import BIOGENIC_METHODS, co2e, gas_ids
from .orderings import BOUNDARIES, GWP_SETS, VERIFICATION_LEVELS
from .quantities import CO2E_UNIT, CONTEXT, parse_decimal, plain, quantize

STAGES = ("raw-materials", "production", "distribution", "use", "end-of-life")
BOUNDARY_STAGES: dict[str, tuple[str, ...]] = {
    "gate-to-gate": ("production",),
    "cradle-to-gate": ("raw-materials", "production"),
    "cradle-to-grave": STAGES,
}
DECLARED_UNITS = (
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
    "piece",
)
DECLARED_SETS = (*GWP_SETS, "EF3.0", "EF3.1")
CLAIM_TYPES = ("footprint", "reduction", "grade", "neutrality")
ELECTRICITY_BASES = ("location", "market", "residual-mix", "supplier-specific")
INSTRUMENTS = ("none", "GEC", "GO", "REC", "I-REC", "PPA", "direct-line")
FACTOR_KINDS = (
    "combustion-co2",
    "combustion-co2e",
    "lifecycle-co2e",
    "residual-mix-co2",
    "residual-mix-co2e",
    "supplier-specific",
)
FACTOR_UNITS = ("kgCO2e/kWh", "kgCO2/kWh")
ALLOCATION_RULES = ("none-needed", "physical", "economic", "system-expansion", "cut-off", "cff", "other")
DEFAULT_STAGE_TOLERANCE = Decimal("0.001")
DEFAULT_GAS_TOLERANCE = Decimal("0.01")
_BIOGENIC_QUANTITIES = (
    "biogenicCarbonContent",
    "biogenicCO2Uptake",
    "biogenicNonCO2Emissions",
    "landManagementFossilGhgEmissions",
    "landManagementBiogenicCO2Emissions",
    "landManagementBiogenicCO2Removals",
    "dlucGhgEmissions",
    "ilucGhgEmissions",
)


def _enum(value: Any, allowed: tuple[str, ...], field: str, what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise MappingError(
            f"{field}: unknown {what} {value!r} (allowed: {', '.join(allowed)})",
            code="mapping.unknown_unit" if what.endswith("unit") else "mapping.unknown_value",
            field=field,
        )
    return value


def _obj(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{field} must be an object", code="mapping.bad_field", field=field)
    return value


def _require(obj: dict[str, Any], key: str, field: str) -> Any:
    if key not in obj:
        raise MappingError(f"{field}/{key} is missing", code="mapping.missing_field", field=f"{field}/{key}")
    return obj[key]


@dataclass(frozen=True)
class Stage:
    """One life-cycle stage: kg of each gas per declared unit, plus kgCO2e of gases not listed."""

    masses: dict[str, Decimal]
    other_co2e: Decimal = Decimal(0)

    def co2e(self, gwp_set: str, biogenic_method: str = "0/0") -> Decimal:
        with localcontext(CONTEXT):
            return co2e(self.masses, gwp_set, biogenic_method=biogenic_method) + self.other_co2e

    def scaled(self, k: Decimal) -> Stage:
        with localcontext(CONTEXT):
            return Stage({g: m * k for g, m in self.masses.items()}, self.other_co2e * k)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"masses_kg": {g: plain(m) for g, m in self.masses.items()}}
        if self.other_co2e:
            out["other_co2e_kg"] = plain(self.other_co2e)
        return out

    @classmethod
    def parse(cls, raw: Any, field: str) -> Stage:
        obj = _obj(raw, field)
        extra = set(obj) - {"masses_kg", "other_co2e_kg"}
        if extra:
            raise MappingError(f"{field}: unknown member {sorted(extra)[0]!r}", code="mapping.bad_field", field=field)
        masses_raw = _obj(_require(obj, "masses_kg", field), f"{field}/masses_kg")
        known = gas_ids()
        masses = {}
        for gas, m in masses_raw.items():
            if gas not in known:
                raise MappingError(
                    f"{field}/masses_kg: gas {gas!r} is not in the GWP table",
                    code="mapping.unknown_gas",
                    field=f"{field}/masses_kg/{gas}",
                )
            masses[gas] = parse_decimal(m, f"{field}/masses_kg/{gas}", nonnegative=True)
        other = parse_decimal(obj.get("other_co2e_kg", "0"), f"{field}/other_co2e_kg")
        return cls(masses, other)


@dataclass(frozen=True)
class Factor:
    """An electricity emission factor with its scope and provenance; ``source`` is repeated in every trail."""

    value: Decimal
    unit: str
    kind: str
    year: int | None = None
    geography: str | None = None
    td_losses_included: bool | None = None
    gwp_set: str | None = None
    source: dict[str, Any] | None = None

    @classmethod
    def parse(cls, raw: Any, field: str, *, require_source: bool = False) -> Factor:
        obj = _obj(raw, field)
        value = parse_decimal(_require(obj, "value", field), f"{field}/value", nonnegative=True)
        unit = _enum(_require(obj, "unit", field), FACTOR_UNITS, f"{field}/unit", "factor unit")
        kind = _enum(_require(obj, "kind", field), FACTOR_KINDS, f"{field}/kind", "factor kind")
        gases_co2_only = kind.endswith("-co2")
        if (unit == "kgCO2/kWh") != gases_co2_only and kind != "supplier-specific":
            raise MappingError(
                f"{field}: unit {unit} does not match kind {kind} "
                "(CO2-only kinds use kgCO2/kWh, CO2e kinds kgCO2e/kWh)",
                code="mapping.factor_unit_mismatch",
                field=f"{field}/unit",
            )
        year = obj.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise MappingError(f"{field}/year must be an integer", code="mapping.bad_field", field=f"{field}/year")
        td = obj.get("td_losses_included")
        if td is not None and not isinstance(td, bool):
            raise MappingError(
                f"{field}/td_losses_included must be true or false",
                code="mapping.bad_field",
                field=f"{field}/td_losses_included",
            )
        gwp_set = obj.get("gwp_set")
        if gwp_set is not None:
            gwp_set = _enum(gwp_set, GWP_SETS, f"{field}/gwp_set", "GWP set")
        source = obj.get("source", obj.get("citation"))
        if source is not None and not isinstance(source, dict):
            raise MappingError(f"{field}/source must be an object", code="mapping.bad_field", field=f"{field}/source")
        if require_source and not source:
            raise MappingError(
                f"{field}: a factor used in a conversion must carry a source reference "
                "({dataset, version, entry, key}); factors are never constants in code",
                code="mapping.factor_source_missing",
                field=f"{field}/source",
            )
        geography = obj.get("geography")
        return cls(value, unit, kind, year, geography, td, gwp_set, dict(source) if source else None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": plain(self.value), "unit": self.unit, "kind": self.kind}
        for key in ("year", "geography", "td_losses_included", "gwp_set", "source"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Supply:
    """One electricity supply: kWh per declared unit, accounting basis, instrument and the cited factor."""

    kwh: Decimal
    basis: str
    factor: Factor
    instrument: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kwh": plain(self.kwh), "basis": self.basis}
        if self.instrument is not None:
            out["instrument"] = self.instrument
        out["factor"] = self.factor.to_dict()
        return out


@dataclass(frozen=True)
class Footprint:
    """A product carbon footprint per declared unit, with everything a conversion may need.

    ``pcf_excluding`` / ``pcf_including`` are the totals excluding / including biogenic CO2 uptake, and
    ``headline`` says which one is the footprint value (``pcf``). ``electricity_delta`` is the sum of
    re-basing adjustments already applied (already characterized; it cannot be re-characterized).
    """

    pcf_excluding: Decimal
    pcf_including: Decimal
    headline: str
    declared_unit: str
    declared_amount: Decimal
    boundary: str
    gwp_sets: tuple[str, ...]
    product_mass_kg: Decimal | None = None
    stages: dict[str, Stage] = field(default_factory=dict)
    methane_origin: str | None = None
    biogenic_method: str | None = None
    biogenic: dict[str, Decimal] = field(default_factory=dict)
    packaging_included: bool | None = None
    packaging_co2e: Decimal | None = None
    electricity: tuple[Supply, ...] = ()
    electricity_delta: Decimal = Decimal(0)
    allocation: dict[str, str] | None = None
    exempted_percent: Decimal | None = None
    primary_data_share: Decimal | None = None
    dqi: dict[str, Decimal] = field(default_factory=dict)
    reference_period: tuple[str, str] | None = None
    claim: dict[str, Any] = field(default_factory=lambda: {"type": "footprint", "basis": "gross"})
    verification_level: str | None = None
    issued_at: str | None = None
    valid_until: str | None = None
    profile: tuple[str, str] | None = None
    label_id: str | None = None
    scheme: str | None = None
    excluded_stages: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    unit: str = CO2E_UNIT

    # ---- derived ---------------------------------------------------------------------------------
    @property
    def pcf(self) -> Decimal:
        return self.pcf_including if self.headline == "including" else self.pcf_excluding

    @property
    def gwp_set(self) -> str | None:
        """The one GWP set the footprint is characterized with, or None if it declares several."""
        return self.gwp_sets[0] if len(self.gwp_sets) == 1 else None

    @property
    def stage_names(self) -> tuple[str, ...]:
        """Stages inside the boundary (the boundary's stages less any excluded ones)."""
        return tuple(s for s in BOUNDARY_STAGES[self.boundary] if s not in self.excluded_stages)

    @property
    def biogenic_rule(self) -> str:
        return self.biogenic_method or "0/0"

    def with_changes(self, **changes: Any) -> Footprint:
        return replace(self, **changes)

    def shifted(self, delta: Decimal, **changes: Any) -> Footprint:
        """This footprint with ``delta`` kgCO2e added to both totals (emissions, not uptake, changed)."""
        with localcontext(CONTEXT):
            return replace(
                self, pcf_excluding=self.pcf_excluding + delta, pcf_including=self.pcf_including + delta, **changes
            )

    # ---- output ----------------------------------------------------------------------------------
    def declared_unit_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"unit": self.declared_unit, "amount": plain(self.declared_amount)}
        if self.product_mass_kg is not None:
            out["productMassPerDeclaredUnit"] = plain(self.product_mass_kg)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The footprint in label-record (PACT v3) names; totals quantized, inner quantities as computed."""
        out: dict[str, Any] = {
            "pcf": {"value": format(quantize(self.pcf), "f"), "unit": self.unit},
            "declaredUnitOfMeasurement": self.declared_unit,
            "declaredUnitAmount": plain(self.declared_amount),
        }
        if self.product_mass_kg is not None:
            out["productMassPerDeclaredUnit"] = plain(self.product_mass_kg)
        out["boundary"] = self.boundary
        if self.excluded_stages:
            out["excludedStages"] = list(self.excluded_stages)
        out["pcfExcludingBiogenicUptake"] = format(quantize(self.pcf_excluding), "f")
        out["pcfIncludingBiogenicUptake"] = format(quantize(self.pcf_including), "f")
        out["headline"] = f"{self.headline}-biogenic-uptake"
        if self.stages:
            out["stages"] = {s: st.to_dict() for s, st in self.stages.items()}
        out["ipccCharacterizationFactors"] = list(self.gwp_sets)
        if self.methane_origin is not None:
            out["methane_origin"] = self.methane_origin
        if self.biogenic_method is not None or self.biogenic:
            out["biogenic"] = {"method": self.biogenic_rule, **{k: plain(v) for k, v in self.biogenic.items()}}
        if self.packaging_included is not None:
            out["packagingEmissionsIncluded"] = self.packaging_included
        if self.packaging_co2e is not None:
            out["packagingGhgEmissions"] = plain(self.packaging_co2e)
        if self.electricity:
            out["electricity"] = [s.to_dict() for s in self.electricity]
        if self.electricity_delta:
            out["electricity_rebase_delta_kgco2e"] = plain(self.electricity_delta)
        if self.allocation is not None:
            out["allocation"] = dict(self.allocation)
        if self.exempted_percent is not None:
            out["exemptedEmissionsPercent"] = plain(self.exempted_percent)
        if self.primary_data_share is not None:
            out["primaryDataShare"] = plain(self.primary_data_share)
        if self.dqi:
            out["dqi"] = {k: plain(v) for k, v in self.dqi.items()}
        if self.reference_period is not None:
            out["referencePeriodStart"], out["referencePeriodEnd"] = self.reference_period
        if self.valid_until is not None:
            out["valid_until"] = self.valid_until
        return out

    # ---- input -----------------------------------------------------------------------------------
    @classmethod
    def from_label(
        cls,
        record: dict[str, Any],
        *,
        stage_tolerance: Decimal = DEFAULT_STAGE_TOLERANCE,
        gas_tolerance: Decimal = DEFAULT_GAS_TOLERANCE,
    ) -> Footprint:
        """Parse and check a label record (the payload's ``label``); errors name the JSON Pointer at fault."""
        rec = _obj(record, "")
        fp = _obj(_require(rec, "footprint", ""), "/footprint")
        f = "/footprint"
        pcf = _obj(_require(fp, "pcf", f), f"{f}/pcf")
        pcf_value = parse_decimal(_require(pcf, "value", f"{f}/pcf"), f"{f}/pcf/value")
        if _require(pcf, "unit", f"{f}/pcf") != CO2E_UNIT:
            raise MappingError(
                f"{f}/pcf/unit: unknown unit {pcf.get('unit')!r} (only {CO2E_UNIT})",
                code="mapping.unknown_unit",
                field=f"{f}/pcf/unit",
            )
        unit = _enum(
            _require(fp, "declaredUnitOfMeasurement", f),
            DECLARED_UNITS,
            f"{f}/declaredUnitOfMeasurement",
            "declared unit",
        )
        amount = parse_decimal(_require(fp, "declaredUnitAmount", f), f"{f}/declaredUnitAmount", nonnegative=True)
        if amount == 0:
            raise MappingError(
                f"{f}/declaredUnitAmount must be positive", code="mapping.bad_quantity", field=f"{f}/declaredUnitAmount"
            )
        mass = None
        if "productMassPerDeclaredUnit" in fp:
            mass = parse_decimal(fp["productMassPerDeclaredUnit"], f"{f}/productMassPerDeclaredUnit", nonnegative=True)
        boundary = _enum(_require(fp, "boundary", f), BOUNDARIES, f"{f}/boundary", "boundary")
        excluding = parse_decimal(_require(fp, "pcfExcludingBiogenicUptake", f), f"{f}/pcfExcludingBiogenicUptake")
        including = parse_decimal(_require(fp, "pcfIncludingBiogenicUptake", f), f"{f}/pcfIncludingBiogenicUptake")
        if pcf_value == excluding:
            headline = "excluding"
        elif pcf_value == including:
            headline = "including"
        else:
            raise MappingError(
                f"{f}/pcf/value {pcf_value} equals neither pcfExcludingBiogenicUptake ({excluding}) nor "
                f"pcfIncludingBiogenicUptake ({including})",
                code="mapping.biogenic_total_mismatch",
                field=f"{f}/pcf/value",
            )
        sets_raw = _require(fp, "ipccCharacterizationFactors", f)
        if not isinstance(sets_raw, list) or not sets_raw:
            raise MappingError(
                f"{f}/ipccCharacterizationFactors must be a non-empty list",
                code="mapping.bad_field",
                field=f"{f}/ipccCharacterizationFactors",
            )
        sets = tuple(
            _enum(s, DECLARED_SETS, f"{f}/ipccCharacterizationFactors/{i}", "GWP set") for i, s in enumerate(sets_raw)
        )
        if len(set(sets)) != len(sets):
            raise MappingError(
                f"{f}/ipccCharacterizationFactors lists a set twice",
                code="mapping.bad_field",
                field=f"{f}/ipccCharacterizationFactors",
            )
        stages = {}
        for name, raw in _obj(fp.get("stages", {}), f"{f}/stages").items():
            _enum(name, STAGES, f"{f}/stages/{name}", "life-cycle stage")
            stages[name] = Stage.parse(raw, f"{f}/stages/{name}")
        for name in stages:
            if name not in BOUNDARY_STAGES[boundary]:
                raise MappingError(
                    f"{f}/stages/{name} lies outside the declared boundary {boundary}",
                    code="mapping.stage_outside_boundary",
                    field=f"{f}/stages/{name}",
                )
        methane = fp.get("methane_origin")
        if methane is not None:
            methane = _enum(methane, ("split", "unknown"), f"{f}/methane_origin", "methane origin")
        bio_method, bio = None, {}
        if "biogenic" in fp:
            b = _obj(fp["biogenic"], f"{f}/biogenic")
            bio_method = _enum(
                _require(b, "method", f"{f}/biogenic"), BIOGENIC_METHODS, f"{f}/biogenic/method", "biogenic method"
            )
            for k, v in b.items():
                if k == "method":
                    continue
                if k not in _BIOGENIC_QUANTITIES:
                    raise MappingError(
                        f"{f}/biogenic: unknown member {k!r}", code="mapping.bad_field", field=f"{f}/biogenic/{k}"
                    )
                bio[k] = parse_decimal(v, f"{f}/biogenic/{k}", nonnegative=k == "biogenicCarbonContent")
        packaging = fp.get("packagingEmissionsIncluded")
        if packaging is not None and not isinstance(packaging, bool):
            raise MappingError(
                f"{f}/packagingEmissionsIncluded must be true or false",
                code="mapping.bad_field",
                field=f"{f}/packagingEmissionsIncluded",
            )
        packaging_co2e = None
        if "packagingGhgEmissions" in fp:
            packaging_co2e = parse_decimal(fp["packagingGhgEmissions"], f"{f}/packagingGhgEmissions")
        supplies = []
        elec = fp.get("electricity", [])
        if not isinstance(elec, list):
            raise MappingError(f"{f}/electricity must be a list", code="mapping.bad_field", field=f"{f}/electricity")
        for i, raw in enumerate(elec):
            p = f"{f}/electricity/{i}"
            s = _obj(raw, p)
            instrument = s.get("instrument")
            if instrument is not None:
                instrument = _enum(instrument, INSTRUMENTS, f"{p}/instrument", "instrument")
            supplies.append(
                Supply(
                    parse_decimal(_require(s, "kwh", p), f"{p}/kwh", nonnegative=True),
                    _enum(_require(s, "basis", p), ELECTRICITY_BASES, f"{p}/basis", "electricity basis"),
                    Factor.parse(_require(s, "factor", p), f"{p}/factor"),
                    instrument,
                )
            )
        allocation = None
        if "allocation" in fp:
            a = _obj(fp["allocation"], f"{f}/allocation")
            _enum(_require(a, "rule", f"{f}/allocation"), ALLOCATION_RULES, f"{f}/allocation/rule", "allocation rule")
            allocation = {k: str(v) for k, v in a.items()}
        exempted = _opt_percent(fp, "exemptedEmissionsPercent", f)
        pds = _opt_percent(fp, "primaryDataShare", f)
        dqi = {
            k: parse_decimal(v, f"{f}/dqi/{k}", nonnegative=True)
            for k, v in _obj(fp.get("dqi", {}), f"{f}/dqi").items()
        }
        start = _date(_require(fp, "referencePeriodStart", f), f"{f}/referencePeriodStart")
        end = _date(_require(fp, "referencePeriodEnd", f), f"{f}/referencePeriodEnd")
        claim = _obj(rec.get("claim", {"type": "footprint", "basis": "gross"}), "/claim")
        _enum(claim.get("type"), CLAIM_TYPES, "/claim/type", "claim type")
        level = None
        if "verification" in rec:
            v = _obj(rec["verification"], "/verification")
            level = _enum(
                _require(v, "level", "/verification"), VERIFICATION_LEVELS, "/verification/level", "verification level"
            )
        issued = _date(rec["issued_at"], "/issued_at") if "issued_at" in rec else None
        valid = _date(rec["valid_until"], "/valid_until") if "valid_until" in rec else None
        profile = None
        meth = rec.get("methodology")
        if isinstance(meth, dict) and isinstance(meth.get("profile"), dict):
            profile = (str(meth["profile"].get("id")), str(meth["profile"].get("version")))
        out = cls(
            pcf_excluding=excluding,
            pcf_including=including,
            headline=headline,
            declared_unit=unit,
            declared_amount=amount,
            boundary=boundary,
            gwp_sets=sets,
            product_mass_kg=mass,
            stages=stages,
            methane_origin=methane,
            biogenic_method=bio_method,
            biogenic=bio,
            packaging_included=packaging,
            packaging_co2e=packaging_co2e,
            electricity=tuple(supplies),
            allocation=allocation,
            exempted_percent=exempted,
            primary_data_share=pds,
            dqi=dqi,
            reference_period=(start, end),
            claim=dict(claim),
            verification_level=level,
            issued_at=issued,
            valid_until=valid,
            profile=profile,
            label_id=rec.get("label_id"),
            scheme=rec.get("scheme"),
        )
        return out.with_changes(checks=check_totals(out, stage_tolerance=stage_tolerance, gas_tolerance=gas_tolerance))


def _opt_percent(fp: dict[str, Any], key: str, f: str) -> Decimal | None:
    if key not in fp:
        return None
    value = parse_decimal(fp[key], f"{f}/{key}", nonnegative=True)
    if value > 100:
        raise MappingError(
            f"{f}/{key} must be at most 100, got {value}", code="mapping.bad_quantity", field=f"{f}/{key}"
        )
    return value


_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: Any, field: str) -> str:
    """``value`` when it is a real calendar day written ``YYYY-MM-DD`` (the label schema's ``date``: not the
    other ISO 8601 forms ``date.fromisoformat`` also reads, such as ``20260101`` or ``2026-W01-1``)."""
    if not isinstance(value, str) or not _DATE_SHAPE.fullmatch(value):
        raise MappingError(f"{field} must be a date YYYY-MM-DD, got {value!r}", code="mapping.bad_date", field=field)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise MappingError(f"{field}: {value!r} is not a real date", code="mapping.bad_date", field=field) from None
    return value


def relative_gap(stated: Decimal, computed: Decimal) -> Decimal:
    """|stated - computed| / |stated| (0 when both are 0; the absolute gap when stated is 0)."""
    with localcontext(CONTEXT):
        gap = abs(stated - computed)
        if stated == 0:
            return gap
        return gap / abs(stated)


def check_totals(fp: Footprint, *, stage_tolerance: Decimal, gas_tolerance: Decimal) -> tuple[str, ...]:
    """Check the stage × gas breakdown against the stated total; return what was checked (or why not)."""
    if not fp.stages:
        return ("no stage breakdown: totals not recomputed",)
    gwp_set = fp.gwp_set
    has_masses = any(st.masses for st in fp.stages.values())
    if has_masses and (gwp_set is None or gwp_set not in GWP_SETS):
        return (f"GWP set(s) {', '.join(fp.gwp_sets)} not in the table: per-gas total not recomputed",)
    with localcontext(CONTEXT):
        computed = sum(
            (
                st.co2e(gwp_set, fp.biogenic_rule) if st.masses and gwp_set else st.other_co2e
                for st in fp.stages.values()
            ),
            Decimal(0),
        )
        gap = relative_gap(fp.pcf_excluding, computed)
    f = "/footprint/stages"
    if has_masses:
        if gap > gas_tolerance:
            raise MappingError(
                f"per-gas masses give {plain(computed)} kgCO2e under {gwp_set}, but the stated total "
                f"(pcfExcludingBiogenicUptake) is {plain(fp.pcf_excluding)}: relative gap {quantize(gap * 100)}% "
                f"exceeds the tolerance {gas_tolerance * 100}%",
                code="mapping.gas_total_mismatch",
                field=f,
            )
        return (
            f"per-gas masses recomputed under {gwp_set}: {plain(computed)} kgCO2e, relative gap "
            f"{quantize(gap)} within {gas_tolerance}",
        )
    if gap > stage_tolerance:
        raise MappingError(
            f"stage breakdown sums to {plain(computed)} kgCO2e, but the stated total (pcfExcludingBiogenicUptake) "
            f"is {plain(fp.pcf_excluding)}: relative gap {quantize(gap * 100)}% exceeds the tolerance "
            f"{stage_tolerance * 100}%",
            code="mapping.stage_sum_mismatch",
            field=f,
        )
    return (f"stage breakdown sums to {plain(computed)} kgCO2e, relative gap {quantize(gap)} within {stage_tolerance}",)
