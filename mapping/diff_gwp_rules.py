"""The diff's GWP rules: which characterisation factors A's labels use against B's, and methane's origin.

schemes.md §4.1, GWP set row: "convertible when per-gas masses are on the label: CO2e = Σ mᵢ·GWPᵢ"; needs an
agreement decision with "only a CO2e total plus a gas share; methane origin unknown; PACT mixed sets"; the EF
tables (PEF, EN 15804+A2) "are not shipped yet, so until then such a conversion is ``needs_agreement``" (§5).

A profile's GWP rule is either fixed (a list of sets) or time-dependent (``by_date``: "latest IPCC values" means
AR5 for a footprint of 2014–2021 and AR6 after): then each label is judged by its own date
(:func:`mapping.profiles.gwp_sets_required`, the reading :func:`mapping.profiles.gwp_rule_met` applies to one
footprint), never by a frozen value.
"""

from __future__ import annotations

from datetime import date

from .diff_classification import Classification, listed
from .gwp import check_set
from .profiles import Dimension, gwp_sets_required
from .vocabulary import GWP_SETS

__all__ = ["DATE_NEEDED", "MASSES_NEEDED", "gwp_sets", "methane_origin"]

MASSES_NEEDED = ["/footprint/stages/*/masses_kg", "/footprint/methane_origin", "/footprint/ipccCharacterizationFactors"]
DATE_NEEDED = ("/issued_at", "/footprint/referencePeriodEnd")
"""Where a footprint's date is read when a GWP rule depends on it."""


def _gwp_fixed(a_sets: list[str], b_sets: list[str], needs: tuple[str, ...] = ()) -> Classification:
    extra = [s for s in a_sets if s not in b_sets]
    if not extra:
        return Classification("identical", "every GWP set A allows is accepted by B")
    ipcc_b = [s for s in b_sets if s in GWP_SETS]
    if not ipcc_b or any(s not in GWP_SETS for s in extra):
        return Classification(
            "needs_agreement",
            "EF characterisation tables are not shipped (schemes.md §5): "
            f"{listed(extra)} → {listed(b_sets)} needs an agreement",
            None,
            (*MASSES_NEEDED, *needs),
        )
    check_set(ipcc_b[0])
    return Classification(
        "convertible",
        f"re-characterize {listed(extra)} → {ipcc_b[0]} from per-gas masses "
        "(approximate if methane origin is unknown or an other_co2e remainder exists)",
        "gwp-recharacterize",
        (*MASSES_NEEDED, *needs),
    )


def _rule_within(a: Dimension, b: Dimension) -> bool:
    """For every date from A's first period on, the sets A's rule requires are among those B's rule requires."""
    first = a.get("by_date")[0]["from"]
    dates = {p["from"] for p in (*a.get("by_date"), *b.get("by_date")) if p["from"] >= first}
    needs = [(gwp_sets_required(a, date.fromisoformat(d)), gwp_sets_required(b, date.fromisoformat(d))) for d in dates]
    return all(nb is not None and set(na or ()) <= set(nb) for na, nb in needs)


def gwp_sets(a: Dimension, b: Dimension) -> Classification:
    """The ``gwp_sets`` rule: fixed against fixed compares the lists; a date-dependent side is read per date."""
    rule_a, rule_b = a.get("by_date"), b.get("by_date")
    if rule_a is None and rule_b is None:
        return _gwp_fixed(a.value, b.value)
    if rule_a is not None and rule_b is not None and _rule_within(a, b):
        return Classification("identical", "for every date A's rule covers, the sets it requires meet B's rule")
    latest_b = b.value if rule_b is None else rule_b[-1]["sets"]
    if rule_a is None and all(s in latest_b for s in a.value):
        why = f"A's {listed(a.value)} is what B's rule requires from {rule_b[-1]['from']}, and no label predates it"
        return Classification("identical", why)
    v = _gwp_fixed(a.value, latest_b, DATE_NEEDED)
    why = f"the GWP set required depends on the footprint's date, so each label is judged by its date; {v.reason}"
    return Classification(v.cls, why, v.conversion, v.needs)


def methane_origin(a: Dimension, b: Dimension) -> Classification:
    """The ``methane_origin`` rule: a split B requires is met only by a split A requires (schemes.md §4.1)."""
    if a.value == b.value or a.value == "split-required":
        return Classification("identical", "A's methane data meet B's rule")
    return Classification(
        "needs_agreement",
        "B requires fossil/non-fossil methane; A's labels may not split it: a "
        "conservative rule (fossil) must be agreed",
        None,
        ("/footprint/methane_origin",),
    )
