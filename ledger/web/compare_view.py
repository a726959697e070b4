"""The compare page's view (issue 19 item 3): two methodology profiles' diff, summarised, differences first.

The page leads with how many dimensions fall in each of the differ's classes (:data:`mapping.differ.CLASSES`:
identical, convertible, needs an agreement, incompatible), then lists the dimensions that differ; the identical
ones, and those neither profile specifies (the differ classes them ``needs_agreement``: an agreement must say),
fold into one ``<details>`` group below, so a wall of "unspecified" rows no longer hides what differs.

The mapping layer is looked up when a page is asked for, so a build without it shows the page saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .scheme_names import profile_name

__all__ = ["compare_view", "mapping_api", "profile_choices"]

_UNSPECIFIED = "unspecified"


def mapping_api() -> tuple[Callable[[str], Any], Callable[[], Any], Callable[[Any, Any], Any]] | None:
    """The mapping layer's profile and diff functions, or None when this build lacks them."""
    try:
        from mapping import differ, profiles
    except ImportError:
        return None
    diff = getattr(differ, "diff", None)
    if diff is None or not hasattr(profiles, "get_profile") or not hasattr(profiles, "list_profiles"):
        return None
    return profiles.get_profile, profiles.list_profiles, diff


def profile_choices(listed: Any, lang: str) -> list[dict[str, str]]:
    """One choice per profile id (the list holds every version), named in ``lang``, in the listed order."""
    out: dict[str, dict[str, str]] = {}
    for p in listed:
        pid = p if isinstance(p, str) else str(getattr(p, "id", p))
        name = pid if isinstance(p, str) else profile_name(p, lang)
        out[pid] = {"id": pid, "label": name, "kind": str(getattr(p, "kind", "") or "")}
    return list(out.values())


def diff_item(item: Any) -> dict[str, Any]:
    cls = getattr(item, "cls", "")
    a, b = getattr(item, "a", None), getattr(item, "b", None)
    return {
        "dimension": str(getattr(item, "dimension", "")),
        "cls": str(getattr(cls, "value", cls)),
        "reason": getattr(item, "reason", "") or "",
        "a": a,
        "b": b,
        "conversion": getattr(item, "conversion", None),
        "needs": list(getattr(item, "needs", None) or []),
        "unspecified_both": a == _UNSPECIFIED and b == _UNSPECIFIED,
    }


def _classes() -> tuple[str, ...]:
    try:
        from mapping import differ
    except ImportError:
        return ()
    return tuple(getattr(differ, "CLASSES", ()))


def compare_view(items: list[Any]) -> dict[str, Any]:
    """The diff items as the page shows them: ``counts`` (class, count) for every class in the differ's order
    (then any other class met), ``unspecified_both`` (how many neither profile specifies), ``differences`` (the
    rows that lead) and ``folded`` (identical and unspecified-on-both-sides rows, in the diff's order)."""
    rows = [diff_item(x) for x in items]
    classes = list(_classes())
    classes += [c for c in dict.fromkeys(r["cls"] for r in rows) if c not in classes]
    folds = [r["cls"] == "identical" or r["unspecified_both"] for r in rows]
    return {
        "rows": rows,
        "counts": [(c, sum(1 for r in rows if r["cls"] == c)) for c in classes],
        "unspecified_both": sum(1 for r in rows if r["unspecified_both"]),
        "differences": [r for r, f in zip(rows, folds, strict=True) if not f],
        "folded": [r for r, f in zip(rows, folds, strict=True) if f],
    }
