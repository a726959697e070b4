"""The diff's rules: one per methodology dimension, classifying what it takes to carry A's labels into B's terms.

Each rule reads two specified dimensions (``unspecified`` on either side is :func:`mapping.differ.diff_dimension`'s
to handle: never ``identical``) and returns a :class:`Classification` — a class of :data:`CLASSES`, a one-line
reason, the conversion that settles it and the label fields that conversion needs. :data:`RULES` holds one
rule per dimension, in :data:`mapping.profiles.DIMENSIONS` order. The GWP set and methane-origin rules are in
:mod:`mapping.diff_gwp_rules`; the verdict they all share is :mod:`mapping.diff_classification`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from .diff_classification import CLASSES, Classification
from .diff_classification import listed as _listed
from .diff_classification import same as _same
from .diff_classification import worst as _worst
from .diff_gwp_rules import MASSES_NEEDED, gwp_sets, methane_origin
from .profiles import DIMENSIONS, Dimension
from .vocabulary import BOUNDARY_STAGES, VERIFICATION_LEVELS

STAGES_NEEDED = ["/footprint/stages"]


# ---- one rule per dimension kind ------------------------------------------------------------------------
def _subset_or_agree(what: str, needs: tuple[str, ...] = ()) -> Callable[[Dimension, Dimension], Classification]:
    def rule(a: Dimension, b: Dimension) -> Classification:
        extra = [x for x in a.value if x not in b.value]
        if not extra:
            return Classification("identical", f"every {what} A allows is accepted by B")
        return Classification(
            "needs_agreement", f"B does not accept A's {what} {_listed(extra)}: an agreement must decide", None, needs
        )

    return rule


def _standards(a: Dimension, b: Dimension) -> Classification:
    if sorted(a.value) == sorted(b.value):
        return Classification("identical", "same governing standards")
    return Classification(
        "needs_agreement", "governing standards differ: recognising one under the other is a policy decision"
    )


def _claim_types(a: Dimension, b: Dimension) -> Classification:
    extra = [x for x in a.value if x not in b.value]
    if not extra:
        return Classification("identical", "every claim type A's labels make is accepted by B")
    if not [x for x in a.value if x in b.value]:
        return Classification(
            "incompatible", f"B accepts none of A's claim types ({_listed(a.value)})", None, ("/claim/type",)
        )
    return Classification(
        "needs_agreement",
        f"A's {_listed(extra)} claims are recognised as equivalent claims only by "
        "agreement; a reduction or grade is never a footprint number",
        None,
        ("/claim/type",),
    )


def _declared_unit(a: Dimension, b: Dimension) -> Classification:
    if _same(a, b):
        return Classification("identical", "same declared units")
    verdicts = []
    b_perf = bool(b.get("performance_based")) and not a.get("performance_based")
    a_perf = bool(a.get("performance_based")) and not b.get("performance_based")
    for unit in a.value:
        if unit in b.value and not b_perf and not a_perf:
            verdicts.append(Classification("identical", f"{unit} accepted as is"))
        elif b_perf or a_perf:
            side, units = ("B", b.value) if b_perf else ("A", a.value)
            verdicts.append(
                Classification(
                    "needs_agreement",
                    f"{side}'s functional unit ({_listed(units)}) implies performance (service life, cycles: "
                    "e.g. kWh delivered over the service life), which a plain declared unit does not",
                    None,
                    ("/footprint/declaredUnitOfMeasurement",),
                )
            )
        elif unit == "piece" and "kilogram" in b.value:
            verdicts.append(
                Classification(
                    "convertible",
                    "per piece → per kg from the product mass",
                    "declared-unit-rescale",
                    ("/footprint/productMassPerDeclaredUnit",),
                )
            )
        elif unit == "kilogram" and "piece" in b.value:
            verdicts.append(
                Classification(
                    "needs_agreement",
                    "per kg → per piece needs the mass of one piece, which a per-kg label does not carry",
                    "declared-unit-rescale",
                    ("product_mass_kg (supplied)",),
                )
            )
        else:
            verdicts.append(
                Classification(
                    "incompatible",
                    f"no bridging quantity from {unit} to {_listed(b.value)}",
                    None,
                    ("/footprint/declaredUnitOfMeasurement",),
                )
            )
    worst = _worst(verdicts)
    if worst.cls == "identical":
        return Classification("identical", "every declared unit A allows is accepted by B")
    return worst


def _range(boundary: str, dim: Dimension) -> tuple[frozenset[str], frozenset[str]]:
    """The stages a label under ``dim`` must hold at least and may hold at most (``boundary`` of its values)."""
    most = frozenset(s for s in BOUNDARY_STAGES[boundary] if s not in dim.get("excluded_stages", []))
    return most - frozenset(dim.get("optional_stages", [])), most


def _boundary(a: Dimension, b: Dimension) -> Classification:
    verdicts = []
    for ba in a.value:
        least_a, most_a = _range(ba, a)
        options = [(bb, *_range(bb, b)) for bb in b.value]
        if any(lb <= least_a and most_a <= mb for _, lb, mb in options):
            verdicts.append(Classification("identical", f"{ba} accepted as is"))
        elif any(lb <= least_a for _, lb, _ in options):
            target, _, most_b = next(o for o in options if o[1] <= least_a)
            dropped = sorted(most_a - most_b)
            verdicts.append(
                Classification(
                    "convertible",
                    f"{ba} → {target}: subtract stage(s) {', '.join(dropped)} from the stage breakdown",
                    "boundary-trim",
                    tuple(STAGES_NEEDED),
                )
            )
        else:
            verdicts.append(
                Classification(
                    "needs_agreement",
                    f"{ba} → {_listed(b.value)} widens the boundary: the missing "
                    "stages' data and an agreed scenario source must be supplied",
                    "boundary-extend",
                    ("stages (supplied with the request)",),
                )
            )
    if b.get("module_d") == "required" and a.get("module_d") != "required":
        why = "B requires module D (beyond the boundary, declared apart), which A's labels need not carry"
        verdicts.append(Classification("needs_agreement", why, None, ("module D (supplied with the request)",)))
    worst = _worst(verdicts)
    if worst.cls == "identical":
        return Classification("identical", "every boundary A allows is accepted by B")
    return worst


def _biogenic_headline(a: Dimension, b: Dimension) -> Classification:
    if a.value == b.value or a.value == "both-reported":
        return Classification("identical", "the total B uses is reported by A")
    if b.value == "both-reported":
        return Classification(
            "identical", "B reports both totals; every label carries both (pcfIncluding/ExcludingBiogenicUptake)"
        )
    conversion = {"including-uptake": "biogenic-include", "excluding-uptake": "biogenic-exclude"}.get(b.value)
    return Classification(
        "convertible",
        f"switch the headline to B's total ({b.value}); both totals are on the label",
        conversion or "biogenic-exclude",
        ("/footprint/pcfIncludingBiogenicUptake", "/footprint/pcfExcludingBiogenicUptake"),
    )


def _token_or_agree(what: str, needs: tuple[str, ...]) -> Callable[[Dimension, Dimension], Classification]:
    def rule(a: Dimension, b: Dimension) -> Classification:
        if _same(a, b):
            return Classification("identical", f"same {what}")
        return Classification(
            "needs_agreement",
            f"{what} differs ({_listed(a.value)} vs {_listed(b.value)}): no arithmetic settles it",
            None,
            needs,
        )

    return rule


def _electricity_basis(a: Dimension, b: Dimension) -> Classification:
    extra = [x for x in a.value if x not in b.value]
    if not extra:
        return Classification("identical", "every electricity basis A allows is accepted by B")
    return Classification(
        "convertible",
        f"re-base {_listed(extra)} electricity to {_listed(b.value)}: kWh × (EF_B − EF_A), "
        "with B's factor from a cited or agreement-pinned dataset entry",
        "electricity-rebase",
        ("/footprint/electricity/*/kwh", "/footprint/electricity/*/factor"),
    )


def _factor_kind(a: Dimension, b: Dimension) -> Classification:
    extra = [x for x in a.value if x not in b.value]
    if not extra:
        return Classification("identical", "every factor kind A allows is accepted by B")
    return Classification(
        "needs_agreement",
        f"factor kinds {_listed(extra)} are not B's ({_listed(b.value)}): scopes are "
        "never mixed silently; re-basing across kinds needs an agreement (allow_mixed_kinds)",
        "electricity-rebase",
        ("/footprint/electricity/*/factor/kind",),
    )


def _allocation(a: Dimension, b: Dimension) -> Classification:
    if a.value["rules"] == b.value["rules"]:
        return Classification("identical", "same allocation rules in the same order")
    if b.value["normative"] and b.value["rules"][0] not in a.value["rules"]:
        return Classification(
            "incompatible",
            f"B's {b.value['rules'][0]} rule is normative and labels carry no inventory data to re-allocate",
            None,
            ("/footprint/allocation",),
        )
    return Classification(
        "needs_agreement",
        "allocation rules differ: accept within an agreed tolerance or require a stated rule",
        None,
        ("/footprint/allocation",),
    )


def _cut_off(a: Dimension, b: Dimension) -> Classification:
    la, lb = a.value["max_exempted_percent"], b.value["max_exempted_percent"]
    if lb is None:
        return Classification("identical", "B sets no fixed limit on exempted emissions")
    if la is not None and Decimal(la) <= Decimal(lb):
        return Classification("identical", f"A's limit {la}% is within B's {lb}%")
    return Classification(
        "needs_agreement",
        f"accept a label only if its exempted share is ≤ B's {lb}%; missing emissions are never added",
        None,
        ("/footprint/exemptedEmissionsPercent",),
    )


def _primary_data(a: Dimension, b: Dimension) -> Classification:
    if _same(a, b) or (a.value["required"] and not b.value["required"]):
        return Classification("identical", "A's primary-data rule meets B's")
    return Classification(
        "needs_agreement",
        "B's primary-data rule is stricter: compare each label's share",
        None,
        ("/footprint/primaryDataShare",),
    )


def _verification(a: Dimension, b: Dimension) -> Classification:
    va, vb = a.value, b.value
    problems = []
    if vb["third_party"] and not va["third_party"]:
        problems.append("B requires third-party verification, A does not")
    la, lb = va["min_level"], vb["min_level"]
    if "unspecified" in (la, lb):
        if la != lb or la == "unspecified":
            problems.append("a minimum assurance level is unspecified")
    elif VERIFICATION_LEVELS.index(la) < VERIFICATION_LEVELS.index(lb):
        problems.append(f"B requires at least {lb} assurance, A {la}")
    if not problems:
        return Classification("identical", "A's verification rule meets B's")
    return Classification(
        "needs_agreement",
        "; ".join(problems) + ": recognise verifiers and levels by agreement",
        None,
        ("/verification/level", "/verification/body"),
    )


def _validity(a: Dimension, b: Dimension) -> Classification:
    ya, yb = a.value.get("years"), b.value.get("years")
    if yb is None:
        return Classification("identical", "B sets no validity period")
    if ya is not None and a.value.get("from") == b.value.get("from") and ya <= yb:
        return Classification("identical", f"A's {ya} years fit within B's {yb}")
    anchor = b.value.get("from", "referencePeriodEnd")
    pointer = "/issued_at" if anchor == "issued_at" else "/footprint/referencePeriodEnd"
    return Classification(
        "convertible",
        f"recognised validity = min(label expiry, {anchor} + {yb} years)",
        "validity-cap",
        (pointer, "/valid_until"),
    )


RULES: dict[str, Callable[[Dimension, Dimension], Classification]] = {
    "standards": _standards,
    "claim_types": _claim_types,
    "declared_unit": _declared_unit,
    "boundary": _boundary,
    "gwp_sets": gwp_sets,
    "methane_origin": methane_origin,
    "biogenic_method": _subset_or_agree("biogenic method", ("/footprint/biogenic",)),
    "biogenic_headline": _biogenic_headline,
    "land_use_change": _token_or_agree("land-use change rule", ("/footprint/biogenic/dlucGhgEmissions",)),
    "packaging": _token_or_agree("packaging rule", ("/footprint/packagingGhgEmissions",)),
    "electricity_basis": _electricity_basis,
    "electricity_factor_kind": _factor_kind,
    "allocation": _allocation,
    "cut_off": _cut_off,
    "primary_data": _primary_data,
    "data_quality": _token_or_agree("data-quality method", ("/footprint/dqi",)),
    "verification": _verification,
    "validity": _validity,
}
assert tuple(RULES) == DIMENSIONS


__all__ = ["CLASSES", "MASSES_NEEDED", "RULES", "STAGES_NEEDED", "Classification"]
