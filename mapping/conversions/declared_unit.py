"""Declared-unit rescaling (``declared-unit-rescale``): the footprint per another amount or unit.

Every per-declared-unit quantity (totals, stage masses, kWh, packaging, biogenic quantities) scales by the same
factor k; piece ↔ kilogram needs a product mass, and no other pair of units has a bridging quantity.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, Inexact, localcontext
from typing import Any

from ..errors import MappingError
from ..footprint import Footprint
from ..quantities import CONTEXT, parse_decimal, plain
from ..vocabulary import DECLARED_UNITS
from .trail import Conversion, Source, begin, extend, trail_step


def _scale(fp: Footprint, k: Decimal, **changes: Any) -> Footprint:
    with localcontext(CONTEXT):
        return fp.with_changes(
            pcf_excluding=fp.pcf_excluding * k,
            pcf_including=fp.pcf_including * k,
            stages={s: st.scaled(k) for s, st in fp.stages.items()},
            electricity=tuple(replace(sp, kwh=sp.kwh * k) for sp in fp.electricity),
            electricity_delta=fp.electricity_delta * k,
            electricity_delta_unstaged=fp.electricity_delta_unstaged * k,
            module_d=None if fp.module_d is None else fp.module_d.scaled(k),
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
    step = trail_step("declared-unit-rescale", fp, after, inputs=inputs, steps=lines, exact=exact)
    if not exact:
        step["note"] = "a division did not terminate: rounded to 28 significant digits, reported to 0.0001"
    return extend(prior, after, step, [])


__all__ = ["rescale_declared_unit"]
