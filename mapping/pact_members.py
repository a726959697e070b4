"""Which members PACT v3 defines, and where each one goes in a label record (pure data: no I/O).

The member names are those of ``components/schemas`` in the PACT v3 Technical Specifications
(``spec/v3/openapi.yaml`` of ``wbcsd/data-exchange-protocol``, version 3.0.0, the file with the v3 names of
the totals): a test compares every tuple here with that document when ``PACT_SPEC_DIR`` points at it
(tests/test_pact_members.py). A member a schema lists as ``required`` is one it defines, though the released
``DataModelExtension`` spells its property ``specversion``: its ``required`` and every extension say
``specVersion``.

Every member of a footprint lands in one of four places:

* **mapped**: a label field holds it (the table of ``docs/pact-mapping.md``);
* **carried**: a v3 ``CarbonFootprint`` member no label field holds (:data:`EXTENSION_CARRIED`: the
  technological CO2 capture members) is kept, as stated, in the label's ``pactExtensions`` under this
  project's :data:`MEMBERS_EXTENSION_SCHEMA`; the export puts it back where v3 has it;
* **not carried**: a member v3 does not define, or one the host sets (:data:`HOST_FIELDS`): the import reports
  each by its JSON Pointer and the reason (:class:`mapping.pact_import.ImportResult`), and carries on;
* members of a draft of v3 that a label holds (:data:`DRAFT_NAMES`, :data:`LABEL_ONLY_PCF`): read into the
  label; the export writes each under its v3 name or, when v3 has none, not at all.
"""

from __future__ import annotations

__all__ = [
    "CARBON_FOOTPRINT_V3",
    "CARRIED_DECIMALS",
    "CARRIED_TEXTS",
    "DQI_KEYS",
    "DRAFT_NAMES",
    "EMISSION_FACTOR_SOURCE_V3",
    "EXTENSION_CARRIED",
    "EXTENSION_V3",
    "HOST_FIELDS",
    "LABEL_ONLY_PCF",
    "MEMBERS_EXTENSION_SCHEMA",
    "NESTED_V3",
    "PRODUCT_FOOTPRINT_V3",
    "RULE_V3",
    "V3_OBJECTS",
    "VERIFICATION_V3",
]

PRODUCT_FOOTPRINT_V3 = (
    "id",
    "specVersion",
    "precedingPfIds",
    "created",
    "status",
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
)
CARBON_FOOTPRINT_V3 = (
    "declaredUnitOfMeasurement",
    "declaredUnitAmount",
    "productMassPerDeclaredUnit",
    "referencePeriodStart",
    "referencePeriodEnd",
    "geographyRegionOrSubregion",
    "geographyCountry",
    "geographyCountrySubdivision",
    "boundaryProcessesDescription",
    "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicUptake",
    "fossilCarbonContent",
    "biogenicCarbonContent",
    "recycledCarbonContent",
    "fossilGhgEmissions",
    "landUseChangeGhgEmissions",
    "landCarbonLeakage",
    "landManagementFossilGhgEmissions",
    "landManagementBiogenicCO2Emissions",
    "landManagementBiogenicCO2Removals",
    "biogenicCO2Uptake",
    "biogenicNonCO2Emissions",
    "landAreaOccupation",
    "aircraftGhgEmissions",
    "packagingEmissionsIncluded",
    "packagingGhgEmissions",
    "packagingBiogenicCarbonContent",
    "outboundLogisticsGhgEmissions",
    "technologicalCO2CaptureOrigin",
    "technologicalCO2Removals",
    "ccsTechnologicalCO2CaptureIncluded",
    "ccsTechnologicalCO2Capture",
    "ccuCarbonContent",
    "ccuCalculationApproach",
    "ccuCreditCertification",
    "ipccCharacterizationFactors",
    "crossSectoralStandards",
    "productOrSectorSpecificRules",
    "exemptedEmissionsPercent",
    "exemptedEmissionsDescription",
    "allocationRulesDescription",
    "secondaryEmissionFactorSources",
    "primaryDataShare",
    "dqi",
    "verification",
)
VERIFICATION_V3 = ("coverage", "providerName", "completedAt", "standardName", "comments")
DQI_KEYS = ("technologicalDQR", "temporalDQR", "geographicalDQR")
"""PACT's data quality ratings (``DataQualityIndicators``): required together."""
RULE_V3 = ("operator", "ruleNames", "otherOperatorName")
EMISSION_FACTOR_SOURCE_V3 = ("name", "version")
EXTENSION_V3 = ("specVersion", "dataSchema", "documentation", "data")

V3_OBJECTS = {
    "ProductFootprint": PRODUCT_FOOTPRINT_V3,
    "CarbonFootprint": CARBON_FOOTPRINT_V3,
    "Verification": VERIFICATION_V3,
    "DataQualityIndicators": DQI_KEYS,
    "ProductOrSectorSpecificRule": RULE_V3,
    "EmissionFactorSource": EMISSION_FACTOR_SOURCE_V3,
    "DataModelExtension": EXTENSION_V3,
}
"""Each v3 object type and the members it defines."""
NESTED_V3 = {
    ("ProductFootprint", "pcf"): "CarbonFootprint",
    ("ProductFootprint", "extensions"): "DataModelExtension",
    ("CarbonFootprint", "verification"): "Verification",
    ("CarbonFootprint", "dqi"): "DataQualityIndicators",
    ("CarbonFootprint", "productOrSectorSpecificRules"): "ProductOrSectorSpecificRule",
    ("CarbonFootprint", "secondaryEmissionFactorSources"): "EmissionFactorSource",
}
"""The object type of a member's value (or of each item of an array member); a ``DataModelExtension``'s
``data`` follows the extension's own schema, not PACT's."""

CARRIED_DECIMALS = (
    "fossilGhgEmissions",
    "fossilCarbonContent",
    "biogenicCarbonContent",
    "recycledCarbonContent",
    "landUseChangeGhgEmissions",
    "landCarbonLeakage",
    "landManagementFossilGhgEmissions",
    "landManagementBiogenicCO2Emissions",
    "landManagementBiogenicCO2Removals",
    "biogenicNonCO2Emissions",
    "aircraftGhgEmissions",
    "packagingGhgEmissions",
    "outboundLogisticsGhgEmissions",
    "packagingBiogenicCarbonContent",
    "ccuCarbonContent",
    "landAreaOccupation",
)
"""CarbonFootprint decimals the label holds under the same name at ``/footprint/<name>``."""
CARRIED_TEXTS = (
    "boundaryProcessesDescription",
    "exemptedEmissionsDescription",
    "allocationRulesDescription",
    "ccuCalculationApproach",
    "ccuCreditCertification",
)
"""CarbonFootprint strings the label holds under the same name at ``/footprint/<name>``."""
DRAFT_NAMES = {
    "pcfExcludingBiogenicCO2Withdrawal": "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicCO2Withdrawal": "pcfIncludingBiogenicUptake",
    "biogenicCO2Withdrawal": "biogenicCO2Uptake",
    "ccuOrigin": "technologicalCO2CaptureOrigin",
}
"""CarbonFootprint members under the name a draft of the v3 schema gave them (the spec's response examples,
``spec/v3/examples/*-footprint*-response.json``, still use the first three), each with its v3 name. The
import reads both, the export writes the v3 name. The label holds the totals and the uptake under their v3
names and ``technologicalCO2CaptureOrigin`` as ``footprint.ccuOrigin``: the draft's ``ccuOrigin`` is the CCU
origin, which v3 renamed and widened to the origin of CO2 stored by CCS too; the label holds it only when
the footprint states no CCS (otherwise it is carried as stated, see :data:`EXTENSION_CARRIED`)."""
LABEL_ONLY_PCF = ("uncertifiedLandManagementCO2Removals", "biogenicAccountingMethodology", "otherOperatorName")
"""Members a label holds at ``/footprint/<name>`` that v3's CarbonFootprint does not define: the first two are
the v3 draft's (gone from v3, with no v3 equivalent), ``otherOperatorName`` is where the spec's example
footprints put a rule's operator name. The import reads them; the export does not write them, except that
``otherOperatorName`` goes into the one ``Other`` rule that names no operator (v3's place for it)."""
EXTENSION_CARRIED = (
    "technologicalCO2CaptureOrigin",
    "technologicalCO2Removals",
    "ccsTechnologicalCO2CaptureIncluded",
    "ccsTechnologicalCO2Capture",
)
"""v3 CarbonFootprint members no label field holds, carried as stated in the label's members extension."""
MEMBERS_EXTENSION_SCHEMA = "urn:carbonledger:pact:v3-members:1.0.0"
"""The ``dataSchema`` of the ``pactExtensions`` entry holding :data:`EXTENSION_CARRIED` members
(``data.pcf.<member>``). It never leaves as an extension: the export puts its members back into ``pcf``."""
HOST_FIELDS = ("id", "specVersion", "version", "created", "updated", "status", "statusComment", "precedingPfIds")
"""ProductFootprint members the host sets (identity and life cycle), never the label's issuer; ``version``,
``updated`` and ``statusComment`` are the draft's and v2's (v3 has none of them)."""
