"""The conversion registry: stable names for the conversions, and running named steps in order.

Names are stable (agreement terms name them, and terms are signed): :data:`CONVERSIONS`. A plan of steps is
read whole before it runs: a re-basing (:data:`REBASES`) followed by a step that depends on stages
(:data:`NEEDS_STAGES`, a boundary trim) runs with ``stages_required``, so it refuses a supply that states no
life-cycle stage (``mapping.supply_stage_unknown``) instead of leaving the trim an adjustment it cannot place.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from ..errors import MappingError
from ..footprint import Footprint
from ..footprint_totals import DEFAULT_GAS_TOLERANCE, DEFAULT_STAGE_TOLERANCE
from .biogenic import set_biogenic
from .boundary import extend_boundary, trim_boundary
from .declared_unit import rescale_declared_unit
from .electricity import rebase_electricity, rebase_use_stage
from .gwp_recharacterization import recharacterize_gwp
from .trail import Conversion, Source, begin
from .validity import cap_validity

CONVERSIONS: dict[str, Callable[..., Conversion]] = {
    "gwp-recharacterize": recharacterize_gwp,
    "declared-unit-rescale": rescale_declared_unit,
    "boundary-trim": trim_boundary,
    "boundary-extend": extend_boundary,
    "electricity-rebase": rebase_electricity,
    "use-stage-rebase": rebase_use_stage,
    "biogenic-include": partial(set_biogenic, include=True),
    "biogenic-exclude": partial(set_biogenic, include=False),
    "validity-cap": cap_validity,
}
REBASES = frozenset({"electricity-rebase", "use-stage-rebase"})
"""Steps that swap electricity factors, per supply and per stage."""
NEEDS_STAGES = frozenset({"boundary-trim"})
"""Steps whose result depends on which stage each earlier adjustment lies in."""


def run_step(source: Source, name: Any, params: Any, *, where: str = "") -> Conversion:
    """Run the registered conversion ``name`` with ``params`` (a dict of keyword arguments)."""
    fn = CONVERSIONS.get(name) if isinstance(name, str) else None
    if fn is None:
        raise MappingError(
            f"unknown conversion {name!r} (known: {', '.join(CONVERSIONS)})",
            code="mapping.unknown_conversion",
            field="name",
        )
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise MappingError(f"{where}params must be an object", code="mapping.bad_params", field="params")
    try:
        inspect.signature(fn).bind(source, **params)
    except TypeError as e:
        raise MappingError(f"{name}: bad params: {e}", code="mapping.bad_params", field="params") from e
    return fn(source, **params)


def apply_steps(
    record: dict[str, Any],
    steps: list[dict[str, Any]],
    *,
    stage_tolerance: Decimal = DEFAULT_STAGE_TOLERANCE,
    gas_tolerance: Decimal = DEFAULT_GAS_TOLERANCE,
) -> Conversion:
    """Read the label record and run the named steps ``[{"name": ..., "params": {...}}, ...]`` in order."""
    conv = begin(Footprint.from_label(record, stage_tolerance=stage_tolerance, gas_tolerance=gas_tolerance))
    if not isinstance(steps, list):
        raise MappingError("steps must be a list of {name, params}", code="mapping.bad_params", field="steps")
    for i, s in enumerate(steps):
        if not isinstance(s, dict):
            raise MappingError(
                f"steps/{i} must be an object {{name, params}}", code="mapping.bad_params", field=f"steps/{i}"
            )
    names = [s.get("name") for s in steps]
    for i, s in enumerate(steps):
        params = s.get("params", {})
        if names[i] in REBASES and isinstance(params, dict) and any(n in NEEDS_STAGES for n in names[i + 1 :]):
            params = {**params, "stages_required": True}
        conv = run_step(conv, s.get("name"), params, where=f"steps/{i}: ")
    return conv


__all__ = ["CONVERSIONS", "NEEDS_STAGES", "REBASES", "apply_steps", "run_step"]
