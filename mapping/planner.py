"""Plan and run the conversions that carry one label into a target profile's terms.

The plan compares the label's own data with the target profile, dimension by dimension, and picks steps in a
fixed order: biogenic headline, boundary trim, GWP re-characterization, declared unit, validity cap (the
division of a unit rescale comes last). Where the label's data cannot produce the target's number — or only a
factor or stage data that the label does not carry could — the conversion is impossible and the error lists
every reason. Dimensions that only an agreement can settle are returned in ``needs_agreement``; they do not
change the value.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from .conversions.registry import run_step
from .conversions.trail import Conversion, begin
from .differ import diff_dimension
from .errors import MappingError
from .footprint import Footprint
from .profiles import Dimension, Profile, as_profile, get_profile, gwp_sets_required
from .stages import generic_stages
from .vocabulary import BOUNDARY_STAGES, GWP_SETS, VERIFICATION_LEVELS

_BY_LABEL_DATA = {
    "claim_types",
    "biogenic_headline",
    "boundary",
    "gwp_sets",
    "declared_unit",
    "electricity_basis",
    "electricity_factor_kind",
    "validity",
    "cut_off",
    "verification",
    "allocation",
}


class _Plan:
    def __init__(self) -> None:
        self.steps: list[tuple[str, dict[str, Any]]] = []
        self.impossible: list[str] = []
        self.open: list[str] = []


def _claim(fp: Footprint, d: Dimension, plan: _Plan) -> None:
    kind = fp.claim.get("type")
    if kind not in d.value:
        plan.impossible.append(f"claim_types: the label's {kind} claim is not one the target accepts ({d.value})")
    elif kind != "footprint":
        plan.open.append(f"claim_types: a {kind} claim is recognised only as an equivalent claim, by agreement")


def _headline(fp: Footprint, d: Dimension, plan: _Plan) -> None:
    if d.value == "including-uptake" and fp.headline != "including":
        plan.steps.append(("biogenic-include", {}))
    elif d.value == "excluding-uptake" and fp.headline != "excluding":
        plan.steps.append(("biogenic-exclude", {}))


def _boundary(fp: Footprint, d: Dimension, plan: _Plan) -> None:
    # Compared in generic stages (EN 15804 modules expanded, mapping.stages); the trim reads them in the label's.
    excluded = generic_stages(d.get("excluded_stages", []))
    current = set(generic_stages(fp.stage_names))
    options = [(b, {s for s in BOUNDARY_STAGES[b] if s not in excluded}) for b in d.value]
    if d.get("module_d") == "required" and fp.module_d is None:
        plan.open.append(
            "boundary: the target requires EN 15804 module D, declared apart from the total; the label states none "
            "(an agreement may accept it without)"
        )
    if any(stages == current for _, stages in options):
        return
    narrower = [(b, stages) for b, stages in options if stages < current]
    if not narrower:
        plan.impossible.append(
            f"boundary: {fp.boundary} → {', '.join(d.value)} widens the boundary; it needs the missing stages' data "
            "supplied with the request (boundary-extend) and an agreed scenario source"
        )
        return
    if not fp.stages:
        plan.impossible.append(
            f"boundary: {fp.boundary} → {', '.join(d.value)} needs the stage breakdown "
            "(/footprint/stages), which the label does not carry"
        )
        return
    target = max(narrower, key=lambda o: len(o[1]))[0]
    params: dict[str, Any] = {"to_boundary": target}
    if excluded:
        params["exclude_stages"] = list(excluded)
    plan.steps.append(("boundary-trim", params))


def _required_sets(fp: Footprint, d: Dimension, plan: _Plan) -> tuple[str, ...] | None:
    """The sets the target requires of this footprint: a date-dependent rule (``by_date``, e.g. ISO 14067's
    "most recent IPCC values") is read at the label's issue date, never as the union of every period."""
    if d.get("by_date") is None:
        return tuple(d.value)
    if fp.issued_at is None:
        plan.impossible.append("gwp_sets: the target's GWP rule depends on the footprint's date (/issued_at)")
        return None
    required = gwp_sets_required(d, date.fromisoformat(fp.issued_at))
    if required is None:
        plan.impossible.append(f"gwp_sets: the target's GWP rule names no IPCC set for a footprint of {fp.issued_at}")
    return required


def _gwp(fp: Footprint, d: Dimension, plan: _Plan) -> None:
    required = _required_sets(fp, d, plan)
    if required is None:
        return
    if all(s in required for s in fp.gwp_sets):
        return
    ipcc = [s for s in required if s in GWP_SETS]
    if not ipcc or any(s not in GWP_SETS for s in fp.gwp_sets):
        plan.impossible.append(
            f"gwp_sets: {', '.join(fp.gwp_sets)} → {', '.join(required)} needs EF "
            "characterisation tables, which are not shipped (schemes.md §5)"
        )
        return
    if not any(st.masses for st in fp.stages.values()):
        plan.impossible.append(
            f"gwp_sets: {', '.join(fp.gwp_sets)} → {ipcc[0]} needs per-gas masses "
            "(/footprint/stages/*/masses_kg), which the label does not carry"
        )
        return
    plan.steps.append(("gwp-recharacterize", {"to_set": ipcc[0]}))


def _unit(fp: Footprint, d: Dimension, plan: _Plan) -> None:
    if d.get("performance_based"):
        plan.impossible.append(
            f"declared_unit: the target's functional unit ({', '.join(d.value)}) implies "
            "performance (service life, cycles) that the label does not state"
        )
        return
    if fp.declared_unit in d.value:
        return
    if fp.declared_unit == "piece" and "kilogram" in d.value:
        if not fp.product_mass_kg:
            plan.impossible.append(
                "declared_unit: per piece → per kg needs /footprint/productMassPerDeclaredUnit, "
                "which the label does not state"
            )
            return
        plan.steps.append(("declared-unit-rescale", {"to_unit": "kilogram"}))
    elif fp.declared_unit == "kilogram" and "piece" in d.value:
        plan.impossible.append(
            "declared_unit: per kg → per piece needs the mass of one piece, which a per-kg label "
            "does not carry (supply it with declared-unit-rescale's product_mass_kg)"
        )
    else:
        plan.impossible.append(f"declared_unit: no bridging quantity from {fp.declared_unit} to {', '.join(d.value)}")


def _electricity(fp: Footprint, d: Dimension, plan: _Plan, attr: str) -> None:
    if not fp.electricity:
        plan.open.append(f"{d.name}: the label states no electricity supply, so its basis cannot be compared")
        return
    wrong = sorted({s.basis if attr == "basis" else s.factor.kind for s in fp.electricity} - set(d.value))
    if wrong:
        plan.impossible.append(
            f"{d.name}: the label's {', '.join(wrong)} electricity must be re-based to {', '.join(d.value)} with a "
            "target factor from a cited or agreement-pinned dataset entry (electricity-rebase or, for the use stage "
            "and the grid of the market of use, use-stage-rebase: named by an agreement, not planned here)"
        )


def _validity(fp: Footprint, d: Dimension, plan: _Plan) -> None:
    years = d.value.get("years")
    if years is not None:
        plan.steps.append(("validity-cap", {"years": years, "anchor": d.value.get("from", "referencePeriodEnd")}))


def _cut_off(fp: Footprint, d: Dimension, plan: _Plan) -> None:
    limit = d.value["max_exempted_percent"]
    if limit is None:
        return
    if fp.exempted_percent is None:
        plan.open.append(f"cut_off: the label states no exempted share; the target allows at most {limit}%")
    elif fp.exempted_percent > Decimal(limit):
        plan.impossible.append(
            f"cut_off: the label exempts {fp.exempted_percent}% of emissions, above the target's "
            f"{limit}%; missing emissions are never added"
        )


def _verification(fp: Footprint, d: Dimension, plan: _Plan) -> None:
    level, required = fp.verification_level, d.value
    if required["third_party"] and level in (None, "none"):
        plan.impossible.append("verification: the target requires third-party verification; the label has none")
        return
    floor = required["min_level"]
    if floor == "unspecified":
        plan.open.append("verification: the target's minimum assurance level is unspecified")
    elif level is None or VERIFICATION_LEVELS.index(level) < VERIFICATION_LEVELS.index(floor):
        plan.open.append(f"verification: the label's {level} assurance is below the target's {floor}")


def _allocation(fp: Footprint, d: Dimension, plan: _Plan) -> None:
    rule = (fp.allocation or {}).get("rule")
    if d.value["normative"] and rule not in (d.value["rules"][0], "none-needed"):
        plan.impossible.append(
            f"allocation: the target's {d.value['rules'][0]} rule is normative; the label used "
            f"{rule or 'an unstated rule'} and carries no inventory data to re-allocate"
        )
    elif rule not in d.value["rules"]:
        plan.open.append(f"allocation: the label's {rule or 'unstated'} rule is not among the target's")


def _source_profile(fp: Footprint) -> Profile | None:
    if fp.profile is None:
        return None
    try:
        return get_profile(*fp.profile)
    except MappingError:
        return None


def plan_conversion(fp: Footprint, target: Profile) -> _Plan:
    plan = _Plan()
    source = _source_profile(fp)
    for dim in target.dimensions():
        if dim.unspecified:
            plan.open.append(f"{dim.name}: unspecified in the target profile")
            continue
        if dim.name in _BY_LABEL_DATA:
            {
                "claim_types": _claim,
                "biogenic_headline": _headline,
                "boundary": _boundary,
                "gwp_sets": _gwp,
                "declared_unit": _unit,
                "electricity_basis": lambda f, d, p: _electricity(f, d, p, "basis"),
                "electricity_factor_kind": lambda f, d, p: _electricity(f, d, p, "kind"),
                "validity": _validity,
                "cut_off": _cut_off,
                "verification": _verification,
                "allocation": _allocation,
            }[dim.name](fp, dim, plan)
            continue
        if source is None:
            plan.open.append(f"{dim.name}: the label's profile is not known here, so this dimension cannot be compared")
            continue
        verdict = diff_dimension(source.dimension(dim.name), dim)
        if verdict.cls == "incompatible":
            plan.impossible.append(f"{dim.name}: {verdict.reason}")
        elif verdict.cls != "identical":
            plan.open.append(f"{dim.name}: {verdict.reason}")
    order = [  # every registered name (mapping.conversions.CONVERSIONS), re-basing before any trim
        "biogenic-include",
        "biogenic-exclude",
        "electricity-rebase",
        "use-stage-rebase",
        "boundary-trim",
        "boundary-extend",
        "gwp-recharacterize",
        "declared-unit-rescale",
        "validity-cap",
    ]
    plan.steps.sort(key=lambda s: order.index(s[0]))
    return plan


def convert_to_profile(record: dict[str, Any], profile: Profile | str) -> Conversion:
    """Carry ``record`` into ``profile``'s terms, or raise ``mapping.conversion_impossible`` listing every reason.

    The label is read with the target profile's tolerances.
    """
    target = as_profile(profile)
    fp = Footprint.from_label(record, stage_tolerance=target.stage_tolerance, gas_tolerance=target.gas_tolerance)
    plan = plan_conversion(fp, target)
    if plan.impossible:
        error = MappingError(
            f"cannot convert to {target.id} v{target.version}: " + "; ".join(plan.impossible),
            code="mapping.conversion_impossible",
            field="profile",
        )
        error.reasons = list(plan.impossible)  # type: ignore[attr-defined]
        raise error
    conv = begin(fp)
    for name, params in plan.steps:
        conv = run_step(conv, name, params)
    return Conversion(conv.footprint, conv.trail, conv.approximate, conv.reasons, plan.open)
