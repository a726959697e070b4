"""What one diff rule concludes about one dimension: a :class:`Classification` of :data:`CLASSES`.

DESIGN §5: "each ``class`` says what it takes to carry A's labels into B's terms: identical · convertible by
arithmetic (with the conversion and the label data it needs) · needs an agreement decision · incompatible". The
rules themselves are in :mod:`mapping.diff_rules` and, for the GWP set and methane origin, in
:mod:`mapping.diff_gwp_rules`; this module holds only the verdict they share and the helpers that phrase it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .profiles import Dimension

__all__ = ["CLASSES", "Classification", "listed", "same", "worst"]

CLASSES = ("identical", "convertible", "needs_agreement", "incompatible")


@dataclass(frozen=True)
class Classification:
    """What one rule concludes: the class, a one-line reason, the conversion (if any) and the label fields it needs."""

    cls: str
    reason: str
    conversion: str | None = None
    needs: tuple[str, ...] = ()


def worst(verdicts: list[Classification]) -> Classification:
    """The verdict furthest from ``identical`` (the first of equals)."""
    return max(verdicts, key=lambda v: CLASSES.index(v.cls))


def same(a: Dimension, b: Dimension) -> bool:
    """Both dimensions state the same value and the same extra members."""
    return a.value == b.value and a.extra == b.extra


def listed(v: Any) -> str:
    """A dimension value as a reason reads it: list items and mapping members comma-separated."""
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {listed(x)}" for k, x in v.items() if x is not None)
    return str(v)
