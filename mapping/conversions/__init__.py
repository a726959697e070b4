"""Conversions: pure functions from a footprint (or an earlier conversion) to a :class:`Conversion` with a trail.

Each step records its inputs, the factors it used with their sources, its result, the arithmetic
(28 significant digits, half-even rounding; reported kgCO2e quantized to 0.0001) and the reasons it is
approximate. A conversion never invents data: missing label data raise :class:`MappingError` naming the field.
Registry names are stable (:data:`CONVERSIONS`).

One module per conversion, each with the step it writes into the trail:

* ``gwp_recharacterization`` — ``gwp-recharacterize`` (:func:`recharacterize_gwp`);
* ``declared_unit`` — ``declared-unit-rescale`` (:func:`rescale_declared_unit`);
* ``boundary`` — ``boundary-trim`` and ``boundary-extend`` (:func:`trim_boundary`, :func:`extend_boundary`);
* ``electricity`` — ``electricity-rebase`` and ``use-stage-rebase`` (:func:`rebase_electricity`,
  :func:`rebase_use_stage`: per supply and per stage; the use stage to the grid of the market of use);
* ``biogenic`` — ``biogenic-include`` and ``biogenic-exclude`` (:func:`set_biogenic`);
* ``validity`` — ``validity-cap`` (:func:`cap_validity`);

with the result and its trail in ``trail`` (:class:`Conversion`) and the registry in ``registry``
(:data:`CONVERSIONS`, :func:`run_step`, :func:`apply_steps`). Planning which conversions carry a label into a
target profile is :mod:`mapping.planner`'s job, which builds on this package (never the other way round).
"""

from __future__ import annotations

from typing import Any

from ..gwp import gwp_table_from_dataset
from .biogenic import set_biogenic
from .boundary import extend_boundary, trim_boundary
from .declared_unit import rescale_declared_unit
from .electricity import rebase_electricity, rebase_use_stage
from .gwp_recharacterization import recharacterize_gwp
from .registry import CONVERSIONS, apply_steps, run_step
from .trail import Conversion, Source
from .validity import cap_validity


def convert_to_profile(record: dict[str, Any], profile: Any) -> Conversion:
    """Plan and run the conversions that carry ``record`` into ``profile``'s terms.

    This is :func:`mapping.planner.convert_to_profile`, kept here for its callers; the planner builds on this
    package (never the other way round), so it is loaded on first use."""
    from ..planner import convert_to_profile as plan_and_convert

    return plan_and_convert(record, profile)


__all__ = [
    "CONVERSIONS",
    "Conversion",
    "Source",
    "apply_steps",
    "cap_validity",
    "convert_to_profile",
    "extend_boundary",
    "gwp_table_from_dataset",
    "rebase_electricity",
    "rebase_use_stage",
    "recharacterize_gwp",
    "rescale_declared_unit",
    "run_step",
    "set_biogenic",
    "trim_boundary",
]
