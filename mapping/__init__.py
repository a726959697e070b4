"""The methodology domain: quantities, profiles, diff, conversions, agreements. Pure.

Public entry points (loaded on first use, so ``import mapping.errors`` stays cheap):
``mapping.diff(profile_a, profile_b) -> list[DimensionDiff]`` (mapping/differ.py) and ``DimensionDiff``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DimensionDiff", "diff"]


def __getattr__(name: str) -> Any:
    if name in ("diff", "DimensionDiff"):
        from . import differ

        return getattr(differ, name)
    raise AttributeError(f"module 'mapping' has no attribute {name!r}")
