"""The validity cap (``validity-cap``): valid_until' = min(valid_until, anchor + years)."""

from __future__ import annotations

from datetime import MAXYEAR, date

from ..errors import MappingError
from .trail import Conversion, Source, begin, extend, trail_step


def _add_years(d: date, years: int) -> date:
    year = d.year + years
    if year > MAXYEAR:
        raise MappingError(
            f"{d} + {years} years is past the year {MAXYEAR}, the last a date can name",
            code="mapping.bad_params",
            field="years",
        )
    try:
        return d.replace(year=year)
    except ValueError:  # 29 February into a non-leap year
        return d.replace(year=year, day=28)


def cap_validity(source: Source, years: int, *, anchor: str = "referencePeriodEnd") -> Conversion:
    """valid_until' = min(valid_until, anchor + years); anchor is ``referencePeriodEnd`` or ``issued_at``."""
    prior = begin(source)
    fp = prior.footprint
    if isinstance(years, bool) or not isinstance(years, int) or years <= 0:
        raise MappingError("years must be a positive integer", code="mapping.bad_params", field="years")
    if anchor == "referencePeriodEnd":
        start = fp.reference_period[1] if fp.reference_period else None
        pointer = "/footprint/referencePeriodEnd"
    elif anchor == "issued_at":
        start, pointer = fp.issued_at, "/issued_at"
    else:
        raise MappingError(f"unknown validity anchor {anchor!r}", code="mapping.unknown_value", field="anchor")
    if start is None:
        raise MappingError(f"the label has no {anchor}", code="mapping.missing_data", field=pointer)
    try:
        anchor_day = date.fromisoformat(start)
    except (TypeError, ValueError):
        raise MappingError(
            f"{pointer} must be a real date YYYY-MM-DD, got {start!r}", code="mapping.bad_date", field=pointer
        ) from None
    cap = _add_years(anchor_day, years).isoformat()
    new = cap if fp.valid_until is None or cap < fp.valid_until else fp.valid_until
    after = fp.with_changes(valid_until=new)
    step = trail_step(
        "validity-cap",
        fp,
        after,
        inputs={"anchor": anchor, "anchor_date": start, "years": years, "valid_until": fp.valid_until},
        steps=[f"valid_until' = min({fp.valid_until}, {start} + {years} years = {cap}) = {new}"],
    )
    step["result"]["valid_until"] = new
    return extend(prior, after, step, [])


__all__ = ["cap_validity"]
