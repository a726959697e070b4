"""The parts of a footprint a label states: life-cycle stages (per-gas masses), electricity factors and supplies
(each attributed to its stage when the label says), and the biogenic quantities.

Each part parses from its label-record JSON (errors name the JSON Pointer at fault) and writes itself back in
the same names. A :class:`Factor` carries its provenance (``source``), which every conversion trail repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from .errors import MappingError
from .gwp import co2e, gas_ids
from .label_fields import as_object, member, one_of
from .quantities import CONTEXT, parse_decimal, plain
from .stages import boundary_stages, vocabulary_of
from .vocabulary import (
    BIOGENIC_METHODS,
    ELECTRICITY_BASES,
    FACTOR_KINDS,
    FACTOR_UNITS,
    GWP_SETS,
    INSTRUMENTS,
    SUPPLY_STAGES,
)


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

    def adjusted(self, *, co2_kg: Decimal = Decimal(0), other_co2e_kg: Decimal = Decimal(0)) -> Stage:
        """This stage with ``co2_kg`` added to its CO2 mass and ``other_co2e_kg`` to its CO2e remainder."""
        with localcontext(CONTEXT):
            masses = dict(self.masses)
            if co2_kg:
                masses["CO2"] = masses.get("CO2", Decimal(0)) + co2_kg
            return Stage(masses, self.other_co2e + other_co2e_kg)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"masses_kg": {g: plain(m) for g, m in self.masses.items()}}
        if self.other_co2e:
            out["other_co2e_kg"] = plain(self.other_co2e)
        return out

    @classmethod
    def parse(cls, raw: Any, field: str) -> Stage:
        obj = as_object(raw, field)
        extra = set(obj) - {"masses_kg", "other_co2e_kg"}
        if extra:
            raise MappingError(f"{field}: unknown member {sorted(extra)[0]!r}", code="mapping.bad_field", field=field)
        masses_raw = as_object(member(obj, "masses_kg", field), f"{field}/masses_kg")
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
        obj = as_object(raw, field)
        value = parse_decimal(member(obj, "value", field), f"{field}/value", nonnegative=True)
        unit = one_of(member(obj, "unit", field), FACTOR_UNITS, f"{field}/unit", "factor unit")
        kind = one_of(member(obj, "kind", field), FACTOR_KINDS, f"{field}/kind", "factor kind")
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
            gwp_set = one_of(gwp_set, GWP_SETS, f"{field}/gwp_set", "GWP set")
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
    """One electricity supply: kWh per declared unit, accounting basis, instrument and the cited factor.

    ``stage`` is the life-cycle stage (or EN 15804 module) whose emissions include these kWh, or ``None`` when
    the label does not say (labels before the field): re-basing then adjusts that stage, so a later boundary
    trim removes exactly the adjustment of the stages it drops."""

    kwh: Decimal
    basis: str
    factor: Factor
    instrument: str | None = None
    stage: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kwh": plain(self.kwh)}
        if self.stage is not None:
            out["stage"] = self.stage
        out["basis"] = self.basis
        if self.instrument is not None:
            out["instrument"] = self.instrument
        out["factor"] = self.factor.to_dict()
        return out


__all__ = ["BIOGENIC_QUANTITIES", "Factor", "Stage", "Supply", "read_biogenic", "read_supplies"]


# Biogenic quantities a label may state beside its method (PACT v3 names; schemes.md §4.2).
BIOGENIC_QUANTITIES = (
    "biogenicCarbonContent",
    "biogenicCO2Uptake",
    "biogenicNonCO2Emissions",
    "landManagementFossilGhgEmissions",
    "landManagementBiogenicCO2Emissions",
    "landManagementBiogenicCO2Removals",
    "dlucGhgEmissions",
    "ilucGhgEmissions",
)


def read_biogenic(fp: dict[str, Any], f: str) -> tuple[str | None, dict[str, Decimal]]:
    """A footprint's ``biogenic`` member: its method (None when absent) and the quantities it states."""
    if "biogenic" not in fp:
        return None, {}
    b = as_object(fp["biogenic"], f"{f}/biogenic")
    method = one_of(member(b, "method", f"{f}/biogenic"), BIOGENIC_METHODS, f"{f}/biogenic/method", "biogenic method")
    quantities = {}
    for k, v in b.items():
        if k == "method":
            continue
        if k not in BIOGENIC_QUANTITIES:
            raise MappingError(
                f"{f}/biogenic: unknown member {k!r}", code="mapping.bad_field", field=f"{f}/biogenic/{k}"
            )
        quantities[k] = parse_decimal(v, f"{f}/biogenic/{k}", nonnegative=k == "biogenicCarbonContent")
    return method, quantities


def read_supplies(
    fp: dict[str, Any], f: str, boundary: str, stage_names: list[str], vocabulary: str | None
) -> tuple[tuple[Supply, ...], str | None]:
    """A footprint's electricity supplies, and the stage vocabulary once their stages are counted in: a supply's
    stage is named in the breakdown's vocabulary and lies inside the boundary."""
    elec = fp.get("electricity", [])
    if not isinstance(elec, list):
        raise MappingError(f"{f}/electricity must be a list", code="mapping.bad_field", field=f"{f}/electricity")
    supplies = []
    for i, raw in enumerate(elec):
        p = f"{f}/electricity/{i}"
        s = as_object(raw, p)
        instrument = s.get("instrument")
        if instrument is not None:
            instrument = one_of(instrument, INSTRUMENTS, f"{p}/instrument", "instrument")
        stage = s.get("stage")
        if stage is not None:
            stage = one_of(stage, SUPPLY_STAGES, f"{p}/stage", "supply stage")
        supplies.append(
            Supply(
                parse_decimal(member(s, "kwh", p), f"{p}/kwh", nonnegative=True),
                one_of(member(s, "basis", p), ELECTRICITY_BASES, f"{p}/basis", "electricity basis"),
                Factor.parse(member(s, "factor", p), f"{p}/factor"),
                instrument,
                stage,
            )
        )
    named = [sp.stage for sp in supplies if sp.stage is not None]
    vocabulary = vocabulary_of([*stage_names, *named], f"{f}/electricity") or vocabulary
    for i, sp in enumerate(supplies):
        if sp.stage is not None and sp.stage not in boundary_stages(boundary, vocabulary):
            raise MappingError(
                f"{f}/electricity/{i}/stage {sp.stage} lies outside the declared boundary {boundary}",
                code="mapping.stage_outside_boundary",
                field=f"{f}/electricity/{i}/stage",
            )
    return tuple(supplies), vocabulary
