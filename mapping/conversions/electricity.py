"""Electricity re-basing (``electricity-rebase``, ``use-stage-rebase``): swap the factor of the label's supplies.

pcf' = pcf − Σ kWh·EF_old + Σ kWh·EF_new, per supply and per stage. Factors always carry their source (a dataset
entry); factors of different kinds (scope, gases) are never mixed silently.

Per stage: a supply that states its stage (``/footprint/electricity/*/stage``) has its adjustment written into
that stage of the breakdown — the stage's CO2 mass for a CO2-only factor, its CO2e remainder (``other_co2e``)
for a CO2e factor — so a later boundary trim removes exactly the adjustment of the stages it drops (a use-stage
adjustment never leaks into a cradle-to-gate value). A supply with no stage moves only the totals
(``electricity_delta_unstaged``), and re-basing refuses it (``mapping.supply_stage_unknown``) when a trim
follows (``stages_required``, set by the registry's :func:`~mapping.conversions.registry.apply_steps`), when it
came before, or when the request names stages.

``use-stage-rebase`` is the market of use (DESIGN §5; schemes.md §3): the use stage's lifetime kWh × the
location-based factor of the grid where the product is used, of the same kind (scope and gases) as the label's,
from a dataset entry.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, localcontext
from typing import Any

from ..errors import MappingError
from ..footprint import Footprint
from ..footprint_parts import Factor, Stage
from ..quantities import CONTEXT, plain
from ..stages import in_vocabulary
from ..vocabulary import ELECTRICITY_BASES, USE_STAGES
from .trail import Conversion, Source, begin, extend, trail_step

_BASIS_OF_KIND = {
    "residual-mix-co2": "residual-mix",
    "residual-mix-co2e": "residual-mix",
    "supplier-specific": "supplier-specific",
}
LOCATION_KINDS = ("combustion-co2", "combustion-co2e", "lifecycle-co2e")
"""The factor kinds of a grid average (location-based): what a use-stage re-basing to a market of use takes."""
_UNKNOWN = "mapping.supply_stage_unknown"


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


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise MappingError(f"{name} must be true or false", code="mapping.bad_params", field=name)
    return value


def _pick(
    fp: Footprint, old: Factor | None, stages: tuple[str, ...] | None, stages_required: bool, step: str
) -> list[int]:
    """The supplies to re-base: those citing ``old`` (all when ``None``) in ``stages`` (all when ``None``)."""
    if not fp.electricity:
        where = (
            f" left inside the boundary (a trim dropped {', '.join(fp.dropped_stages)})" if fp.dropped_stages else ""
        )
        raise MappingError(
            f"the label states no electricity supply (kWh and factor){where}: nothing to re-base",
            code="mapping.missing_data",
            field="/footprint/electricity",
        )
    picked = []
    for i, sp in enumerate(fp.electricity):
        f = sp.factor
        if old is not None and (f.value, f.unit, f.kind) != (old.value, old.unit, old.kind):
            continue
        if sp.stage is None:
            why = None
            if stages is not None:
                why = f"{step} re-bases the supplies of stage(s) {', '.join(stages)}"
            elif stages_required:
                why = "a later step trims the boundary, which needs each adjustment's stage"
            elif fp.dropped_stages:
                why = f"an earlier trim dropped {', '.join(fp.dropped_stages)}, which may have held its kWh"
            if why:
                raise MappingError(
                    f"supply {i} states no life-cycle stage (/footprint/electricity/{i}/stage) and {why}: "
                    "refused rather than guessed",
                    code=_UNKNOWN,
                    field=f"/footprint/electricity/{i}/stage",
                )
        elif stages is not None and sp.stage not in stages:
            continue
        picked.append(i)
    return picked


def _attribute(fp: Footprint, stages: dict[str, Stage], i: int, old: Factor, new: Factor, lines: list[str]) -> bool:
    """Write supply ``i``'s swap into its stage of ``stages``; False when it has no stage in the breakdown."""
    sp = fp.electricity[i]
    if sp.stage is None or not fp.stages:
        return False
    st = stages.get(sp.stage)
    if st is None:
        raise MappingError(
            f"supply {i} is attributed to stage {sp.stage}, which the stage breakdown does not carry: its "
            "adjustment has nowhere to go",
            code="mapping.missing_data",
            field=f"/footprint/stages/{sp.stage}",
        )
    out_old, in_new = sp.kwh * old.value, sp.kwh * new.value
    # A CO2-only factor counts CO2 mass (GWP 1 in every set); a CO2e factor is already characterized.
    old_co2 = old.unit == "kgCO2/kWh" and bool(st.masses)
    new_co2 = new.unit == "kgCO2/kWh" and bool(st.masses)
    if old_co2 and st.masses.get("CO2", Decimal(0)) < out_old:
        raise MappingError(
            f"supply {i}: {plain(sp.kwh)} kWh × {plain(old.value)} = {plain(out_old)} kg CO2, more than stage "
            f"{sp.stage} states ({plain(st.masses.get('CO2', Decimal(0)))} kg): the breakdown does not hold the "
            "supply's emissions",
            code="mapping.supply_exceeds_stage",
            field=f"/footprint/stages/{sp.stage}/masses_kg/CO2",
        )
    adjusted = st.adjusted(
        co2_kg=(in_new if new_co2 else Decimal(0)) - (out_old if old_co2 else Decimal(0)),
        other_co2e_kg=(Decimal(0) if new_co2 else in_new) - (Decimal(0) if old_co2 else out_old),
    )
    stages[sp.stage] = adjusted
    for part, before, after, minus, plus in (
        ("CO2 mass kg", st.masses.get("CO2"), adjusted.masses.get("CO2"), old_co2, new_co2),
        ("other_co2e kg", st.other_co2e, adjusted.other_co2e, not old_co2, not new_co2),
    ):
        if minus or plus:
            arithmetic = f"{plain(before or Decimal(0))}{f' − {plain(out_old)}' if minus else ''}"
            arithmetic += f" + {plain(in_new)}" if plus else ""
            lines.append(f"stage {sp.stage} {part}: {arithmetic} = {plain(after or Decimal(0))} (supply {i})")
    return True


def _rebase(
    source: Source,
    new: Factor,
    *,
    step: str,
    old_given: Factor | None,
    basis: str,
    allow_mixed_kinds: bool,
    stages: tuple[str, ...] | None,
    stages_required: bool,
    inputs: dict[str, Any],
) -> Conversion:
    prior = begin(source)
    fp = prior.footprint
    picked = _pick(fp, old_given, stages, stages_required, step)
    if not picked:
        which = f" in stage(s) {', '.join(stages)}" if stages is not None else ""
        raise MappingError(
            f"no electricity supply on the label{which} uses old_factor (value, unit and kind must match)"
            if old_given is not None
            else f"the label states no electricity supply{which}: nothing to re-base",
            code="mapping.factor_not_on_label" if old_given is not None else "mapping.missing_data",
            field="old_factor" if old_given is not None else "/footprint/electricity",
        )
    reasons: list[str] = []
    notes: list[str] = []
    factors: list[dict[str, Any]] = []
    lines: list[str] = []
    supplies = list(fp.electricity)
    new_stages = dict(fp.stages)
    with localcontext(CONTEXT):
        delta = unstaged = Decimal(0)
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
            at = f" (stage {sp.stage})" if sp.stage else " (no stage stated)"
            lines.append(
                f"supply {i}{at}: {plain(sp.kwh)} kWh × ({plain(new.value)} − {plain(old.value)}) = {plain(d)}"
            )
            if not _attribute(fp, new_stages, i, old, new, lines):
                unstaged += d
            factors.append({"role": "old", "supply": i, **old.to_dict(), "source": old_src})
            factors.append({"role": "new", "supply": i, **new.to_dict()})
            supplies[i] = replace(
                sp, basis=basis, factor=new, instrument="none" if basis == "location" else sp.instrument
            )
        after = fp.shifted(
            delta,
            stages=new_stages,
            electricity=tuple(supplies),
            electricity_delta=fp.electricity_delta + delta,
            electricity_delta_unstaged=fp.electricity_delta_unstaged + unstaged,
        )
        lines.append(f"pcf' = {plain(fp.pcf)} + {plain(delta)} = {plain(after.pcf)}")
    step_doc = trail_step(
        step,
        fp,
        after,
        inputs={
            "supplies": [fp.electricity[i].to_dict() for i in picked],
            "basis": basis,
            "allow_mixed_kinds": allow_mixed_kinds,
            **inputs,
        },
        factors=factors,
        steps=lines,
        notes=notes,
        source=new.source,
        datasets=_dataset_refs([new.source, *(f["source"] for f in factors if f["role"] == "old")]),
    )
    return extend(prior, after, step_doc, reasons)


def rebase_electricity(
    source: Source,
    new_factor: dict[str, Any] | Factor,
    *,
    old_factor: dict[str, Any] | Factor | None = None,
    basis: str | None = None,
    allow_mixed_kinds: bool = False,
    stages: list[str] | tuple[str, ...] | None = None,
    stages_required: bool = False,
) -> Conversion:
    """Swap the electricity factor: pcf' = pcf − Σ kWh·EF_old + Σ kWh·EF_new (schemes.md §3, §4.2 example 4).

    ``new_factor`` (and ``old_factor``, when given to pick the supplies citing it) are factor objects with
    value, unit, kind, year, geography and a ``source`` reference dict; the trail repeats both, and the
    step's ``source`` and ``datasets`` name the dataset entries (``{dataset, version, entry, key}``) used.
    ``stages`` (either stage vocabulary) limits the swap to the supplies of those stages. Factors of different
    kinds (combustion vs life cycle, CO2 vs CO2e) are refused (``mapping.factor_kind_mismatch``) unless
    ``allow_mixed_kinds`` is True — an agreement allowing it — which makes the result approximate.
    ``stages_required`` (a later step trims the boundary) refuses a picked supply that states no stage.
    """
    fp = begin(source).footprint
    new = _as_factor(new_factor, "new_factor")
    allow_mixed_kinds = _flag(allow_mixed_kinds, "allow_mixed_kinds")
    stages_required = _flag(stages_required, "stages_required")
    if basis is None:
        basis = _BASIS_OF_KIND.get(new.kind, "location")
    if basis not in ELECTRICITY_BASES:
        raise MappingError(f"unknown electricity basis {basis!r}", code="mapping.unknown_value", field="basis")
    wanted = None
    if stages is not None:
        if not isinstance(stages, list | tuple) or not stages:
            raise MappingError(
                "stages must be a non-empty list of stage names", code="mapping.bad_params", field="stages"
            )
        wanted = in_vocabulary(stages, fp.vocabulary, "stages")
    return _rebase(
        source,
        new,
        step="electricity-rebase",
        old_given=None if old_factor is None else _as_factor(old_factor, "old_factor"),
        basis=basis,
        allow_mixed_kinds=allow_mixed_kinds,
        stages=wanted,
        stages_required=stages_required,
        inputs={} if wanted is None else {"stages": list(wanted)},
    )


def rebase_use_stage(
    source: Source,
    factor: dict[str, Any] | Factor,
    *,
    allow_mixed_kinds: bool = False,
    stages_required: bool = False,
) -> Conversion:
    """Re-base the use stage to the grid of the market of use: the use stage's lifetime kWh × ``factor``
    replaces its kWh × the label's factor (the use-stage supplies, ``stage`` ``use`` or ``B1-B7``).

    ``factor`` is a location-based grid factor (kind combustion-co2, combustion-co2e or lifecycle-co2e:
    ``mapping.factor_not_location_based`` otherwise) read from a dataset entry: its ``source`` names
    ``{dataset, version, entry, key}`` (``mapping.factor_source_missing`` otherwise). Its kind must be the
    label's (same scope and gases) unless ``allow_mixed_kinds``, which makes the result approximate.
    """
    fp = begin(source).footprint
    new = _as_factor(factor, "factor")
    if new.kind not in LOCATION_KINDS:
        raise MappingError(
            f"the market-of-use factor is {new.kind}; a use-stage re-basing takes the grid's location-based "
            f"factor ({', '.join(LOCATION_KINDS)})",
            code="mapping.factor_not_location_based",
            field="factor/kind",
        )
    if not isinstance(new.source, dict) or "entry" not in new.source:
        raise MappingError(
            "the market-of-use factor must come from a dataset entry: its source names {dataset, version, entry, key}",
            code="mapping.factor_source_missing",
            field="factor/source",
        )
    use = tuple(s for s in USE_STAGES if s in {sp.stage for sp in fp.electricity})
    if not use:
        unstaged = [i for i, sp in enumerate(fp.electricity) if sp.stage is None]
        if unstaged:
            raise MappingError(
                f"no supply is attributed to the use stage, and supply(ies) {', '.join(map(str, unstaged))} state "
                "no stage: which kWh are the use stage's is unknown",
                code=_UNKNOWN,
                field=f"/footprint/electricity/{unstaged[0]}/stage",
            )
        raise MappingError(
            "the label states no use-stage electricity (a supply with stage use or B1-B7): nothing to re-base "
            "to the market of use",
            code="mapping.missing_data",
            field="/footprint/electricity",
        )
    return _rebase(
        source,
        new,
        step="use-stage-rebase",
        old_given=None,
        basis="location",
        allow_mixed_kinds=_flag(allow_mixed_kinds, "allow_mixed_kinds"),
        stages=use,
        stages_required=_flag(stages_required, "stages_required"),
        inputs={"market_of_use": new.geography, "stages": list(use)},
    )


__all__ = ["LOCATION_KINDS", "rebase_electricity", "rebase_use_stage"]
