"""Electricity re-basing (``electricity-rebase``): swap the factor of the label's electricity supplies.

pcf' = pcf − Σ kWh·EF_old + Σ kWh·EF_new. Factors always carry their source (a dataset entry); factors of
different kinds (scope, gases) are never mixed silently.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

from ..errors import MappingError
from ..footprint_parts import Factor, Supply
from ..quantities import CONTEXT, plain
from ..vocabulary import ELECTRICITY_BASES
from .trail import Conversion, Source, begin, extend, trail_step

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
    step = trail_step(
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


__all__ = ["rebase_electricity"]
