"""WBCSD PACT v3 footprints as label records ready to sign (pure: text in, records out).

A footprint PACT v3's schema accepts imports (:func:`import_with_report`). Each member is mapped to its label
field (the table of ``docs/pact-mapping.md``), carried as stated in the label's members extension (the v3
members no label field holds, :data:`~mapping.pact_members.EXTENSION_CARRIED`), or reported as not carried
with its JSON Pointer and the reason (a member v3 does not define; one the host sets): nothing is dropped
silently and no number is invented. Refused, naming the member:

* what breaks PACT v3's schema where the import reads it: a wrong type, a value outside an enumeration or a
  pattern (``pact.bad_value``), a member PACT requires (``pact.missing_field``);
* valid PACT a label cannot hold (``pact.cannot_carry``): a declared unit or GWP set the label record has no
  name for, a reference period off midnight UTC, no product classification (a label needs a category),
  more digits than a label's decimals have;
* what a label needs and PACT does not state, when :class:`ImportDefaults` does not give it
  (``pact.missing_default``): the issuing scheme, the manufacturer's country, the system boundary and, for a
  verified footprint, the assurance level. The methodology profile has a default.

No stage × gas breakdown is made up: PACT has none, so the label has no ``stages`` and says so by their
absence (conversions that need them refuse, as for any label without them).

Three sources are read (:func:`footprints_in`): a ``ListFootprints`` or ``GetFootprint`` response body
(``{"data": …}``), one footprint, or JSON lines of either.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import MappingError
from .pact_export import PROOF_EXTENSION_NAME
from .pact_fields import (
    PROOF_EXTENSION_SPEC_VERSION,
    STATUSES,
    instant,
    instant_text,
    refuse,
)
from .pact_import_pcf import captured_members, footprint_of, methodology_of, verification_of
from .pact_members import (
    CARBON_FOOTPRINT_V3,
    DRAFT_NAMES,
    EXTENSION_V3,
    HOST_FIELDS,
    LABEL_ONLY_PCF,
    MEMBERS_EXTENSION_SCHEMA,
    PRODUCT_FOOTPRINT_V3,
)
from .pact_values import (
    MemberReport,
    NotCarried,
    array,
    choice,
    item_object,
    matching,
    member_object,
    strings,
    text,
    urns,
)
from .vocabulary import DECLARED_UNITS

__all__ = [
    "LABEL_DECLARED_UNITS",
    "ImportDefaults",
    "ImportResult",
    "NotCarried",
    "footprints_in",
    "import_footprint",
    "import_with_report",
]

LABEL_DECLARED_UNITS = DECLARED_UNITS  # the label schema's declared units: one vocabulary (mapping/vocabulary.py)
_HOST_REASON = "set by the host (identity and life cycle): the label's log entry has its own"
_MAX_EXTENSIONS = 10  # the label record's pactExtensions.maxItems
_LABEL_URL_CHARS = 500  # the label record's dataSchema / documentation maxLength


@dataclass(frozen=True)
class ImportDefaults:
    """What a label states and PACT does not: given by the issuer importing the footprints."""

    scheme: str | None = None
    label_id: str | None = None
    manufacturer_country: str | None = None
    boundary: str | None = None
    profile_id: str = "pact-v3"
    profile_version: str = "1"
    verification_level: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """A footprint's label record; the members it does not hold; the v3 members it holds only as stated in its
    members extension (``pactExtensions``, :data:`~mapping.pact_members.MEMBERS_EXTENSION_SCHEMA`)."""

    label: dict[str, Any]
    not_carried: tuple[NotCarried, ...]
    in_extension: tuple[str, ...]


def footprints_in(text: str) -> list[dict[str, Any]]:
    """Requires the text of a JSON document or of JSON lines. The PACT footprints it holds, in order."""
    try:
        docs = [json.loads(text, parse_float=_no_float)]
    except json.JSONDecodeError:
        docs = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    docs.append(json.loads(line, parse_float=_no_float))
                except json.JSONDecodeError as e:
                    raise MappingError(f"line {n}: not JSON ({e.msg})", code="pact.bad_input", field=f"line {n}") from e
    out: list[dict[str, Any]] = []
    for doc in docs:
        body = doc.get("data", doc) if isinstance(doc, dict) and set(doc) == {"data"} else doc
        items = body if isinstance(body, list) else [body]
        for item in items:
            if not isinstance(item, dict):
                raise MappingError("a footprint must be a JSON object", code="pact.bad_input", field="")
            out.append(item)
    return out


def _no_float(text: str) -> Any:
    raise MappingError(f"binary float {text} in the input: PACT writes decimals as strings", code="pact.bad_input")


def import_footprint(pf: dict[str, Any], defaults: ImportDefaults) -> dict[str, Any]:
    """Requires one PACT footprint (a JSON object). Its label record only; a caller showing the importer what
    the label does not hold uses :func:`import_with_report`."""
    return import_with_report(pf, defaults).label


def import_with_report(pf: dict[str, Any], defaults: ImportDefaults) -> ImportResult:
    """Requires one PACT footprint (a JSON object). The label record it becomes and what of it the label does
    not hold (``pact.*`` errors name the member refused and why)."""
    report = MemberReport()
    _host(pf, report)
    report.unknown(pf, {*PRODUCT_FOOTPRINT_V3, *HOST_FIELDS}, "", "ProductFootprint")
    pcf = member_object(pf, "pcf", "")
    report.unknown(pcf, {*CARBON_FOOTPRINT_V3, *DRAFT_NAMES, *LABEL_ONLY_PCF}, "/pcf", "CarbonFootprint")
    for draft, name in DRAFT_NAMES.items():
        if draft in pcf and name in pcf:
            raise refuse(f"/pcf/{draft}", f"states {name} under both its v3 name and the draft's {draft}")
    needed = {
        "scheme": defaults.scheme,
        "manufacturer country": defaults.manufacturer_country,
        "boundary": defaults.boundary,
    }
    absent = [k for k, v in needed.items() if not v]
    if absent:
        raise refuse("/", f"PACT does not state the label's {', '.join(absent)}: give them", "pact.missing_default")
    profile = {"id": defaults.profile_id, "version": defaults.profile_version}
    label: dict[str, Any] = {
        "label_id": defaults.label_id or f"PACT-{text(pf, 'id', '')}",
        "scheme": defaults.scheme,
        "claim": {"type": "footprint", "basis": "gross"},  # a PACT footprint is a gross footprint
        "product": _product(pf),
        "footprint": footprint_of(pcf, defaults.boundary or "", report),
        "methodology": methodology_of(pcf, profile, report),
        "verification": verification_of(pcf, defaults.verification_level, report),
        "cites": [],
    }
    label["product"]["manufacturer"]["country"] = defaults.manufacturer_country
    _validity(pf, pcf, label)
    if "comment" in pf:
        label["comment"] = text(pf, "comment", "", empty=True)
    captured = captured_members(pcf, report)
    extensions = _extensions(pf, report, _MAX_EXTENSIONS - (1 if captured else 0))
    if captured:
        data = {"pcf": captured}
        extensions.append(
            {"specVersion": PROOF_EXTENSION_SPEC_VERSION, "dataSchema": MEMBERS_EXTENSION_SCHEMA, "data": data}
        )
    if extensions:
        label["pactExtensions"] = extensions
    return ImportResult(label, tuple(report.not_carried), tuple(report.in_extension))


def _host(pf: dict[str, Any], report: MemberReport) -> None:
    """The host's members: type-checked where v3 defines them, then reported (the log sets the label's own)."""
    if "id" in pf:
        text(pf, "id", "")
    if "specVersion" in pf:
        matching(pf, "specVersion", "", r"\d+\.\d+\.\d+(-\d{8})?")
    if "created" in pf:
        text(pf, "created", "")
    if "status" in pf:
        choice(pf, "status", "", STATUSES)
    if "precedingPfIds" in pf:
        strings(pf, "precedingPfIds", "")
    for key in HOST_FIELDS:
        if key in pf:
            report.drop(f"/{key}", _HOST_REASON)


def _product(pf: dict[str, Any]) -> dict[str, Any]:
    product: dict[str, Any] = {"name": text(pf, "productNameCompany", "")}
    description = text(pf, "productDescription", "", empty=True)
    if description:
        product["description"] = description
    ids = urns(pf, "productIds", "")
    product["productIds"] = ids
    gtins = [u.split(":", 2)[2] for u in ids if u.lower().startswith("urn:gtin:")]
    if gtins:
        product["ids"] = [{"system": "gtin", "value": g} for g in gtins]
    if "productClassifications" not in pf:
        raise refuse("/productClassifications", "a label needs a product category and the footprint states none")
    classes = urns(pf, "productClassifications", "")
    product["productClassifications"] = classes
    cpc = "urn:pact:productclassification:un-cpc:"
    first = next((c for c in classes if c.lower().startswith(cpc)), None)
    product["category"] = (
        {"system": "cpc", "code": first[len(cpc) :]} if first else {"system": "other", "code": classes[0]}
    )
    product["manufacturer"] = {"name": text(pf, "companyName", ""), "companyIds": urns(pf, "companyIds", "")}
    return product


def _extensions(pf: dict[str, Any], report: MemberReport, room: int) -> list[dict[str, Any]]:
    """The footprint's data model extensions a label holds (at most ``room``); the others reported."""
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(array(pf, "extensions", "")):
        at = f"/extensions/{i}"
        ext = item_object(raw, at)
        for name in ("specVersion", "dataSchema", "data"):
            if name not in ext:
                raise refuse(f"{at}/{name}", "PACT requires it", "pact.missing_field")
        text(ext, "specVersion", at)
        text(ext, "dataSchema", at)
        member_object(ext, "data", at)
        if "documentation" in ext:
            text(ext, "documentation", at)
        report.unknown(ext, EXTENSION_V3, at, "DataModelExtension")
        why = _unheld_extension(ext)
        if why is None and len(out) >= room:
            why = f"a label holds at most {_MAX_EXTENSIONS} extensions, its own members extension among them"
        if why is None:
            out.append({k: ext[k] for k in EXTENSION_V3 if k in ext})
        else:
            report.drop(at, why)
    return out


def _unheld_extension(ext: dict[str, Any]) -> str | None:
    schema = ext["dataSchema"]
    if PROOF_EXTENSION_NAME in schema:
        return "a carbonledger ledger proof: the log makes the new label's own"
    if schema == MEMBERS_EXTENSION_SCHEMA:
        return "carbonledger's members extension is made by the import from pcf, never taken from a footprint"
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", ext["specVersion"]):
        return f"a label holds an extension's specVersion as major.minor.patch, not {ext['specVersion']!r}"
    if len(schema) > _LABEL_URL_CHARS or len(ext.get("documentation", "")) > _LABEL_URL_CHARS:
        return f"a label holds an extension's URLs up to {_LABEL_URL_CHARS} characters"
    return None


def _validity(pf: dict[str, Any], pcf: dict[str, Any], label: dict[str, Any]) -> None:
    # No validity period stated: PACT's default is 3 years from the reference period's end.
    start = instant(pf["validityPeriodStart"], "/validityPeriodStart") if "validityPeriodStart" in pf else None
    if start is None:
        start = instant(pcf["referencePeriodEnd"], "/pcf/referencePeriodEnd")
    end = instant(pf["validityPeriodEnd"], "/validityPeriodEnd") if "validityPeriodEnd" in pf else None
    if end is None:
        d = start.date()
        end = datetime(d.year + 3, d.month, 28 if (d.month, d.day) == (2, 29) else d.day, tzinfo=UTC)
    if end <= start:
        raise refuse("/validityPeriodEnd", "must be after validityPeriodStart", "pact.bad_value")
    label["issued_at"] = start.date().isoformat()
    label["valid_until"] = (end - timedelta(seconds=1)).date().isoformat()
    if start.time() != datetime.min.time():
        label["validityPeriodStart"] = instant_text(start)
    if end.time() != datetime.min.time():
        label["validityPeriodEnd"] = instant_text(end)
