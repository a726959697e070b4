"""Biogenic inclusion and exclusion (``biogenic-include``, ``biogenic-exclude``): which stated total is the value.

Both totals (including and excluding biogenic CO2 uptake) are on every label, so this only switches the headline.
"""

from __future__ import annotations

from ..errors import MappingError
from ..quantities import plain
from .trail import Conversion, Source, begin, extend, trail_step


def set_biogenic(source: Source, include: bool) -> Conversion:
    """Make the total including (``include=True``) or excluding biogenic CO2 uptake the footprint value."""
    prior = begin(source)
    fp = prior.footprint
    if not isinstance(include, bool):
        raise MappingError("include must be true or false", code="mapping.bad_params", field="include")
    after = fp.with_changes(headline="including" if include else "excluding")
    which = "pcfIncludingBiogenicUptake" if include else "pcfExcludingBiogenicUptake"
    step = trail_step(
        "biogenic-include" if include else "biogenic-exclude",
        fp,
        after,
        inputs={"include_biogenic_uptake": include},
        steps=[f"pcf' = {which} = {plain(after.pcf)}"],
    )
    return extend(prior, after, step, [])


__all__ = ["set_biogenic"]
