"""Published orderings, weakest first, used by recognition conditions (`at_least`) and by diff.

The orderings themselves are vocabularies (:mod:`mapping.vocabulary`); this module names them and ranks a value.
"""

from __future__ import annotations

from .errors import MappingError
from .vocabulary import BOUNDARIES, GWP_SETS, VERIFICATION_LEVELS

ORDERINGS: dict[str, tuple[str, ...]] = {
    "gwp_sets": GWP_SETS,
    "boundaries": BOUNDARIES,
    "verification_levels": VERIFICATION_LEVELS,
}
_ALIASES = {
    "gwp_set": "gwp_sets",
    "gwp": "gwp_sets",
    "boundary": "boundaries",
    "verification_level": "verification_levels",
    "verification": "verification_levels",
}


def rank(ordering_name: str, value: str) -> int:
    """Position of ``value`` in the ordering ``ordering_name`` (0 = weakest).

    ``ordering_name`` is ``gwp_sets``, ``boundaries`` or ``verification_levels`` (case-insensitive; the
    constant names ``GWP_SETS`` etc. and the singular forms are accepted too).
    """
    key = ordering_name.strip().lower().replace("-", "_")
    try:
        ordering = ORDERINGS[_ALIASES.get(key, key)]
    except KeyError:
        raise MappingError(
            f"no ordering named {ordering_name!r} (known: {', '.join(ORDERINGS)})",
            code="mapping.unknown_ordering",
            field="ordering_name",
        ) from None
    try:
        return ordering.index(value)
    except ValueError:
        raise MappingError(
            f"{value!r} is not in ordering {ordering_name} ({', '.join(ordering)})",
            code="mapping.unknown_value",
            field="value",
        ) from None


__all__ = ["BOUNDARIES", "GWP_SETS", "ORDERINGS", "VERIFICATION_LEVELS", "rank"]
