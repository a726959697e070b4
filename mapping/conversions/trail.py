"""A conversion's result and its trail: the converted footprint, every step taken, and what made it approximate.

Conversions chain: each conversion function accepts a :class:`Footprint` or a :class:`Conversion` (a
:data:`Source`) and returns a :class:`Conversion` whose trail is the earlier trail plus its own step. Each step
(:func:`trail_step`) records its inputs, the factors it used with their sources, its result, the arithmetic
(28 significant digits, half-even rounding; reported kgCO2e quantized to 0.0001) and the reasons it is
approximate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..footprint import Footprint
from ..quantities import CO2E_UNIT, QUANTUM, arithmetic_note, fmt, plain


@dataclass(frozen=True)
class Conversion:
    """``footprint`` after every step in ``trail``; ``reasons`` says why the value is approximate.

    ``needs_agreement`` lists dimensions that arithmetic could not settle (filled by ``convert_to_profile``):
    they do not change the value, they condition its recognition.
    """

    footprint: Footprint
    trail: list[dict[str, Any]] = field(default_factory=list)
    approximate: bool = False
    reasons: list[str] = field(default_factory=list)
    needs_agreement: list[str] = field(default_factory=list)

    @property
    def value(self) -> Any:
        return self.footprint.pcf

    def then(self, fn: Callable[..., Conversion], *args: Any, **kwargs: Any) -> Conversion:
        """Apply another conversion to this result (the trail keeps growing)."""
        return fn(self, *args, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        fp = self.footprint
        return {
            "value": fmt(fp.pcf),
            "unit": CO2E_UNIT,
            "declared_unit": fp.declared_unit_dict(),
            "quantum": str(QUANTUM),
            "boundary": fp.boundary,
            "gwp_sets": list(fp.gwp_sets),
            "approximate": self.approximate,
            "reasons": list(self.reasons),
            "needs_agreement": list(self.needs_agreement),
            "trail": [dict(s) for s in self.trail],
            "footprint": fp.to_dict(),
        }


def begin(source: Footprint | Conversion) -> Conversion:
    """A conversion with no steps yet, or the given one."""
    if isinstance(source, Conversion):
        return source
    if isinstance(source, Footprint):
        return Conversion(footprint=source)
    raise TypeError(f"expected a Footprint or a Conversion, got {type(source).__name__}")


def extend(prior: Conversion, footprint: Footprint, step: dict[str, Any], reasons: list[str]) -> Conversion:
    """``prior`` followed by one more step that produced ``footprint``."""
    step = {**step, "approximate": bool(reasons), "reasons": list(reasons)}
    return Conversion(
        footprint=footprint,
        trail=[*prior.trail, step],
        approximate=prior.approximate or bool(reasons),
        reasons=[*prior.reasons, *reasons],
        needs_agreement=list(prior.needs_agreement),
    )


Source = Footprint | Conversion
"""What a conversion function accepts: a footprint read from a label, or an earlier conversion's result."""


def _totals(fp: Footprint) -> dict[str, str]:
    return {
        "pcf": fmt(fp.pcf),
        "pcfExcludingBiogenicUptake": fmt(fp.pcf_excluding),
        "pcfIncludingBiogenicUptake": fmt(fp.pcf_including),
        "declared_unit": f"{plain(fp.declared_amount)} {fp.declared_unit}",
        "boundary": fp.boundary,
        "gwp_sets": ",".join(fp.gwp_sets),
    }


def trail_step(name: str, before: Footprint, after: Footprint, **parts: Any) -> dict[str, Any]:
    """One trail step: ``name``, the totals before (with ``inputs``) and after, the arithmetic, and ``parts``."""
    return {
        "name": name,
        "inputs": {**_totals(before), **parts.pop("inputs", {})},
        "factors": parts.pop("factors", []),
        "steps": parts.pop("steps", []),
        "result": _totals(after),
        "arithmetic": arithmetic_note(),
        **parts,
    }


__all__ = ["Conversion", "Source", "begin", "extend", "trail_step"]
