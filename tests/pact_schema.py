"""A JSON Schema (Draft 2020-12) of PACT v3's ProductFootprint, written here from the constraints the PACT v3
Technical Specifications state in ``spec/v3/openapi.yaml`` (wbcsd/data-exchange-protocol, version 3.0.0):
required members, types, enumerations and decimal patterns, under the v3 schema's member names (an earlier
draft of it named the totals ``pcf…BiogenicCO2Withdrawal``; the export must not). It is this project's own
expression of those facts (an implementation, not a copy of the specification: WBCSD's licence does not let a
part of the specification be redistributed). When a checkout of the specification is at hand,
``PACT_SPEC_DIR`` points the tests at it and they also validate against its own openapi.yaml
(tests/pact_spec.py).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PRODUCT_FOOTPRINT", "error_schema", "validator"]

_DEC = r"^[+-]?\d+(\.\d+)?$"
_POS = r"^[+]?(\d*[1-9]\d*)(\.\d+)?|(0+\.\d*[1-9]\d*)$"
_NONNEG = r"^[+]?\d+(\.\d+)?$"
_NONPOS = r"^(-\d+(\.\d+)?)|0+(\.0+)?$"


def _s(pattern: str) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern}


def _urns() -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "uniqueItems": True, "items": _s("^([uU][rR][nN]):")}


_TIME = {"type": "string", "format": "date-time"}
_TEXT = {"type": "string"}
_NONEMPTY = {"type": "string", "minLength": 1}
_NONNEG_NAMES = (
    "fossilGhgEmissions fossilCarbonContent biogenicCarbonContent landUseChangeGhgEmissions landCarbonLeakage "
    "landManagementBiogenicCO2Emissions biogenicNonCO2Emissions uncertifiedLandManagementCO2Removals "
    "aircraftGhgEmissions packagingGhgEmissions outboundLogisticsGhgEmissions ccuCarbonContent landAreaOccupation "
    "recycledCarbonContent landManagementFossilGhgEmissions packagingBiogenicCarbonContent technologicalCO2Removals"
).split()
_REGIONS = (
    "Africa|Americas|Asia|Europe|Oceania|Australia and New Zealand|Central Asia|Eastern Asia|Eastern Europe|"
    "Latin America and the Caribbean|Melanesia|Micronesia|Northern Africa|Northern America|Northern Europe|"
    "Polynesia|South-eastern Asia|Southern Asia|Southern Europe|Sub-Saharan Africa|Western Asia|Western Europe"
).split("|")
_UNITS = "liter|kilogram|cubic meter|kilowatt hour|megajoule|ton kilometer|square meter|piece|hour|megabit second"
_STANDARDS = ["ISO14067", "ISO14083", "ISO14040-44", "GHGP-Product", "PEF", "PACT-1.0", "PACT-2.0", "PACT-3.0"]

CARBON_FOOTPRINT: dict[str, Any] = {
    "type": "object",
    "required": [
        "declaredUnitOfMeasurement",
        "declaredUnitAmount",
        "productMassPerDeclaredUnit",
        "referencePeriodStart",
        "referencePeriodEnd",
        "pcfExcludingBiogenicUptake",
        "pcfIncludingBiogenicUptake",
        "fossilGhgEmissions",
        "fossilCarbonContent",
        "biogenicCarbonContent",
        "ipccCharacterizationFactors",
        "crossSectoralStandards",
        "exemptedEmissionsPercent",
    ],
    "properties": {
        "declaredUnitOfMeasurement": {"enum": _UNITS.split("|")},
        "declaredUnitAmount": _s(_POS),
        "productMassPerDeclaredUnit": _s(_DEC),
        "pcfExcludingBiogenicUptake": _s(_DEC),
        "pcfIncludingBiogenicUptake": _s(_DEC),
        **{n: _s(_NONNEG) for n in _NONNEG_NAMES},
        "landManagementBiogenicCO2Removals": _s(_NONPOS),
        "biogenicCO2Uptake": _s(_NONPOS),
        "ccsTechnologicalCO2Capture": _s(_NONPOS),
        "packagingEmissionsIncluded": {"type": "boolean"},
        "ccsTechnologicalCO2CaptureIncluded": {"type": "boolean"},
        "technologicalCO2CaptureOrigin": _TEXT,
        "ccuOrigin": _TEXT,
        "ccuCalculationApproach": {"enum": ["Cut-off", "Credit"]},
        "ccuCreditCertification": {"type": "string", "format": "uri"},
        "ipccCharacterizationFactors": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": _s(r"^AR\d+$"),
        },
        "crossSectoralStandards": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": _STANDARDS},
        },
        "productOrSectorSpecificRules": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {
                "type": "object",
                "required": ["operator", "ruleNames"],
                "properties": {
                    "operator": {"enum": ["PEF", "EPD International", "Other"]},
                    "ruleNames": {
                        "type": "array",
                        "minItems": 1,
                        "uniqueItems": True,
                        "items": {"type": "string", "minLength": 1},
                    },
                    "otherOperatorName": {"type": "string", "minLength": 1},
                },
            },
        },
        "biogenicAccountingMethodology": _TEXT,
        "boundaryProcessesDescription": _TEXT,
        "referencePeriodStart": _TIME,
        "referencePeriodEnd": _TIME,
        "geographyRegionOrSubregion": {"enum": _REGIONS},
        "geographyCountry": _s("^[A-Z]{2}$"),
        "geographyCountrySubdivision": _s("^[A-Z]{2}-[A-Z0-9]{1,3}$"),
        "secondaryEmissionFactorSources": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "version"],
                "properties": {"name": _NONEMPTY, "version": _NONEMPTY},
            },
        },
        "exemptedEmissionsPercent": _s(_DEC),
        "exemptedEmissionsDescription": _TEXT,
        "allocationRulesDescription": _TEXT,
        "primaryDataShare": _s(_DEC),
        "dqi": {
            "type": "object",
            "required": ["technologicalDQR", "temporalDQR", "geographicalDQR"],
            "properties": {k: _s(_DEC) for k in ("technologicalDQR", "temporalDQR", "geographicalDQR")},
        },
        "verification": {
            "type": "object",
            "properties": {
                "coverage": {"enum": ["PCF calculation model", "PCF program", "product level"]},
                "providerName": _TEXT,
                "completedAt": _TIME,
                "standardName": _TEXT,
                "comments": _TEXT,
            },
        },
    },
}

PRODUCT_FOOTPRINT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "id",
        "specVersion",
        "version",
        "created",
        "status",
        "companyName",
        "companyIds",
        "productDescription",
        "productIds",
        "productNameCompany",
        "pcf",
    ],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "specVersion": _s(r"^\d+\.\d+\.\d+(-\d{8})?$"),
        "precedingPfIds": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "format": "uuid"},
        },
        "version": {"type": "integer", "minimum": 0},
        "created": _TIME,
        "updated": _TIME,
        "status": {"enum": ["Active", "Deprecated"]},
        "validityPeriodStart": _TIME,
        "validityPeriodEnd": _TIME,
        "companyName": _NONEMPTY,
        "companyIds": _urns(),
        "productDescription": _TEXT,
        "productIds": _urns(),
        "productClassifications": _urns(),
        "productNameCompany": _NONEMPTY,
        "comment": _TEXT,
        "pcf": CARBON_FOOTPRINT,
        "extensions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["specVersion", "dataSchema", "data"],
                "properties": {
                    "dataSchema": {"type": "string", "format": "uri"},
                    "documentation": {"type": "string", "format": "uri"},
                    "data": {"type": "object"},
                },
            },
        },
    },
}


def error_schema() -> dict[str, Any]:
    """PACT's error response body: a code of its list and a message."""
    return {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {
                "enum": ["BadRequest", "AccessDenied", "TokenExpired", "NotFound", "InternalError", "NotImplemented"]
            },
            "message": {"type": "string"},
        },
    }


def validator(schema: dict[str, Any] | None = None) -> Any:
    """A Draft 2020-12 validator of ``schema`` (default: a ProductFootprint) that checks formats too."""
    import jsonschema

    return jsonschema.Draft202012Validator(
        schema or PRODUCT_FOOTPRINT, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
