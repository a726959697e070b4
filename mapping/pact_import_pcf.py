"""A PACT v3 ``CarbonFootprint`` (``pcf``) read into a label record's ``footprint``, ``methodology`` and
``verification`` (pure; the refusals and the report are those of :mod:`mapping.pact_import`).

The CarbonFootprint members no label field holds (:data:`~mapping.pact_members.EXTENSION_CARRIED`) are read
and type-checked by :func:`captured_members`, for the label's members extension.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from .pact_fields import (
    CCU_CALCULATION_APPROACHES,
    GEOGRAPHY_FIELDS,
    PACT_DECLARED_UNITS,
    PACT_GWP_SETS,
    REGIONS,
    RULE_OPERATORS,
    VERIFICATION_COVERAGES,
    instant,
    instant_text,
    refuse,
)
from .pact_members import (
    CARRIED_DECIMALS,
    CARRIED_TEXTS,
    DQI_KEYS,
    DRAFT_NAMES,
    EMISSION_FACTOR_SOURCE_V3,
    RULE_V3,
    VERIFICATION_V3,
)
from .pact_values import (
    MemberReport,
    array,
    boolean,
    choice,
    decimal,
    item_object,
    matching,
    member_object,
    percent,
    strings,
    text,
)
from .vocabulary import DECLARED_UNITS

__all__ = ["captured_members", "footprint_of", "methodology_of", "verification_of"]

_NONPOSITIVE = ("landManagementBiogenicCO2Removals",)
_GEOGRAPHY_PATTERNS = {"geographyCountry": "[A-Z]{2}", "geographyCountrySubdivision": "[A-Z]{2}-[A-Z0-9]{1,3}"}
_F = "/pcf"


def footprint_of(pcf: dict[str, Any], boundary: str, report: MemberReport) -> dict[str, Any]:
    """Requires the footprint's ``pcf`` object and the label's boundary. The label's ``footprint``."""
    unit = choice(pcf, "declaredUnitOfMeasurement", _F, PACT_DECLARED_UNITS)
    if unit not in DECLARED_UNITS:
        raise refuse(f"{_F}/declaredUnitOfMeasurement", f"a label has no declared unit {unit!r}")
    amount = decimal(pcf, "declaredUnitAmount", _F, "nonneg")
    if amount.strip("0.") == "":
        raise refuse(f"{_F}/declaredUnitAmount", "must be greater than 0", "pact.bad_value")
    excluding = _total(pcf, "pcfExcludingBiogenicUptake")
    fp: dict[str, Any] = {
        "pcf": {"value": excluding, "unit": "kgCO2e"},  # stated emissions total, as a label's headline
        "declaredUnitOfMeasurement": unit,
        "declaredUnitAmount": amount,
        "boundary": boundary,
        "pcfExcludingBiogenicUptake": excluding,
        "pcfIncludingBiogenicUptake": _total(pcf, "pcfIncludingBiogenicUptake"),
        "ipccCharacterizationFactors": _gwp_sets(pcf),
        "referencePeriodStart": _day(pcf, "referencePeriodStart", exclusive=False),
        "referencePeriodEnd": _day(pcf, "referencePeriodEnd", exclusive=True),
    }
    if "productMassPerDeclaredUnit" in pcf:
        fp["productMassPerDeclaredUnit"] = decimal(pcf, "productMassPerDeclaredUnit", _F, "nonneg")
    for name in GEOGRAPHY_FIELDS:
        if name in pcf:
            pattern = _GEOGRAPHY_PATTERNS.get(name)
            fp[name] = matching(pcf, name, _F, pattern) if pattern else choice(pcf, name, _F, REGIONS)
    for name in (*CARRIED_DECIMALS, "uncertifiedLandManagementCO2Removals"):
        if name in pcf:
            fp[name] = decimal(pcf, name, _F, "nonpos" if name in _NONPOSITIVE else "nonneg")
    uptake = next((n for n in ("biogenicCO2Uptake", "biogenicCO2Withdrawal") if n in pcf), None)
    if uptake:
        fp["biogenicCO2Uptake"] = decimal(pcf, uptake, _F, "nonpos")
    if "packagingEmissionsIncluded" in pcf:
        fp["packagingEmissionsIncluded"] = boolean(pcf, "packagingEmissionsIncluded", _F)
    for name in (*CARRIED_TEXTS, "biogenicAccountingMethodology"):
        if name == "ccuCalculationApproach" and name in pcf:
            fp[name] = choice(pcf, name, _F, CCU_CALCULATION_APPROACHES)
        elif name in pcf:
            fp[name] = text(pcf, name, _F, empty=True)
    origin = "ccuOrigin" if "ccuOrigin" in pcf else "technologicalCO2CaptureOrigin"
    if origin in pcf and not (origin == "technologicalCO2CaptureOrigin" and states_ccs(pcf)):
        fp["ccuOrigin"] = text(pcf, origin, _F, empty=True)  # the CCU origin: see DRAFT_NAMES
    if "otherOperatorName" in pcf:  # where the spec's example footprints put it
        fp["otherOperatorName"] = text(pcf, "otherOperatorName", _F)
    if "secondaryEmissionFactorSources" in pcf:
        fp["secondaryEmissionFactorSources"] = _sources(pcf, report)
    fp["exemptedEmissionsPercent"] = percent(pcf, "exemptedEmissionsPercent", _F)
    if "primaryDataShare" in pcf:
        fp["primaryDataShare"] = percent(pcf, "primaryDataShare", _F)
    if "dqi" in pcf:
        dqi = member_object(pcf, "dqi", _F)
        report.unknown(dqi, DQI_KEYS, f"{_F}/dqi", "DataQualityIndicators")
        fp["dqi"] = {k: decimal(dqi, k, f"{_F}/dqi", "nonneg") for k in DQI_KEYS}
    return fp


def states_ccs(pcf: dict[str, Any]) -> bool:
    """Whether the footprint states CCS: then its technologicalCO2CaptureOrigin may be CCS data, not the CCU
    origin a label's ``ccuOrigin`` holds."""
    stated = ("ccsTechnologicalCO2Capture", "technologicalCO2Removals")
    return pcf.get("ccsTechnologicalCO2CaptureIncluded") is True or any(n in pcf for n in stated)


def captured_members(pcf: dict[str, Any], report: MemberReport) -> dict[str, Any]:
    """Requires the footprint's ``pcf``. Its v3 members no label field holds, type-checked (reported as held
    in the members extension)."""
    out: dict[str, Any] = {}
    if "technologicalCO2CaptureOrigin" in pcf and states_ccs(pcf):
        out["technologicalCO2CaptureOrigin"] = text(pcf, "technologicalCO2CaptureOrigin", _F, empty=True)
    if "technologicalCO2Removals" in pcf:
        out["technologicalCO2Removals"] = decimal(pcf, "technologicalCO2Removals", _F, "nonneg")
    if "ccsTechnologicalCO2CaptureIncluded" in pcf:
        out["ccsTechnologicalCO2CaptureIncluded"] = boolean(pcf, "ccsTechnologicalCO2CaptureIncluded", _F)
    if "ccsTechnologicalCO2Capture" in pcf:
        out["ccsTechnologicalCO2Capture"] = decimal(pcf, "ccsTechnologicalCO2Capture", _F, "nonpos")
    report.in_extension.extend(f"{_F}/{name}" for name in out)
    return out


def methodology_of(pcf: dict[str, Any], profile: dict[str, str], report: MemberReport) -> dict[str, Any]:
    """Requires the footprint's ``pcf`` and the label's methodology profile. The label's ``methodology``."""
    standards = strings(pcf, "crossSectoralStandards", _F)
    meth: dict[str, Any] = {"standards": standards, "crossSectoralStandards": list(standards), "profile": profile}
    if "productOrSectorSpecificRules" in pcf:
        rules = []
        for i, raw in enumerate(array(pcf, "productOrSectorSpecificRules", _F)):
            at = f"{_F}/productOrSectorSpecificRules/{i}"
            rule = item_object(raw, at)
            report.unknown(rule, RULE_V3, at, "ProductOrSectorSpecificRule")
            out = {
                "operator": choice(rule, "operator", at, RULE_OPERATORS),
                "ruleNames": strings(rule, "ruleNames", at),
            }
            if "otherOperatorName" in rule:
                out["otherOperatorName"] = text(rule, "otherOperatorName", at)
            rules.append(out)
        if not rules:
            raise refuse(
                f"{_F}/productOrSectorSpecificRules", "PACT requires at least one when stated", "pact.bad_value"
            )
        meth["productOrSectorSpecificRules"] = rules
    return meth


def verification_of(pcf: dict[str, Any], level: str | None, report: MemberReport) -> dict[str, Any]:
    """Requires the footprint's ``pcf`` and the assurance level given (PACT states none). The label's
    ``verification``."""
    if "verification" not in pcf:  # not verified: whatever level was offered does not apply
        return {"level": "none"}
    at = f"{_F}/verification"
    v = member_object(pcf, "verification", _F)
    report.unknown(v, VERIFICATION_V3, at, "Verification")
    pact: dict[str, Any] = {}
    for key in (k for k in VERIFICATION_V3 if k in v):
        if key == "completedAt":
            pact[key] = instant_text(instant(v[key], f"{at}/{key}"))
        elif key == "coverage":
            pact[key] = choice(v, key, at, VERIFICATION_COVERAGES)
        else:
            pact[key] = text(v, key, at, empty=True)
    stated = bool(pact.get("providerName") or pact.get("completedAt") or pact.get("coverage"))
    if stated and level is None:
        raise refuse(
            at,
            "the footprint was verified but PACT states no assurance level; give limited or reasonable",
            "pact.missing_default",
        )
    return {"level": level or "none", "pact": pact}


def _sources(pcf: dict[str, Any], report: MemberReport) -> list[dict[str, str]]:
    at = f"{_F}/secondaryEmissionFactorSources"
    out = []
    for i, raw in enumerate(array(pcf, "secondaryEmissionFactorSources", _F)):
        source = item_object(raw, f"{at}/{i}")
        report.unknown(source, EMISSION_FACTOR_SOURCE_V3, f"{at}/{i}", "EmissionFactorSource")
        out.append({k: text(source, k, f"{at}/{i}") for k in EMISSION_FACTOR_SOURCE_V3})
    if not out:
        raise refuse(at, "PACT requires at least one source when it states the member", "pact.bad_value")
    return out


def _day(pcf: dict[str, Any], name: str, *, exclusive: bool) -> str:
    moment = instant(pcf.get(name), f"{_F}/{name}")
    if moment.time() != datetime.min.time():
        raise refuse(f"{_F}/{name}", f"{pcf[name]} is not 00:00 UTC: a label's reference period is whole days")
    day: date = moment.date() - timedelta(days=1) if exclusive else moment.date()
    return day.isoformat()


def _total(pcf: dict[str, Any], name: str) -> str:
    """A total under its v3 name or the draft's (never both: the import refuses that first)."""
    draft = next(d for d, v in DRAFT_NAMES.items() if v == name)
    if name not in pcf and draft not in pcf:
        raise refuse(f"{_F}/{name}", "PACT requires it", "pact.missing_field")
    return decimal(pcf, name if name in pcf else draft, _F)


def _gwp_sets(pcf: dict[str, Any]) -> list[str]:
    sets = strings(pcf, "ipccCharacterizationFactors", _F)
    for i, s in enumerate(sets):
        if not re.fullmatch(r"AR[0-9]+", s):
            raise refuse(f"{_F}/ipccCharacterizationFactors/{i}", f"PACT writes AR<n>, got {s!r}", "pact.bad_value")
        if s not in PACT_GWP_SETS:
            raise refuse(f"{_F}/ipccCharacterizationFactors/{i}", f"a label declares no GWP set {s!r}")
    return sets
