"""The footprint model: a label record's ``footprint`` (and the fields around it) as typed Decimal quantities.

Field names follow WBCSD PACT v3 as the label-record schema does. :meth:`Footprint.from_label` validates
what the conversions rely on and names the JSON Pointer of the first field at fault; its parts (stages,
electricity factors and supplies) are :mod:`mapping.footprint_parts`, the names it accepts
:mod:`mapping.vocabulary`. It then runs the two consistency checks that tie the breakdown to the stated total
(:mod:`mapping.footprint_totals`: per-gas masses within ``gas_tolerance``, default 1 % relative; a CO2e-only
stage breakdown within ``stage_tolerance``, default 0.1 %) and records in :attr:`Footprint.checks` what was
checked, or why it could not be (several GWP sets, an EF set): never silently passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, localcontext
from typing import Any

from .errors import MappingError
from .footprint_parts import Factor, Stage, Supply, read_biogenic, read_supplies
from .footprint_totals import DEFAULT_GAS_TOLERANCE, DEFAULT_STAGE_TOLERANCE, check_totals, relative_gap
from .label_fields import as_object, label_date, member, one_of, optional_percent
from .quantities import CO2E_UNIT, CONTEXT, parse_decimal, plain, quantize
from .stages import boundary_stages, vocabulary_of
from .vocabulary import (
    ALLOCATION_RULES,
    BOUNDARIES,
    BOUNDARY_STAGES,
    CLAIM_TYPES,
    DECLARED_GWP_SETS,
    DECLARED_UNITS,
    ELECTRICITY_BASES,
    FACTOR_KINDS,
    FACTOR_UNITS,
    INSTRUMENTS,
    LABEL_STAGES,
    METHANE_ORIGINS,
    MODULE_D,
    STAGES,
    VERIFICATION_LEVELS,
)

DECLARED_SETS = DECLARED_GWP_SETS


@dataclass(frozen=True)
class Footprint:
    """A product carbon footprint per declared unit, with everything a conversion may need.

    ``pcf_excluding`` / ``pcf_including`` are the totals excluding / including biogenic CO2 uptake, and
    ``headline`` says which one is the footprint value (``pcf``). ``electricity_delta`` is the sum of
    re-basing adjustments already applied; ``electricity_delta_unstaged`` the part of it written into no stage of
    the breakdown (a supply with no stage, or a label with no breakdown: already characterized, it cannot be
    re-characterized, and no boundary trim can tell which stage it belongs to).

    ``stages`` are the stages inside the boundary, named in ``vocabulary`` (generic stages or EN 15804 modules,
    :mod:`mapping.stages`); EN 15804 module D is held apart in ``module_d`` and never summed into a total.
    ``dropped_stages`` are the stages a boundary trim removed (their supplies went with them).
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
    electricity_delta_unstaged: Decimal = Decimal(0)
    module_d: Stage | None = None
    vocabulary: str | None = None
    dropped_stages: tuple[str, ...] = ()
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
        return tuple(s for s in boundary_stages(self.boundary, self.vocabulary) if s not in self.excluded_stages)

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
        if self.stages or self.module_d is not None:
            out["stages"] = {s: st.to_dict() for s, st in self.stages.items()}
            if self.module_d is not None:  # declared apart: not in pcf or either total
                out["stages"][MODULE_D] = self.module_d.to_dict()
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
        rec = as_object(record, "")
        fp = as_object(member(rec, "footprint", ""), "/footprint")
        f = "/footprint"
        pcf = as_object(member(fp, "pcf", f), f"{f}/pcf")
        pcf_value = parse_decimal(member(pcf, "value", f"{f}/pcf"), f"{f}/pcf/value")
        if member(pcf, "unit", f"{f}/pcf") != CO2E_UNIT:
            raise MappingError(
                f"{f}/pcf/unit: unknown unit {pcf.get('unit')!r} (only {CO2E_UNIT})",
                code="mapping.unknown_unit",
                field=f"{f}/pcf/unit",
            )
        unit = one_of(
            member(fp, "declaredUnitOfMeasurement", f),
            DECLARED_UNITS,
            f"{f}/declaredUnitOfMeasurement",
            "declared unit",
        )
        amount = parse_decimal(member(fp, "declaredUnitAmount", f), f"{f}/declaredUnitAmount", nonnegative=True)
        if amount == 0:
            raise MappingError(
                f"{f}/declaredUnitAmount must be positive", code="mapping.bad_quantity", field=f"{f}/declaredUnitAmount"
            )
        mass = None
        if "productMassPerDeclaredUnit" in fp:
            mass = parse_decimal(fp["productMassPerDeclaredUnit"], f"{f}/productMassPerDeclaredUnit", nonnegative=True)
        boundary = one_of(member(fp, "boundary", f), BOUNDARIES, f"{f}/boundary", "boundary")
        excluding = parse_decimal(member(fp, "pcfExcludingBiogenicUptake", f), f"{f}/pcfExcludingBiogenicUptake")
        including = parse_decimal(member(fp, "pcfIncludingBiogenicUptake", f), f"{f}/pcfIncludingBiogenicUptake")
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
        sets_raw = member(fp, "ipccCharacterizationFactors", f)
        if not isinstance(sets_raw, list) or not sets_raw:
            raise MappingError(
                f"{f}/ipccCharacterizationFactors must be a non-empty list",
                code="mapping.bad_field",
                field=f"{f}/ipccCharacterizationFactors",
            )
        sets = tuple(
            one_of(s, DECLARED_SETS, f"{f}/ipccCharacterizationFactors/{i}", "GWP set") for i, s in enumerate(sets_raw)
        )
        if len(set(sets)) != len(sets):
            raise MappingError(
                f"{f}/ipccCharacterizationFactors lists a set twice",
                code="mapping.bad_field",
                field=f"{f}/ipccCharacterizationFactors",
            )
        stages, module_d = {}, None
        for name, raw in as_object(fp.get("stages", {}), f"{f}/stages").items():
            one_of(name, LABEL_STAGES, f"{f}/stages/{name}", "life-cycle stage")
            if name == MODULE_D:  # beyond the system boundary: declared apart, never summed (schemes.md §4.1)
                module_d = Stage.parse(raw, f"{f}/stages/{name}")
            else:
                stages[name] = Stage.parse(raw, f"{f}/stages/{name}")
        vocabulary = vocabulary_of([*stages, *([MODULE_D] if module_d else [])], f"{f}/stages")
        for name in stages:
            if name not in boundary_stages(boundary, vocabulary):
                raise MappingError(
                    f"{f}/stages/{name} lies outside the declared boundary {boundary}",
                    code="mapping.stage_outside_boundary",
                    field=f"{f}/stages/{name}",
                )
        methane = fp.get("methane_origin")
        if methane is not None:
            methane = one_of(methane, METHANE_ORIGINS, f"{f}/methane_origin", "methane origin")
        bio_method, bio = read_biogenic(fp, f)
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
        supplies, vocabulary = read_supplies(fp, f, boundary, [*stages], vocabulary)
        allocation = None
        if "allocation" in fp:
            a = as_object(fp["allocation"], f"{f}/allocation")
            one_of(member(a, "rule", f"{f}/allocation"), ALLOCATION_RULES, f"{f}/allocation/rule", "allocation rule")
            allocation = {k: str(v) for k, v in a.items()}
        exempted = optional_percent(fp, "exemptedEmissionsPercent", f)
        pds = optional_percent(fp, "primaryDataShare", f)
        dqi = {
            k: parse_decimal(v, f"{f}/dqi/{k}", nonnegative=True)
            for k, v in as_object(fp.get("dqi", {}), f"{f}/dqi").items()
        }
        start = label_date(member(fp, "referencePeriodStart", f), f"{f}/referencePeriodStart")
        end = label_date(member(fp, "referencePeriodEnd", f), f"{f}/referencePeriodEnd")
        claim = as_object(rec.get("claim", {"type": "footprint", "basis": "gross"}), "/claim")
        one_of(claim.get("type"), CLAIM_TYPES, "/claim/type", "claim type")
        level = None
        if "verification" in rec:
            v = as_object(rec["verification"], "/verification")
            level = one_of(
                member(v, "level", "/verification"), VERIFICATION_LEVELS, "/verification/level", "verification level"
            )
        issued = label_date(rec["issued_at"], "/issued_at") if "issued_at" in rec else None
        valid = label_date(rec["valid_until"], "/valid_until") if "valid_until" in rec else None
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
            module_d=module_d,
            vocabulary=vocabulary,
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


__all__ = [
    "ALLOCATION_RULES",
    "BOUNDARY_STAGES",
    "CLAIM_TYPES",
    "DECLARED_SETS",
    "DECLARED_UNITS",
    "DEFAULT_GAS_TOLERANCE",
    "DEFAULT_STAGE_TOLERANCE",
    "ELECTRICITY_BASES",
    "FACTOR_KINDS",
    "FACTOR_UNITS",
    "INSTRUMENTS",
    "STAGES",
    "Factor",
    "Footprint",
    "Stage",
    "Supply",
    "check_totals",
    "relative_gap",
]
