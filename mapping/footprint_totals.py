"""The two consistency checks that tie a footprint's stage breakdown to its stated total.

The stated total is the excluding-uptake total, since stage masses are emissions:

* per-gas masses: when any stage carries gas masses, the total recomputed under the label's GWP set must be
  within ``gas_tolerance`` (default 1 % relative) of the stated total (code ``mapping.gas_total_mismatch``);
* stage breakdown: when the stages carry only already-characterized CO2e (``other_co2e_kg``), their sum must
  be within ``stage_tolerance`` (default 0.1 % relative) (code ``mapping.stage_sum_mismatch``).

A footprint declaring several GWP sets, or an EF set the table does not hold, cannot be recomputed: the check
is reported as not done, never silently passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Protocol

from .errors import MappingError
from .footprint_parts import Stage
from .quantities import CONTEXT, plain, quantize
from .vocabulary import GWP_SETS

DEFAULT_STAGE_TOLERANCE = Decimal("0.001")
DEFAULT_GAS_TOLERANCE = Decimal("0.01")


class Breakdown(Protocol):
    """What the checks read from a footprint (:class:`mapping.footprint.Footprint` has all of it)."""

    @property
    def stages(self) -> Mapping[str, Stage]: ...

    @property
    def gwp_sets(self) -> tuple[str, ...]: ...

    @property
    def gwp_set(self) -> str | None: ...

    @property
    def biogenic_rule(self) -> str: ...

    @property
    def pcf_excluding(self) -> Decimal: ...


def relative_gap(stated: Decimal, computed: Decimal) -> Decimal:
    """|stated - computed| / |stated| (0 when both are 0; the absolute gap when stated is 0)."""
    with localcontext(CONTEXT):
        gap = abs(stated - computed)
        if stated == 0:
            return gap
        return gap / abs(stated)


def check_totals(fp: Breakdown, *, stage_tolerance: Decimal, gas_tolerance: Decimal) -> tuple[str, ...]:
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


__all__ = ["DEFAULT_GAS_TOLERANCE", "DEFAULT_STAGE_TOLERANCE", "Breakdown", "check_totals", "relative_gap"]
