"""WBCSD PACT v3 values and conversions shared by the export and the import (pure: no I/O, no clock); which
members there are and where each goes is :mod:`mapping.pact_members`.

What is here is fixed by the PACT v3 Technical Specifications (``spec/v3/openapi.yaml`` of
``wbcsd/data-exchange-protocol``) or by this project's choice, said where it is one:

* the footprint ``id``: a UUID version 5 (RFC 4122 §4.3, SHA-1 name-based) of the label's entry id under
  :data:`FOOTPRINT_NAMESPACE`. Version 5 rather than a version 8 cut from the entry id: every UUID parser
  and validator PACT clients use accepts versions 1 to 5, while version 8 (RFC 9562) is still refused by
  some; the id only has to be stable and unique, and the entry id (a SHA-256) already is.
* dates: a label states whole days (``YYYY-MM-DD``); PACT states instants. A label's inclusive last day
  ``d`` is PACT's exclusive end ``d + 1`` at 00:00 UTC (PACT's ``referencePeriodEnd`` and
  ``validityPeriodEnd`` exclude their end).
* the decimal strings PACT writes (an optional ``+``, leading zeros) are read as the same number written
  the label's way; a binary float is never accepted.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from .errors import MappingError
from .vocabulary import DECLARED_UNITS

__all__ = [
    "CCU_CALCULATION_APPROACHES",
    "CROSS_SECTORAL_STANDARDS",
    "FOOTPRINT_NAMESPACE",
    "GEOGRAPHY_FIELDS",
    "PACT_DECLARED_UNITS",
    "PACT_GWP_SETS",
    "PROOF_EXTENSION_SPEC_VERSION",
    "REGIONS",
    "RULE_OPERATORS",
    "SPEC_VERSION",
    "STATUSES",
    "VERIFICATION_COVERAGES",
    "day_end_instant",
    "day_instant",
    "footprint_id",
    "instant",
    "instant_text",
    "pact_decimal",
    "refuse",
    "urn_part",
]

SPEC_VERSION = "3.0.0"
PROOF_EXTENSION_SPEC_VERSION = "2.0.0"
"""The Data Model Extensions specification version an extension states (``DataModelExtension.specVersion``)."""
FOOTPRINT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:carbonledger:pact:footprint")

# PACT's enumeration of crossSectoralStandards; a later revision's value is kept as it is (the spec asks hosts
# to accept values it does not list).
CROSS_SECTORAL_STANDARDS = (
    "ISO14067",
    "ISO14083",
    "ISO14040-44",
    "GHGP-Product",
    "PEF",
    "PACT-1.0",
    "PACT-2.0",
    "PACT-3.0",
)
# ipccCharacterizationFactors values with an exact label equivalent (PACT writes the IPCC report, ``AR<n>``).
PACT_GWP_SETS = ("AR4", "AR5", "AR6")
GEOGRAPHY_FIELDS = ("geographyRegionOrSubregion", "geographyCountry", "geographyCountrySubdivision")
# The enumerations of PACT v3's schema that the import checks (a value outside one breaks the schema).
# PACT's declared units: the label's (mapping.vocabulary) and two the label schema has no place for.
PACT_DECLARED_UNITS = (*DECLARED_UNITS, "hour", "megabit second")
REGIONS = (
    "Africa",
    "Americas",
    "Asia",
    "Europe",
    "Oceania",
    "Australia and New Zealand",
    "Central Asia",
    "Eastern Asia",
    "Eastern Europe",
    "Latin America and the Caribbean",
    "Melanesia",
    "Micronesia",
    "Northern Africa",
    "Northern America",
    "Northern Europe",
    "Polynesia",
    "South-eastern Asia",
    "Southern Asia",
    "Southern Europe",
    "Sub-Saharan Africa",
    "Western Asia",
    "Western Europe",
)
STATUSES = ("Active", "Deprecated")
RULE_OPERATORS = ("PEF", "EPD International", "Other")
VERIFICATION_COVERAGES = ("PCF calculation model", "PCF program", "product level")
CCU_CALCULATION_APPROACHES = ("Cut-off", "Credit")

_PACT_DECIMAL = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_INSTANT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$")


def refuse(field: str, reason: str, code: str = "pact.cannot_carry") -> MappingError:
    """The error for a value that cannot cross between a label and PACT: the field (a JSON Pointer) and why."""
    return MappingError(f"{field}: {reason}", code=code, field=field)


def footprint_id(entry_id: str) -> str:
    """Requires a label's entry id (64 hex digits). The PACT footprint id of that label (UUID v5, see above)."""
    if not re.fullmatch(r"[0-9a-f]{64}", entry_id):
        raise refuse("entry_id", f"an entry id is 64 lower-case hex digits, got {entry_id!r}", "pact.bad_entry_id")
    return str(uuid.uuid5(FOOTPRINT_NAMESPACE, entry_id))


def day_instant(day: str) -> str:
    """Requires a label date ``YYYY-MM-DD``. The PACT instant at 00:00 UTC of that day."""
    return f"{date.fromisoformat(day).isoformat()}T00:00:00Z"


def day_end_instant(day: str) -> str:
    """Requires a label date ``YYYY-MM-DD`` (an inclusive last day). PACT's exclusive end: the next day 00:00 UTC."""
    return f"{(date.fromisoformat(day) + timedelta(days=1)).isoformat()}T00:00:00Z"


def instant(value: Any, field: str) -> datetime:
    """Requires a PACT date-time (RFC 3339, whole seconds, ``Z`` or an offset). The instant, in UTC."""
    if not isinstance(value, str) or not _INSTANT.match(value):
        raise refuse(field, f"expected an RFC 3339 date-time to the second, got {value!r}", "pact.bad_value")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise refuse(field, f"{value!r} is not a real date-time", "pact.bad_value") from None


def instant_text(moment: datetime) -> str:
    """Requires an aware datetime. It written the label's way (``YYYY-MM-DDTHH:MM:SSZ``, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pact_decimal(value: Any, field: str, *, sign: str | None = None) -> str:
    """Requires a PACT decimal string. The same number as a label decimal string (no ``+``, no leading zeros);
    ``sign`` ``"nonneg"`` or ``"nonpos"`` refuses the other sign (PACT's PositiveOrZero / NegativeOrZero)."""
    if isinstance(value, bool) or not isinstance(value, str) or not _PACT_DECIMAL.match(value):
        kind = "a binary float" if isinstance(value, float) else repr(value)
        raise refuse(field, f"PACT decimals are strings such as '12.5', got {kind}", "pact.bad_value")
    number = Decimal(value)
    if (sign == "nonneg" and number < 0) or (sign == "nonpos" and number > 0):
        raise refuse(field, f"must be {'>= 0' if sign == 'nonneg' else '<= 0'}, got {value}", "pact.bad_value")
    negative = value.startswith("-") and number != 0
    digits = value.lstrip("+-")
    whole, _, frac = digits.partition(".")
    whole = whole.lstrip("0") or "0"
    text = ("-" if negative else "") + whole + (f".{frac}" if frac else "")
    if len(whole) > 18 or len(frac) > 12:
        raise refuse(field, f"{value} has more digits than a label carries (18 before, 12 after the point)")
    return text


def urn_part(text: str) -> str:
    """Requires a string. It percent-encoded for use as one colon-free part of a URN (RFC 8141 §2)."""
    return quote(text, safe="-._~!$&'()*+,;=@")
