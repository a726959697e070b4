"""Boundary trimming and extension (``boundary-trim``, ``boundary-extend``): the footprint over another boundary.

Trimming subtracts the dropped stages' CO2e from the label's own stage breakdown — generic stages or EN 15804
modules ("EN 15804: drop B, C and D; keep A1–A3", schemes.md §4.1), module D always apart; extending adds stage
data supplied with the request (never assumed), and the trail says it was supplied, not read from the label.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

from ..errors import MappingError
from ..footprint import Footprint
from ..footprint_parts import Stage
from ..gwp import factor_record
from ..orderings import rank
from ..quantities import CONTEXT, plain
from ..stages import boundary_stages, generic_stages, in_vocabulary
from ..vocabulary import BOUNDARIES, GWP_SETS, MODULE_D
from .trail import Conversion, Source, begin, extend, trail_step


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


def _kept(fp: Footprint, to_boundary: str | None, exclude: tuple[str, ...], to_stages: Any) -> tuple[str, tuple]:
    """The boundary a trim lands on and the stages it keeps (in the footprint's vocabulary)."""
    vocab = fp.vocabulary
    if to_stages is not None:
        if to_boundary is not None or exclude:
            raise MappingError(
                "name the stages to keep (to_stages) or a boundary (to_boundary, exclude_stages), not both",
                code="mapping.bad_params",
                field="to_stages",
            )
        if not isinstance(to_stages, list | tuple) or not to_stages:
            raise MappingError("to_stages must be a non-empty list", code="mapping.bad_params", field="to_stages")
        keep = in_vocabulary(to_stages, vocab, "to_stages")
        # The narrowest named boundary holding every kept stage; what it holds beyond them is excluded.
        for b in BOUNDARIES:
            if set(keep) <= set(boundary_stages(b, vocab)):
                return b, keep
        raise MappingError(
            f"no boundary holds stages {', '.join(keep)}", code="mapping.unknown_stage", field="to_stages"
        )
    if to_boundary is None:
        raise MappingError(
            "boundary-trim needs to_boundary or to_stages", code="mapping.bad_params", field="to_boundary"
        )
    _check_boundary(to_boundary)
    excluded = in_vocabulary(exclude, vocab, "exclude_stages")
    for s in excluded:
        if s not in boundary_stages(to_boundary, vocab):
            raise MappingError(
                f"stage {s!r} is not inside {to_boundary}", code="mapping.unknown_stage", field="exclude_stages"
            )
    return to_boundary, tuple(s for s in boundary_stages(to_boundary, vocab) if s not in excluded)


def trim_boundary(
    source: Source,
    to_boundary: str | None = None,
    *,
    exclude_stages: list[str] | tuple[str, ...] = (),
    to_stages: list[str] | tuple[str, ...] | None = None,
) -> Conversion:
    """Narrow the boundary (e.g. cradle-to-grave → cradle-to-gate) by subtracting the dropped stages' CO2e.

    Needs the stage breakdown. Name the target as a boundary (``to_boundary``, with ``exclude_stages`` for
    stages it leaves out, e.g. ``use``) or as the stages to keep (``to_stages``, e.g. ``["A1-A3"]`` to trim a
    cradle-to-grave EPD to its product stage); stage names of either vocabulary are read in the label's
    (:mod:`mapping.stages`). EN 15804 module D stays apart, unchanged and outside every total. Electricity
    supplies of the dropped stages leave with them; an earlier re-basing of a supply with no stage
    (``electricity_delta_unstaged``) cannot be attributed, so the trim is refused (``mapping.supply_stage_unknown``).
    Widening is :func:`extend_boundary`'s job.
    """
    prior = begin(source)
    fp = prior.footprint
    target, keep = _kept(fp, to_boundary, tuple(exclude_stages), to_stages)
    if rank("boundaries", target) > rank("boundaries", fp.boundary):
        raise MappingError(
            f"{fp.boundary} → {target} widens the boundary: use boundary-extend with the missing stage data",
            code="mapping.boundary_extension_needed",
            field="to_boundary",
        )
    current = fp.stage_names
    if not set(keep) <= set(current):
        raise MappingError(
            f"{target} needs stages {', '.join(s for s in keep if s not in current)} that the footprint "
            "excludes: use boundary-extend",
            code="mapping.boundary_extension_needed",
            field="to_boundary",
        )
    if not fp.stages:
        raise MappingError(
            f"the label has no stage breakdown: {fp.boundary} cannot be trimmed to {target}",
            code="mapping.missing_data",
            field="/footprint/stages",
        )
    if fp.electricity_delta_unstaged:
        raise MappingError(
            f"an earlier electricity re-basing moved the total by {plain(fp.electricity_delta_unstaged)} kgCO2e for "
            "supplies that state no life-cycle stage: a trim cannot tell whether that adjustment lies in a kept or "
            "a dropped stage",
            code="mapping.supply_stage_unknown",
            field="/footprint/electricity",
        )
    dropped = [s for s in current if s not in keep]
    excluded = tuple(s for s in boundary_stages(target, fp.vocabulary) if s not in keep)
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
        if uptake and "raw-materials" in generic_stages(dropped):
            raise MappingError(
                "the label's biogenic uptake cannot be attributed once raw-materials are dropped",
                code="mapping.conversion_impossible",
                field="/footprint/pcfIncludingBiogenicUptake",
            )
        supplies = []
        for i, sp in enumerate(fp.electricity):
            if sp.stage in dropped:
                lines.append(f"supply {i} ({plain(sp.kwh)} kWh, stage {sp.stage}) leaves with its stage")
            else:
                supplies.append(sp)
        after = fp.shifted(
            -removed,
            boundary=target,
            excluded_stages=excluded,
            stages={s: st for s, st in fp.stages.items() if s in keep},
            electricity=tuple(supplies),
            dropped_stages=(*fp.dropped_stages, *dropped),
        )
        lines.append(f"pcf' = {plain(fp.pcf)} − {plain(removed)} = {plain(after.pcf)}")
        if fp.module_d is not None:
            value, _ = _stage_co2e(fp, MODULE_D, fp.module_d, f"/footprint/stages/{MODULE_D}")
            lines.append(f"module D: {plain(value)} kgCO2e, declared apart and carried unchanged (not in pcf)")
    step = trail_step(
        "boundary-trim",
        fp,
        after,
        inputs={
            "to_boundary": target,
            "kept_stages": list(keep),
            "dropped_stages": dropped,
            "exclude_stages": list(excluded),
        },
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
    needed = [s for s in boundary_stages(to_boundary, fp.vocabulary) if s not in fp.stage_names]
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
    step = trail_step(
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


__all__ = ["extend_boundary", "trim_boundary"]
