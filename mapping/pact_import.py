"""WBCSD PACT v3 footprints as label records ready to sign (pure: text in, records out).

Every member of a footprint is either carried (the table of ``docs/pact-mapping.md``) or refused with its
JSON Pointer and the reason; nothing is dropped silently and no number is invented. In particular no stage
× gas breakdown is made up: PACT has none, so the label has no ``stages`` and says so by their absence
(conversions that need them refuse, as for any label without them). What PACT does not state but a label
must — the issuing scheme, the manufacturer's country, the system boundary, the methodology profile and,
when the footprint was verified, the assurance level — comes from :class:`ImportDefaults`, and is refused
when not given.

Three sources are read (:func:`footprints_in`): a ``ListFootprints`` or ``GetFootprint`` response body
(``{"data": …}``), one footprint, or JSON lines of either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .errors import MappingError
from .pact_export import PROOF_EXTENSION_NAME
from .pact_fields import (
    CARRIED_DECIMALS,
    CARRIED_TEXTS,
    DQI_KEYS,
    DRAFT_NAMES,
    GEOGRAPHY_FIELDS,
    HOST_FIELDS,
    PACT_GWP_SETS,
    instant,
    instant_text,
    pact_decimal,
    refuse,
)
from .vocabulary import DECLARED_UNITS

__all__ = ["LABEL_DECLARED_UNITS", "ImportDefaults", "footprints_in", "import_footprint"]

LABEL_DECLARED_UNITS = DECLARED_UNITS  # the label schema's declared units: one vocabulary (mapping/vocabulary.py)
_NONPOSITIVE = ("landManagementBiogenicCO2Removals",)
_FOOTPRINT_MEMBERS = {
    *HOST_FIELDS,
    "validityPeriodStart",
    "validityPeriodEnd",
    "companyName",
    "companyIds",
    "productDescription",
    "productIds",
    "productClassifications",
    "productNameCompany",
    "comment",
    "pcf",
    "extensions",
}
_PCF_MEMBERS = {
    "declaredUnitOfMeasurement",
    "declaredUnitAmount",
    "productMassPerDeclaredUnit",
    "referencePeriodStart",
    "referencePeriodEnd",
    *DRAFT_NAMES,
    *DRAFT_NAMES.values(),
    *GEOGRAPHY_FIELDS,
    *CARRIED_DECIMALS,
    *CARRIED_TEXTS,
    "packagingEmissionsIncluded",
    "ipccCharacterizationFactors",
    "crossSectoralStandards",
    "productOrSectorSpecificRules",
    "secondaryEmissionFactorSources",
    "exemptedEmissionsPercent",
    "primaryDataShare",
    "dqi",
    "verification",
}
_VERIFICATION_MEMBERS = ("coverage", "providerName", "completedAt", "standardName", "comments")


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
    """Requires one PACT footprint (a JSON object). The label record it becomes (``pact.*`` errors name the
    member that cannot be carried and why)."""
    for key in pf:
        if key not in _FOOTPRINT_MEMBERS:
            raise refuse(f"/{key}", "not a member of PACT v3's ProductFootprint, so nothing in a label carries it")
    pcf = _object(pf, "pcf", "")
    for key in pcf:
        if key not in _PCF_MEMBERS:
            raise refuse(f"/pcf/{key}", "not a member of PACT v3's CarbonFootprint, so nothing in a label carries it")
    needed = {
        "scheme": defaults.scheme,
        "manufacturer country": defaults.manufacturer_country,
        "boundary": defaults.boundary,
    }
    absent = [k for k, v in needed.items() if not v]
    if absent:
        raise refuse("/", f"PACT does not state the label's {', '.join(absent)}: give them", "pact.missing_default")
    label: dict[str, Any] = {
        "label_id": defaults.label_id or f"PACT-{_text(pf, 'id', '')}",
        "scheme": defaults.scheme,
        "claim": {"type": "footprint", "basis": "gross"},  # a PACT footprint is a gross footprint
        "product": _product(pf),
        "footprint": _footprint(pcf, defaults.boundary or ""),
        "methodology": _methodology(pcf, defaults),
        "verification": _verification(pcf, defaults.verification_level),
        "cites": [],
    }
    label["product"]["manufacturer"]["country"] = defaults.manufacturer_country
    _validity(pf, pcf, label)
    if "comment" in pf:
        label["comment"] = _text(pf, "comment", "", empty=True)
    extensions = [e for e in _list(pf, "extensions", "") if not _is_proof(e)]
    if extensions:
        label["pactExtensions"] = extensions
    return label


def _is_proof(ext: Any) -> bool:
    return isinstance(ext, dict) and PROOF_EXTENSION_NAME in str(ext.get("dataSchema", ""))


def _product(pf: dict[str, Any]) -> dict[str, Any]:
    product: dict[str, Any] = {"name": _text(pf, "productNameCompany", "")}
    description = _text(pf, "productDescription", "", empty=True)
    if description:
        product["description"] = description
    ids = _urns(pf, "productIds", "")
    product["productIds"] = ids
    gtins = [u.split(":", 2)[2] for u in ids if u.lower().startswith("urn:gtin:")]
    if gtins:
        product["ids"] = [{"system": "gtin", "value": g} for g in gtins]
    if "productClassifications" not in pf:
        raise refuse("/productClassifications", "a label needs a product category and the footprint states none")
    classes = _urns(pf, "productClassifications", "")
    product["productClassifications"] = classes
    cpc = "urn:pact:productclassification:un-cpc:"
    first = next((c for c in classes if c.lower().startswith(cpc)), None)
    product["category"] = (
        {"system": "cpc", "code": first[len(cpc) :]} if first else {"system": "other", "code": classes[0]}
    )
    product["manufacturer"] = {"name": _text(pf, "companyName", ""), "companyIds": _urns(pf, "companyIds", "")}
    return product


def _footprint(pcf: dict[str, Any], boundary: str) -> dict[str, Any]:
    f = "/pcf"
    unit = _text(pcf, "declaredUnitOfMeasurement", f)
    if unit not in LABEL_DECLARED_UNITS:
        raise refuse(f"{f}/declaredUnitOfMeasurement", f"a label has no declared unit {unit!r}")
    excluding = _total(pcf, "pcfExcludingBiogenicUptake")
    fp: dict[str, Any] = {
        "pcf": {"value": excluding, "unit": "kgCO2e"},  # stated emissions total, as a label's headline
        "declaredUnitOfMeasurement": unit,
        "declaredUnitAmount": _decimal(pcf, "declaredUnitAmount", f, "nonneg"),
        "boundary": boundary,
        "pcfExcludingBiogenicUptake": excluding,
        "pcfIncludingBiogenicUptake": _total(pcf, "pcfIncludingBiogenicUptake"),
        "ipccCharacterizationFactors": _gwp_sets(pcf),
        "referencePeriodStart": _day(pcf, "referencePeriodStart", exclusive=False),
        "referencePeriodEnd": _day(pcf, "referencePeriodEnd", exclusive=True),
    }
    if "productMassPerDeclaredUnit" in pcf:
        fp["productMassPerDeclaredUnit"] = _decimal(pcf, "productMassPerDeclaredUnit", f, "nonneg")
    for name in GEOGRAPHY_FIELDS:
        if name in pcf:
            fp[name] = _text(pcf, name, f)
    for name in CARRIED_DECIMALS:
        if name in pcf:
            fp[name] = _decimal(pcf, name, f, "nonpos" if name in _NONPOSITIVE else "nonneg")
    uptake = [n for n in ("biogenicCO2Withdrawal", "biogenicCO2Uptake") if n in pcf]
    if len(uptake) == 2:
        raise refuse(f"{f}/biogenicCO2Uptake", "states the uptake under both of its names")
    if uptake:
        fp["biogenicCO2Uptake"] = _decimal(pcf, uptake[0], f, "nonpos")
    if "packagingEmissionsIncluded" in pcf:
        if not isinstance(pcf["packagingEmissionsIncluded"], bool):
            raise refuse(f"{f}/packagingEmissionsIncluded", "must be true or false", "pact.bad_value")
        fp["packagingEmissionsIncluded"] = pcf["packagingEmissionsIncluded"]
    for name in CARRIED_TEXTS:
        if name in pcf:
            fp[name] = _text(pcf, name, f, empty=True)
    if "secondaryEmissionFactorSources" in pcf:
        fp["secondaryEmissionFactorSources"] = [
            {
                "name": _text(s, "name", f"{f}/secondaryEmissionFactorSources/{i}"),
                "version": _text(s, "version", f"{f}/secondaryEmissionFactorSources/{i}"),
            }
            for i, s in enumerate(_list(pcf, "secondaryEmissionFactorSources", f))
        ]
    fp["exemptedEmissionsPercent"] = _percent(pcf, "exemptedEmissionsPercent")
    if "primaryDataShare" in pcf:
        fp["primaryDataShare"] = _percent(pcf, "primaryDataShare")
    if "dqi" in pcf:
        dqi = _object(pcf, "dqi", f)
        for key in dqi:
            if key not in DQI_KEYS:
                raise refuse(f"{f}/dqi/{key}", f"not one of PACT v3's ratings ({', '.join(DQI_KEYS)})")
        fp["dqi"] = {k: _decimal(dqi, k, f"{f}/dqi", "nonneg") for k in dqi}
    return fp


def _methodology(pcf: dict[str, Any], defaults: ImportDefaults) -> dict[str, Any]:
    standards = _list(pcf, "crossSectoralStandards", "/pcf")
    for i, s in enumerate(standards):
        if not isinstance(s, str) or not s:
            raise refuse(f"/pcf/crossSectoralStandards/{i}", "must be a non-empty string", "pact.bad_value")
    if not standards:
        raise refuse("/pcf/crossSectoralStandards", "PACT requires at least one standard", "pact.bad_value")
    meth: dict[str, Any] = {
        "standards": list(standards),
        "crossSectoralStandards": list(standards),
        "profile": {"id": defaults.profile_id, "version": defaults.profile_version},
    }
    if "productOrSectorSpecificRules" in pcf:
        rules = []
        for i, rule in enumerate(_list(pcf, "productOrSectorSpecificRules", "/pcf")):
            at = f"/pcf/productOrSectorSpecificRules/{i}"
            r = _object({"r": rule}, "r", at)
            for key in r:
                if key not in ("operator", "ruleNames", "otherOperatorName"):
                    raise refuse(f"{at}/{key}", "not a member of PACT's ProductOrSectorSpecificRule")
            out = {"operator": _text(r, "operator", at), "ruleNames": [str(n) for n in _list(r, "ruleNames", at)]}
            if "otherOperatorName" in r:
                out["otherOperatorName"] = _text(r, "otherOperatorName", at)
            rules.append(out)
        meth["productOrSectorSpecificRules"] = rules
    return meth


def _verification(pcf: dict[str, Any], level: str | None) -> dict[str, Any]:
    if "verification" not in pcf:  # not verified: whatever level was offered does not apply
        return {"level": "none"}
    v = _object(pcf, "verification", "/pcf")
    pact: dict[str, Any] = {}
    for key, value in v.items():
        if key not in _VERIFICATION_MEMBERS:
            raise refuse(f"/pcf/verification/{key}", "not a member of PACT's Verification")
        at = f"/pcf/verification/{key}"
        pact[key] = (
            instant_text(instant(value, at)) if key == "completedAt" else _text(v, key, "/pcf/verification", empty=True)
        )
    stated = bool(pact.get("providerName") or pact.get("completedAt") or pact.get("coverage"))
    if stated and level is None:
        raise refuse(
            "/pcf/verification",
            "the footprint was verified but PACT states no assurance level; give limited or reasonable",
            "pact.missing_default",
        )
    return {"level": level or "none", "pact": pact}


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


def _day(pcf: dict[str, Any], name: str, *, exclusive: bool) -> str:
    moment = instant(pcf.get(name), f"/pcf/{name}")
    if moment.time() != datetime.min.time():
        raise refuse(f"/pcf/{name}", f"{pcf[name]} is not 00:00 UTC: a label's reference period is whole days")
    day: date = moment.date() - timedelta(days=1) if exclusive else moment.date()
    return day.isoformat()


def _total(pcf: dict[str, Any], name: str) -> str:
    draft = next(d for d, v in DRAFT_NAMES.items() if v == name)
    present = [n for n in (name, draft) if n in pcf]
    if len(present) == 2:
        raise refuse(f"/pcf/{draft}", f"states the total under both {name} and {draft}")
    if not present:
        raise refuse(f"/pcf/{name}", "PACT requires it", "pact.missing_field")
    return _decimal(pcf, present[0], "/pcf")


def _gwp_sets(pcf: dict[str, Any]) -> list[str]:
    sets = _list(pcf, "ipccCharacterizationFactors", "/pcf")
    for i, s in enumerate(sets):
        if s not in PACT_GWP_SETS:
            raise refuse(f"/pcf/ipccCharacterizationFactors/{i}", f"a label declares no GWP set {s!r}")
    if not sets:
        raise refuse("/pcf/ipccCharacterizationFactors", "PACT requires at least one", "pact.bad_value")
    return list(sets)


def _percent(pcf: dict[str, Any], name: str) -> str:
    value = _decimal(pcf, name, "/pcf", "nonneg")
    if Decimal(value) > 100 or len(value.partition(".")[2]) > 6:
        raise refuse(f"/pcf/{name}", f"a label's percentage is 0 to 100 with at most 6 decimals, got {value}")
    return value


def _decimal(obj: dict[str, Any], name: str, at: str, sign: str | None = None) -> str:
    if name not in obj:
        raise refuse(f"{at}/{name}", "PACT requires it", "pact.missing_field")
    return pact_decimal(obj[name], f"{at}/{name}", sign=sign)


def _text(obj: dict[str, Any], name: str, at: str, *, empty: bool = False) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or (not value and not empty):
        raise refuse(
            f"{at}/{name}", f"expected a {'' if empty else 'non-empty '}string, got {value!r}", "pact.bad_value"
        )
    return value


def _object(obj: dict[str, Any], name: str, at: str) -> dict[str, Any]:
    value = obj.get(name)
    if not isinstance(value, dict):
        raise refuse(f"{at}/{name}", "expected an object", "pact.bad_value")
    return value


def _list(obj: dict[str, Any], name: str, at: str) -> list[Any]:
    value = obj.get(name, [])
    if not isinstance(value, list):
        raise refuse(f"{at}/{name}", "expected an array", "pact.bad_value")
    return value


def _urns(obj: dict[str, Any], name: str, at: str) -> list[str]:
    values = _list(obj, name, at)
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v.lower().startswith("urn:") or len(v) > 500 or any(c.isspace() for c in v):
            raise refuse(f"{at}/{name}/{i}", f"expected a URN (RFC 8141), got {v!r}", "pact.bad_value")
    if not values:
        raise refuse(f"{at}/{name}", "PACT requires at least one URN", "pact.missing_field")
    return list(values)
