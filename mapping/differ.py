"""Methodology diff: every dimension of two profiles, classified by what it takes to carry A's labels into B.

Classes (schemes.md §4): ``identical`` (nothing to do: same rule, or A's rule already meets B's),
``convertible`` (arithmetic from label data: names the conversion and the label fields it needs),
``needs_agreement`` (a co-signed recognition agreement must settle it) and ``incompatible`` (no honest number
can be produced). ``unspecified`` on either side is never ``identical``. diff(A, B) and diff(B, A) list the same
dimensions in the same order; their classes may differ (grave → gate is a trim, gate → grave is not). The rule for
each dimension is in :mod:`mapping.diff_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .diff_rules import CLASSES, MASSES_NEEDED, RULES, STAGES_NEEDED, Classification
from .profiles import DIMENSIONS, Dimension, Profile, as_profile


@dataclass(frozen=True)
class DimensionDiff:
    """One dimension: its class (``cls``), a one-line reason, both values, the conversion and label fields."""

    dimension: str
    cls: str
    reason: str
    a: Any
    b: Any
    conversion: str | None = None
    needs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "class": self.cls,
            "reason": self.reason,
            "a": self.a,
            "b": self.b,
            "conversion": self.conversion,
            "needs": list(self.needs),
        }


def diff_dimension(a: Dimension, b: Dimension) -> DimensionDiff:
    """Classify one dimension (A's labels carried into B's terms)."""
    if a.unspecified or b.unspecified:
        side = "A and B" if a.unspecified and b.unspecified else ("A" if a.unspecified else "B")
        reason = f"unspecified in {side} (the source is silent): an agreement must state it"
        v = Classification("needs_agreement", reason)
    else:
        v = RULES[a.name](a, b)
    return DimensionDiff(a.name, v.cls, v.reason, a.value, b.value, v.conversion, list(v.needs))


def diff(profile_a: Profile | str, profile_b: Profile | str) -> list[DimensionDiff]:
    """Every dimension of the two profiles, in :data:`mapping.profiles.DIMENSIONS` order."""
    a, b = as_profile(profile_a), as_profile(profile_b)
    return [diff_dimension(a.dimension(n), b.dimension(n)) for n in DIMENSIONS]


__all__ = ["CLASSES", "MASSES_NEEDED", "STAGES_NEEDED", "DimensionDiff", "diff", "diff_dimension"]
