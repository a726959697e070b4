"""The compare page's view (issue 19 item 3): two methodology profiles' diff, summarised, differences first.

The page leads with how many dimensions fall in each of the differ's classes (:data:`mapping.differ.CLASSES`:
identical, convertible, needs an agreement, incompatible), then lists the dimensions that differ; the identical
ones, and those neither profile specifies (the differ classes them ``needs_agreement``: an agreement must say),
fold into one ``<details>`` group below, so a wall of "unspecified" rows no longer hides what differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mapping.differ import CLASSES, DimensionDiff
from mapping.profiles import Profile

from .scheme_names import profile_name

__all__ = ["compare_view", "profile_choices"]

_UNSPECIFIED = "unspecified"


def profile_choices(listed: Iterable[Profile], lang: str) -> list[dict[str, str]]:
    """One choice per profile id (the list holds every version), named in ``lang``, in the listed order."""
    out: dict[str, dict[str, str]] = {}
    for p in listed:
        out[p.id] = {"id": p.id, "label": profile_name(p, lang), "kind": p.kind}
    return list(out.values())


def diff_item(item: DimensionDiff) -> dict[str, Any]:
    a, b = item.a, item.b
    return {
        "dimension": item.dimension,
        "cls": item.cls,
        "reason": item.reason,
        "a": a,
        "b": b,
        "conversion": item.conversion,
        "needs": list(item.needs),
        "unspecified_both": a == _UNSPECIFIED and b == _UNSPECIFIED,
    }


def compare_view(items: list[DimensionDiff]) -> dict[str, Any]:
    """The diff items as the page shows them: ``counts`` (class, count) for every class in the differ's order
    (then any other class met), ``unspecified_both`` (how many neither profile specifies), ``differences`` (the
    rows that lead) and ``folded`` (identical and unspecified-on-both-sides rows, in the diff's order)."""
    rows = [diff_item(x) for x in items]
    classes = list(CLASSES)
    classes += [c for c in dict.fromkeys(r["cls"] for r in rows) if c not in classes]
    folds = [r["cls"] == "identical" or r["unspecified_both"] for r in rows]
    return {
        "rows": rows,
        "counts": [(c, sum(1 for r in rows if r["cls"] == c)) for c in classes],
        "unspecified_both": sum(1 for r in rows if r["unspecified_both"]),
        "differences": [r for r, f in zip(rows, folds, strict=True) if not f],
        "folded": [r for r, f in zip(rows, folds, strict=True) if f],
    }
