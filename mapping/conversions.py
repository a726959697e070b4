"""Conversions: pure functions from a footprint (or an earlier conversion) to a :class:`Conversion` with a trail.

Each step records its inputs, the factors it used with their sources, its result, the arithmetic
(28 significant digits, half-even rounding; reported kgCO2e quantized to 0.0001) and the reasons it is
approximate. A conversion never invents data: missing label data raise :class:`MappingError` naming the field.
Registry names are stable (:data:`CONVERSIONS`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import MAXYEAR, date
from decimal import Decimal, Inexact, localcontext
from functools import partial
from typing import Any

from .conversion import Conversion, begin, extend
from .errors import MappingError
from .footprint import (
    BOUNDARY_STAGES,
    DECLARED_UNITS,
    DEFAULT_GAS_TOLERANCE,
    DEFAULT_STAGE_TOLERANCE,
    ELECTRICITY_BASES,
    Factor,
    Footprint,
    Stage,
    Supply,
)
from .gwp import (
    METHANE_FOSSIL,
    METHANE_UNSPLIT,
    PACKAGE_SOURCE,
    GwpTable,
    check_set,
    factor_record,
    gas_ids,
    gwp_table_from_dataset,
    gwp_value,
)
from .orderings import BOUNDARIES, GWP_SETS, rank
from .quantities import CONTEXT, arithmetic_note, fmt, parse_decimal, plain

Source = Footprint | Conversion


def _totals(fp: Footprint) -> dict[str, str]:
    return {
        "pcf": fmt(fp.pcf),
        "pcfExcludingBiogenicUptake": fmt(fp.pcf_excluding),
        "pcfIncludingBiogenicUptake": fmt(fp.pcf_including),
        "declared_unit": f"{plain(fp.declared_amount)} {fp.declared_unit}",
        "boundary": fp.boundary,
        "gwp_sets": ",".join(fp.gwp_sets),
    }


def _step(name: str, before: Footprint, after: Footprint, **parts: Any) -> dict[str, Any]:
    return {
        "name": name,
        "inputs": {**_totals(before), **parts.pop("inputs", {})},
        "factors": parts.pop("factors", []),
        "steps": parts.pop("steps", []),
        "result": _totals(after),
        "arithmetic": arithmetic_note(),
        **parts,
    }


def _need_masses(fp: Footprint) -> None:
    if not fp.stages or not any(st.masses for st in fp.stages.values()):
        raise MappingError(
            "the label carries no per-gas masses (footprint/stages/*/masses_kg): a CO2e total cannot be "
            "re-characterized",
            code="mapping.missing_data",
            field="/footprint/stages",
        )


# ---- 1. GWP re-characterization -------------------------------------------------------------------
_TABLE_SOURCE_KEYS = ("dataset", "version", "entry")


def _check_table_source(table_source: Any) -> dict[str, Any]:
    if not isinstance(table_source, dict) or any(k not in table_source for k in _TABLE_SOURCE_KEYS):
        raise MappingError(
            "a GWP table from a dataset needs table_source {dataset, version, entry} naming the dataset entry",
            code="mapping.factor_source_missing",
            field="table_source",
        )
    return dict(table_source)


def recharacterize_gwp(
    source: Source,
    to_set: str,
    *,
    from_set: str | None = None,
    table: GwpTable | None = None,
    table_source: dict[str, Any] | None = None,
) -> Conversion:
    """Re-characterize with ``to_set`` from the label's per-gas masses: pcf' = pcf + Σ m·(GWP_to − GWP_from).

    Requires per-gas masses. With one declared IPCC set the stated total's residual is kept (exactly
    reversible); with several declared sets the total is recomputed from the masses (approximate).
    Methane of unknown origin (``CH4``), ``other_co2e`` remainders, gases outside the table and earlier
    electricity re-basing deltas make the result approximate.

    ``table`` (gas -> set -> Decimal, e.g. :func:`mapping.gwp.gwp_table_from_dataset` of a signed
    ``ipcc-gwp100`` entry) with ``table_source`` ``{dataset, version, entry}`` supplies the GWP values; the
    step's ``source`` and each factor name that entry. Without it the package table (mapping/data/gwp.csv) is
    used and the step's ``source`` says so.
    """
    prior = begin(source)
    fp = prior.footprint
    check_set(to_set, "to_set")
    if table is not None:
        table_source = _check_table_source(table_source)
        if not isinstance(table, Mapping) or not table:
            raise MappingError(
                "table must be a non-empty gas -> set -> value mapping", code="mapping.bad_params", field="table"
            )
    elif table_source is not None:
        raise MappingError("table_source without a table", code="mapping.bad_params", field="table_source")
    if from_set is not None and from_set not in fp.gwp_sets:
        raise MappingError(
            f"the label does not declare GWP set {from_set!r} (it declares {', '.join(fp.gwp_sets)})",
            code="mapping.gwp_set_not_declared",
            field="/footprint/ipccCharacterizationFactors",
        )
    _need_masses(fp)
    old = fp.gwp_set
    if old is not None and old not in GWP_SETS:
        raise MappingError(
            f"the label is characterized with {old}, whose factors are not shipped (schemes.md §5): "
            "re-characterization needs an agreement",
            code="mapping.gwp_table_missing",
            field="/footprint/ipccCharacterizationFactors",
        )
    if old is None and any(s not in GWP_SETS for s in fp.gwp_sets):
        raise MappingError(
            f"the label mixes {', '.join(fp.gwp_sets)}, some of which are not in the table",
            code="mapping.gwp_table_missing",
            field="/footprint/ipccCharacterizationFactors",
        )
    reasons: list[str] = []
    factors: list[dict[str, Any]] = []
    lines: list[str] = []
    rule = fp.biogenic_rule
    known = set(gas_ids()) if table is None else set(table)
    other = Decimal(0)
    unsplit = Decimal(0)
    with localcontext(CONTEXT):
        new_gas_total = Decimal(0)
        delta = Decimal(0)
        gases_seen: set[str] = set()
        for stage_name, st in fp.stages.items():
            other += st.other_co2e
            for gas, mass in st.masses.items():
                if gas not in known:
                    reasons.append(
                        f"gas {gas} ({plain(mass)} kg in {stage_name}) is outside the GWP table: "
                        "its contribution is carried unchanged"
                    )
                    continue
                g_new = gwp_value(gas, to_set, biogenic_method=rule, table=table)
                new_gas_total += mass * g_new
                if old is not None:
                    g_old = gwp_value(gas, old, biogenic_method=rule, table=table)
                    delta += mass * (g_new - g_old)
                    lines.append(
                        f"{stage_name} {gas}: {plain(mass)} kg × ({g_new} − {g_old}) = {plain(mass * (g_new - g_old))}"
                    )
                else:
                    lines.append(f"{stage_name} {gas}: {plain(mass)} kg × {g_new} = {plain(mass * g_new)}")
                if gas == METHANE_UNSPLIT:
                    unsplit += mass
                if gas not in gases_seen:
                    gases_seen.add(gas)
                    if old is not None:
                        factors.append(
                            factor_record(gas, old, biogenic_method=rule, table=table, table_source=table_source)
                        )
                    factors.append(
                        factor_record(gas, to_set, biogenic_method=rule, table=table, table_source=table_source)
                    )
        if old is not None:
            new_excl = fp.pcf_excluding + delta
            lines.append(f"pcf' = {plain(fp.pcf_excluding)} + {plain(delta)} = {plain(new_excl)}")
        else:
            new_excl = new_gas_total + other + fp.electricity_delta
            residual = fp.pcf_excluding - (new_excl - new_gas_total)
            lines.append(
                f"pcf' = Σ masses×GWP_{to_set} {plain(new_gas_total)} + other_co2e {plain(other)} "
                f"+ electricity delta {plain(fp.electricity_delta)} = {plain(new_excl)}"
            )
            reasons.append(
                f"the label declares several GWP sets ({', '.join(fp.gwp_sets)}): its total was recomputed from "
                f"the masses, so the stated total's own characterization ({plain(residual)} kgCO2e before "
                "re-characterization of gases) is not carried over"
            )
        new_incl = new_excl + (fp.pcf_including - fp.pcf_excluding)
    if unsplit:
        unsplit_value = gwp_value(METHANE_UNSPLIT, to_set, table=table)
        try:
            fossil_value: Decimal | None = gwp_value(METHANE_FOSSIL, to_set, table=table)
        except MappingError:  # a dataset table without the origin split
            fossil_value = None
        if fossil_value != unsplit_value:
            reasons.append(
                f"methane of unknown origin ({plain(unsplit)} kg): the table's origin-free {to_set} value "
                f"{unsplit_value} was used (origin assumed)"
            )
    if other:
        reasons.append(
            f"an other_co2e remainder of {plain(other)} kgCO2e (gases not listed) cannot be "
            f"re-characterized and is carried as stated"
        )
    if fp.electricity_delta:
        reasons.append(
            f"an electricity re-basing delta of {plain(fp.electricity_delta)} kgCO2e is already "
            "characterized by its factor and is carried as is"
        )
    after = fp.with_changes(pcf_excluding=new_excl, pcf_including=new_incl, gwp_sets=(to_set,))
    step = _step(
        "gwp-recharacterize",
        fp,
        after,
        inputs={
            "from_sets": list(fp.gwp_sets),
            "to_set": to_set,
            "biogenic_method": rule,
            "masses": {s: st.to_dict() for s, st in fp.stages.items()},
        },
        factors=factors,
        steps=lines,
        source=PACKAGE_SOURCE if table_source is None else table_source,
        datasets=[] if table_source is None else [table_source],
    )
    return extend(prior, after, step, reasons)


# ---- 2. declared-unit rescaling -------------------------------------------------------------------
def _scale(fp: Footprint, k: Decimal, **changes: Any) -> Footprint:
    with localcontext(CONTEXT):
        return fp.with_changes(
            pcf_excluding=fp.pcf_excluding * k,
            pcf_including=fp.pcf_including * k,
            stages={s: st.scaled(k) for s, st in fp.stages.items()},
            electricity=tuple(Supply(sp.kwh * k, sp.basis, sp.factor, sp.instrument) for sp in fp.electricity),
            electricity_delta=fp.electricity_delta * k,
            packaging_co2e=None if fp.packaging_co2e is None else fp.packaging_co2e * k,
            biogenic={b: v * k for b, v in fp.biogenic.items()},
            **changes,
        )


def rescale_declared_unit(
    source: Source,
    to_unit: str,
    *,
    product_mass_kg: Decimal | str | None = None,
    to_amount: Decimal | str | None = None,
) -> Conversion:
    """Express the footprint per ``to_amount`` (default 1) of ``to_unit``.

    piece → kilogram uses the label's ``productMassPerDeclaredUnit`` (the mass of ``declaredUnitAmount``
    pieces). kilogram → piece needs ``product_mass_kg``, the mass of one piece, supplied with the request (a
    per-kg label does not carry it). The same unit with a new amount is a plain rescale. Any other pair has no
    bridging quantity and is refused. Every per-declared-unit quantity (totals, stage masses, kWh) scales.
    """
    prior = begin(source)
    fp = prior.footprint
    if to_unit not in DECLARED_UNITS:
        raise MappingError(
            f"unknown declared unit {to_unit!r} (allowed: {', '.join(DECLARED_UNITS)})",
            code="mapping.unknown_unit",
            field="to_unit",
        )
    amount = Decimal(1) if to_amount is None else parse_decimal(to_amount, "to_amount", nonnegative=True)
    if amount == 0:
        raise MappingError("to_amount must be positive", code="mapping.bad_quantity", field="to_amount")
    supplied = None if product_mass_kg is None else parse_decimal(product_mass_kg, "product_mass_kg", nonnegative=True)
    frm = fp.declared_unit
    inputs: dict[str, Any] = {"from": f"{plain(fp.declared_amount)} {frm}", "to": f"{plain(amount)} {to_unit}"}
    with localcontext(CONTEXT) as ctx:
        ctx.clear_flags()
        if frm == to_unit:
            k = amount / fp.declared_amount
            mass = None if fp.product_mass_kg is None else fp.product_mass_kg * k
            lines = [f"k = {plain(amount)} / {plain(fp.declared_amount)} = {plain(k)}"]
        elif frm == "piece" and to_unit == "kilogram":
            label_mass = fp.product_mass_kg
            if label_mass is None or label_mass == 0:
                raise MappingError(
                    "per piece → per kg needs the product mass (footprint/productMassPerDeclaredUnit), "
                    "which the label does not state",
                    code="mapping.missing_data",
                    field="/footprint/productMassPerDeclaredUnit",
                )
            inputs["productMassPerDeclaredUnit"] = plain(label_mass)
            k = amount / label_mass
            mass = amount
            lines = [
                f"k = {plain(amount)} kg / {plain(label_mass)} kg per {plain(fp.declared_amount)} piece(s) = {plain(k)}"
            ]
        elif frm == "kilogram" and to_unit == "piece":
            if supplied is None or supplied == 0:
                raise MappingError(
                    "per kg → per piece needs the mass of one piece (product_mass_kg), which a per-kg label does "
                    "not carry: supply it with the request",
                    code="mapping.missing_data",
                    field="product_mass_kg",
                )
            inputs["product_mass_kg (supplied, one piece)"] = plain(supplied)
            mass = supplied * amount
            k = mass / fp.declared_amount
            lines = [
                f"k = {plain(amount)} piece(s) × {plain(supplied)} kg / {plain(fp.declared_amount)} kg = {plain(k)}"
            ]
        else:
            raise MappingError(
                f"no bridging quantity between {frm} and {to_unit}: the label cannot be rescaled",
                code="mapping.conversion_impossible",
                field="to_unit",
            )
        after = _scale(fp, k, declared_unit=to_unit, declared_amount=amount, product_mass_kg=mass)
        lines.append(f"pcf' = {plain(fp.pcf)} × {plain(k)} = {plain(after.pcf)}")
        exact = not ctx.flags[Inexact]
    step = _step("declared-unit-rescale", fp, after, inputs=inputs, steps=lines, exact=exact)
    if not exact:
        step["note"] = "a division did not terminate: rounded to 28 significant digits, reported to 0.0001"
    return extend(prior, after, step, [])


# ---- 3. boundary trimming and extension -----------------------------------------------------------
def _check_boundary(to_boundary: str) -> None:
    if to_boundary not in BOUNDARIES:
        raise MappingError(
            f"unknown boundary {to_boundary!r} (allowed: {', '.join(BOUNDARIES)})",
            code="mapping.unknown_boundary",
            field="to_boundary",
        )


def _stage_co2e(fp: Footprint, name: str, st: Stage, field: str) -> tuple[Decimal, list[dict[str, str]]]:
    if not st.masses:
        return st.other_co2e, []
    gwp_set = fp.gwp_set
    if gwp_set is None or gwp_set not in GWP_SETS:
        raise MappingError(
            f"stage {name} carries gas masses but the label's GWP set(s) {', '.join(fp.gwp_sets)} are not one "
            "table set: its CO2e cannot be computed",
            code="mapping.gwp_table_missing",
            field=field,
        )
    rule = fp.biogenic_rule
    factors = [factor_record(g, gwp_set, biogenic_method=rule) for g in st.masses]
    return st.co2e(gwp_set, rule), factors


def trim_boundary(source: Source, to_boundary: str, *, exclude_stages: list[str] | tuple[str, ...] = ()) -> Conversion:
    """Narrow the boundary (e.g. cradle-to-grave → cradle-to-gate) by subtracting the dropped stages' CO2e.

    Needs the stage breakdown; ``exclude_stages`` also drops stages inside ``to_boundary`` (e.g. ``use`` for a
    boundary that excludes the use stage). Widening is :func:`extend_boundary`'s job.
    """
    prior = begin(source)
    fp = prior.footprint
    _check_boundary(to_boundary)
    for s in exclude_stages:
        if s not in BOUNDARY_STAGES[to_boundary]:
            raise MappingError(
                f"stage {s!r} is not inside {to_boundary}", code="mapping.unknown_stage", field="exclude_stages"
            )
    if rank("boundaries", to_boundary) > rank("boundaries", fp.boundary):
        raise MappingError(
            f"{fp.boundary} → {to_boundary} widens the boundary: use boundary-extend with the missing stage data",
            code="mapping.boundary_extension_needed",
            field="to_boundary",
        )
    keep = tuple(s for s in BOUNDARY_STAGES[to_boundary] if s not in exclude_stages)
    current = fp.stage_names
    if not set(keep) <= set(current):
        raise MappingError(
            f"{to_boundary} needs stages {', '.join(s for s in keep if s not in current)} that the footprint "
            "excludes: use boundary-extend",
            code="mapping.boundary_extension_needed",
            field="to_boundary",
        )
    if not fp.stages:
        raise MappingError(
            f"the label has no stage breakdown: {fp.boundary} cannot be trimmed to {to_boundary}",
            code="mapping.missing_data",
            field="/footprint/stages",
        )
    dropped = [s for s in current if s not in keep]
    reasons: list[str] = []
    factors: list[dict[str, str]] = []
    lines: list[str] = []
    with localcontext(CONTEXT):
        removed = Decimal(0)
        for s in dropped:
            st = fp.stages.get(s)
            if st is None:
                lines.append(f"{s}: absent from the breakdown, counted as 0")
                if not fp.checks or not fp.checks[0].startswith(("per-gas masses recomputed", "stage breakdown sums")):
                    reasons.append(f"stage {s} is absent from a breakdown that was not checked against the total")
                continue
            value, f = _stage_co2e(fp, s, st, f"/footprint/stages/{s}")
            factors.extend(f)
            removed += value
            lines.append(f"{s}: {plain(value)} kgCO2e")
        uptake = fp.pcf_including - fp.pcf_excluding
        if uptake and "raw-materials" in dropped:
            raise MappingError(
                "the label's biogenic uptake cannot be attributed once raw-materials are dropped",
                code="mapping.conversion_impossible",
                field="/footprint/pcfIncludingBiogenicUptake",
            )
        after = fp.shifted(
            -removed,
            boundary=to_boundary,
            excluded_stages=tuple(exclude_stages),
            stages={s: st for s, st in fp.stages.items() if s in keep},
        )
        lines.append(f"pcf' = {plain(fp.pcf)} − {plain(removed)} = {plain(after.pcf)}")
    step = _step(
        "boundary-trim",
        fp,
        after,
        inputs={"to_boundary": to_boundary, "dropped_stages": dropped, "exclude_stages": list(exclude_stages)},
        factors=factors,
        steps=lines,
    )
    return extend(prior, after, step, reasons)


def extend_boundary(source: Source, to_boundary: str, stages: dict[str, Any]) -> Conversion:
    """Widen the boundary by adding supplied stage data (label format: ``{stage: {masses_kg, other_co2e_kg}}``).

    Every stage the wider boundary adds must be supplied; nothing is assumed. The trail marks the stage data
    as supplied with the request, not read from the label.
    """
    prior = begin(source)
    fp = prior.footprint
    _check_boundary(to_boundary)
    if rank("boundaries", to_boundary) < rank("boundaries", fp.boundary):
        raise MappingError(
            f"{fp.boundary} → {to_boundary} narrows the boundary: use boundary-trim",
            code="mapping.boundary_trim_needed",
            field="to_boundary",
        )
    if not isinstance(stages, dict):
        raise MappingError(
            "stages must be an object {stage: {masses_kg, other_co2e_kg}}", code="mapping.bad_field", field="stages"
        )
    needed = [s for s in BOUNDARY_STAGES[to_boundary] if s not in fp.stage_names]
    for s in stages:
        if s not in needed:
            raise MappingError(
                f"stage {s!r} is not missing from {fp.boundary} → {to_boundary} (missing: "
                f"{', '.join(needed) or 'none'})",
                code="mapping.unexpected_stage",
                field=f"stages/{s}",
            )
    missing = [s for s in needed if s not in stages]
    if missing:
        raise MappingError(
            f"{fp.boundary} → {to_boundary} needs data for stage(s) {', '.join(missing)}; none is assumed",
            code="mapping.missing_data",
            field="stages",
        )
    parsed = {s: (v if isinstance(v, Stage) else Stage.parse(v, f"stages/{s}")) for s, v in stages.items()}
    factors: list[dict[str, str]] = []
    lines: list[str] = []
    with localcontext(CONTEXT):
        added = Decimal(0)
        for s, st in parsed.items():
            value, f = _stage_co2e(fp, s, st, f"stages/{s}")
            factors.extend(f)
            added += value
            lines.append(f"{s} (supplied): {plain(value)} kgCO2e")
        after = fp.shifted(added, boundary=to_boundary, excluded_stages=(), stages={**fp.stages, **parsed})
        lines.append(f"pcf' = {plain(fp.pcf)} + {plain(added)} = {plain(after.pcf)}")
    step = _step(
        "boundary-extend",
        fp,
        after,
        inputs={
            "to_boundary": to_boundary,
            "supplied_stages": {s: st.to_dict() for s, st in parsed.items()},
            "supplied_by": "the conversion request (not the label)",
        },
        factors=factors,
        steps=lines,
    )
    return extend(prior, after, step, [])


# ---- 4. electricity re-basing ---------------------------------------------------------------------
_BASIS_OF_KIND = {
    "residual-mix-co2": "residual-mix",
    "residual-mix-co2e": "residual-mix",
    "supplier-specific": "supplier-specific",
}


def _as_factor(value: Any, field: str) -> Factor:
    if isinstance(value, Factor):
        if not value.source:
            raise MappingError(
                f"{field}: a factor used in a conversion must carry a source reference",
                code="mapping.factor_source_missing",
                field=f"{field}/source",
            )
        return value
    return Factor.parse(value, field, require_source=True)


def _dataset_refs(sources: list[Any]) -> list[dict[str, Any]]:
    """The distinct dataset entries (``{dataset, version, entry, key}``) among factor sources, in order."""
    out: list[dict[str, Any]] = []
    for src in sources:
        if isinstance(src, dict) and "entry" in src:
            ref = {k: src[k] for k in ("dataset", "version", "entry", "key") if k in src}
            if ref not in out:
                out.append(ref)
    return out


def rebase_electricity(
    source: Source,
    new_factor: dict[str, Any] | Factor,
    *,
    old_factor: dict[str, Any] | Factor | None = None,
    basis: str | None = None,
    allow_mixed_kinds: bool = False,
) -> Conversion:
    """Swap the electricity factor: pcf' = pcf − Σ kWh·EF_old + Σ kWh·EF_new (schemes.md §3, §4.2 example 4).

    ``new_factor`` (and ``old_factor``, when given to pick the supplies citing it) are factor objects with
    value, unit, kind, year, geography and a ``source`` reference dict; the trail repeats both, and the
    step's ``source`` and ``datasets`` name the dataset entries (``{dataset, version, entry, key}``) used.
    Factors of different kinds (combustion vs life cycle, CO2 vs CO2e) are refused
    (``mapping.factor_kind_mismatch``) unless ``allow_mixed_kinds`` is True — an agreement allowing it —
    which makes the result approximate.
    """
    prior = begin(source)
    fp = prior.footprint
    new = _as_factor(new_factor, "new_factor")
    if not isinstance(allow_mixed_kinds, bool):
        raise MappingError(
            "allow_mixed_kinds must be true or false", code="mapping.bad_params", field="allow_mixed_kinds"
        )
    if basis is None:
        basis = _BASIS_OF_KIND.get(new.kind, "location")
    if basis not in ELECTRICITY_BASES:
        raise MappingError(f"unknown electricity basis {basis!r}", code="mapping.unknown_value", field="basis")
    if not fp.electricity:
        raise MappingError(
            "the label states no electricity supply (kWh and factor): nothing to re-base",
            code="mapping.missing_data",
            field="/footprint/electricity",
        )
    old_given = None if old_factor is None else _as_factor(old_factor, "old_factor")
    picked = []
    for i, sp in enumerate(fp.electricity):
        f = sp.factor
        if old_given is None or (f.value, f.unit, f.kind) == (old_given.value, old_given.unit, old_given.kind):
            picked.append(i)
    if not picked:
        raise MappingError(
            "no electricity supply on the label uses old_factor (value, unit and kind must match)",
            code="mapping.factor_not_on_label",
            field="old_factor",
        )
    reasons: list[str] = []
    notes: list[str] = []
    factors: list[dict[str, Any]] = []
    lines: list[str] = []
    supplies = list(fp.electricity)
    with localcontext(CONTEXT):
        delta = Decimal(0)
        for i in picked:
            sp = fp.electricity[i]
            old = old_given if old_given is not None else sp.factor
            old_src = old.source or sp.factor.source or {"label": f"/footprint/electricity/{i}/factor"}
            if (old.kind, old.unit) != (new.kind, new.unit):
                message = (
                    f"supply {i}: factor kinds differ ({old.kind} {old.unit} → {new.kind} {new.unit}); "
                    "scopes and gases are not like for like"
                )
                if not allow_mixed_kinds:
                    raise MappingError(
                        message + ": refused (an agreement may allow it)",
                        code="mapping.factor_kind_mismatch",
                        field="new_factor/kind",
                    )
                reasons.append(message + " (allowed by allow_mixed_kinds)")
            if (
                old.td_losses_included is not None
                and new.td_losses_included is not None
                and old.td_losses_included != new.td_losses_included
            ):
                reasons.append(
                    f"supply {i}: T&D losses included differs ({old.td_losses_included} → {new.td_losses_included})"
                )
            if new.gwp_set and fp.gwp_set and new.gwp_set != fp.gwp_set:
                reasons.append(
                    f"supply {i}: the new factor is characterized with {new.gwp_set}, the footprint with {fp.gwp_set}"
                )
            if old.year != new.year:
                notes.append(f"supply {i}: factor year {old.year} → {new.year}")
            if old.geography != new.geography:
                notes.append(f"supply {i}: factor geography {old.geography} → {new.geography}")
            d = sp.kwh * (new.value - old.value)
            delta += d
            lines.append(f"supply {i}: {plain(sp.kwh)} kWh × ({plain(new.value)} − {plain(old.value)}) = {plain(d)}")
            factors.append({"role": "old", "supply": i, **old.to_dict(), "source": old_src})
            factors.append({"role": "new", "supply": i, **new.to_dict()})
            supplies[i] = Supply(sp.kwh, basis, new, "none" if basis == "location" else sp.instrument)
        after = fp.shifted(delta, electricity=tuple(supplies), electricity_delta=fp.electricity_delta + delta)
        lines.append(f"pcf' = {plain(fp.pcf)} + {plain(delta)} = {plain(after.pcf)}")
    step = _step(
        "electricity-rebase",
        fp,
        after,
        inputs={
            "supplies": [fp.electricity[i].to_dict() for i in picked],
            "basis": basis,
            "allow_mixed_kinds": allow_mixed_kinds,
        },
        factors=factors,
        steps=lines,
        notes=notes,
        source=new.source,
        datasets=_dataset_refs([new.source, *(f["source"] for f in factors if f["role"] == "old")]),
    )
    return extend(prior, after, step, reasons)


# ---- 5. biogenic inclusion / exclusion ------------------------------------------------------------
def set_biogenic(source: Source, include: bool) -> Conversion:
    """Make the total including (``include=True``) or excluding biogenic CO2 uptake the footprint value."""
    prior = begin(source)
    fp = prior.footprint
    if not isinstance(include, bool):
        raise MappingError("include must be true or false", code="mapping.bad_params", field="include")
    after = fp.with_changes(headline="including" if include else "excluding")
    which = "pcfIncludingBiogenicUptake" if include else "pcfExcludingBiogenicUptake"
    step = _step(
        "biogenic-include" if include else "biogenic-exclude",
        fp,
        after,
        inputs={"include_biogenic_uptake": include},
        steps=[f"pcf' = {which} = {plain(after.pcf)}"],
    )
    return extend(prior, after, step, [])


# ---- 6. validity cap ------------------------------------------------------------------------------
def _add_years(d: date, years: int) -> date:
    year = d.year + years
    if year > MAXYEAR:
        raise MappingError(
            f"{d} + {years} years is past the year {MAXYEAR}, the last a date can name",
            code="mapping.bad_params",
            field="years",
        )
    try:
        return d.replace(year=year)
    except ValueError:  # 29 February into a non-leap year
        return d.replace(year=year, day=28)


def cap_validity(source: Source, years: int, *, anchor: str = "referencePeriodEnd") -> Conversion:
    """valid_until' = min(valid_until, anchor + years); anchor is ``referencePeriodEnd`` or ``issued_at``."""
    prior = begin(source)
    fp = prior.footprint
    if isinstance(years, bool) or not isinstance(years, int) or years <= 0:
        raise MappingError("years must be a positive integer", code="mapping.bad_params", field="years")
    if anchor == "referencePeriodEnd":
        start = fp.reference_period[1] if fp.reference_period else None
        pointer = "/footprint/referencePeriodEnd"
    elif anchor == "issued_at":
        start, pointer = fp.issued_at, "/issued_at"
    else:
        raise MappingError(f"unknown validity anchor {anchor!r}", code="mapping.unknown_value", field="anchor")
    if start is None:
        raise MappingError(f"the label has no {anchor}", code="mapping.missing_data", field=pointer)
    try:
        anchor_day = date.fromisoformat(start)
    except (TypeError, ValueError):
        raise MappingError(
            f"{pointer} must be a real date YYYY-MM-DD, got {start!r}", code="mapping.bad_date", field=pointer
        ) from None
    cap = _add_years(anchor_day, years).isoformat()
    new = cap if fp.valid_until is None or cap < fp.valid_until else fp.valid_until
    after = fp.with_changes(valid_until=new)
    step = _step(
        "validity-cap",
        fp,
        after,
        inputs={"anchor": anchor, "anchor_date": start, "years": years, "valid_until": fp.valid_until},
        steps=[f"valid_until' = min({fp.valid_until}, {start} + {years} years = {cap}) = {new}"],
    )
    step["result"]["valid_until"] = new
    return extend(prior, after, step, [])


# ---- registry and chains --------------------------------------------------------------------------
CONVERSIONS: dict[str, Callable[..., Conversion]] = {
    "gwp-recharacterize": recharacterize_gwp,
    "declared-unit-rescale": rescale_declared_unit,
    "boundary-trim": trim_boundary,
    "boundary-extend": extend_boundary,
    "electricity-rebase": rebase_electricity,
    "biogenic-include": partial(set_biogenic, include=True),
    "biogenic-exclude": partial(set_biogenic, include=False),
    "validity-cap": cap_validity,
}


def run_step(source: Source, name: Any, params: Any, *, where: str = "") -> Conversion:
    """Run the registered conversion ``name`` with ``params`` (a dict of keyword arguments)."""
    fn = CONVERSIONS.get(name) if isinstance(name, str) else None
    if fn is None:
        raise MappingError(
            f"unknown conversion {name!r} (known: {', '.join(CONVERSIONS)})",
            code="mapping.unknown_conversion",
            field="name",
        )
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise MappingError(f"{where}params must be an object", code="mapping.bad_params", field="params")
    try:
        inspect.signature(fn).bind(source, **params)
    except TypeError as e:
        raise MappingError(f"{name}: bad params: {e}", code="mapping.bad_params", field="params") from e
    return fn(source, **params)


def apply_steps(
    record: dict[str, Any],
    steps: list[dict[str, Any]],
    *,
    stage_tolerance: Decimal = DEFAULT_STAGE_TOLERANCE,
    gas_tolerance: Decimal = DEFAULT_GAS_TOLERANCE,
) -> Conversion:
    """Read the label record and run the named steps ``[{"name": ..., "params": {...}}, ...]`` in order."""
    conv = begin(Footprint.from_label(record, stage_tolerance=stage_tolerance, gas_tolerance=gas_tolerance))
    if not isinstance(steps, list):
        raise MappingError("steps must be a list of {name, params}", code="mapping.bad_params", field="steps")
    for i, s in enumerate(steps):
        if not isinstance(s, dict):
            raise MappingError(
                f"steps/{i} must be an object {{name, params}}", code="mapping.bad_params", field=f"steps/{i}"
            )
        conv = run_step(conv, s.get("name"), s.get("params", {}), where=f"steps/{i}: ")
    return conv


def convert_to_profile(record: dict[str, Any], profile: Any) -> Conversion:
    """Plan and run the conversions that carry ``record`` into ``profile``'s terms (see mapping.planner)."""
    from .planner import convert_to_profile as plan_and_convert

    return plan_and_convert(record, profile)


__all__ = [
    "CONVERSIONS",
    "Conversion",
    "apply_steps",
    "cap_validity",
    "convert_to_profile",
    "extend_boundary",
    "gwp_table_from_dataset",
    "rebase_electricity",
    "recharacterize_gwp",
    "rescale_declared_unit",
    "run_step",
    "set_biogenic",
    "trim_boundary",
]
