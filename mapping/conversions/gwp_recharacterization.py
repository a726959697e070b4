"""GWP re-characterization (``gwp-recharacterize``): a label's CO2e total under another IPCC GWP set.

pcf' = pcf + Σ m·(GWP_to − GWP_from), from the label's per-gas masses; never without them. The GWP values come
from a signed ``ipcc-gwp100`` dataset entry when one is supplied, else from the package table, and the trail
names which.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from ..errors import MappingError
from ..footprint import Footprint
from ..gwp import PACKAGE_SOURCE, GwpTable, check_set, factor_record, gas_ids, gwp_value
from ..quantities import CONTEXT, plain
from ..vocabulary import GWP_SETS, METHANE_FOSSIL, METHANE_UNSPLIT
from .trail import Conversion, Source, begin, extend, trail_step


def _need_masses(fp: Footprint) -> None:
    if not fp.stages or not any(st.masses for st in fp.stages.values()):
        raise MappingError(
            "the label carries no per-gas masses (footprint/stages/*/masses_kg): a CO2e total cannot be "
            "re-characterized",
            code="mapping.missing_data",
            field="/footprint/stages",
        )


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
            # Re-basing adjustments of staged supplies are already in the stages' masses and remainders.
            new_excl = new_gas_total + other + fp.electricity_delta_unstaged
            residual = fp.pcf_excluding - (new_excl - new_gas_total)
            lines.append(
                f"pcf' = Σ masses×GWP_{to_set} {plain(new_gas_total)} + other_co2e {plain(other)} "
                f"+ electricity delta (no stage) {plain(fp.electricity_delta_unstaged)} = {plain(new_excl)}"
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
    if fp.electricity_delta_unstaged:
        reasons.append(
            f"an electricity re-basing delta of {plain(fp.electricity_delta_unstaged)} kgCO2e is already "
            "characterized by its factor and is carried as is"
        )
    after = fp.with_changes(pcf_excluding=new_excl, pcf_including=new_incl, gwp_sets=(to_set,))
    step = trail_step(
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


__all__ = ["recharacterize_gwp"]
