"""The domain's vocabularies, written once: the names a label record, a dataset entry and a GWP table use.

Every layer reads them from here (the JSON Schemas under ``verifier/schemas/`` repeat some as ``enum``s; tests
keep the two equal). Orderings are weakest first (``at_least`` in agreement conditions, ``rank`` in
:mod:`mapping.orderings`). Nothing here computes; the modules that check values against these names raise
their own errors.

* **GWP sets**: :data:`GWP_SETS` are the IPCC sets the package table holds (and the only ones a conversion
  can re-characterize with); :data:`DECLARED_GWP_SETS` the sets a label may declare
  (``ipccCharacterizationFactors``) and a dataset value may carry values for; :data:`DATASET_GWP_SETS` what
  a dataset value's ``gwp_set`` may say.
* **Label record** (WBCSD PACT v3 names): life-cycle stages (generic, or EN 15804 modules) and boundaries,
  declared units, claim types, electricity bases and instruments, electricity factor kinds and units, allocation
  rules, verification levels, biogenic methods, methane origins.
* **Dataset entries** (``dataset.publish``): value units and kinds; an electricity value's scope, gases,
  basis and T&D losses, and the rules tying each electricity kind to them (schemes.md §3); the confidence
  tags of schemes.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# ---- GWP sets and the GWP table ------------------------------------------------------------------------
GWP_SETS = ("AR4", "AR5", "AR5-feedback", "AR6")
"""The IPCC 100-year GWP sets of the package table, weakest (oldest) first."""
EF_SETS = ("EF3.0", "EF3.1")
"""EU Environmental Footprint characterisation sets: declared by labels, never shipped as a table."""
DECLARED_GWP_SETS = (*GWP_SETS, *EF_SETS)
DATASET_GWP_SETS = (*DECLARED_GWP_SETS, "unspecified", "not-applicable")
GWP_CSV_COLUMNS: dict[str, str] = {"AR4": "ar4", "AR5": "ar5", "AR5-feedback": "ar5_feedback", "AR6": "ar6"}
"""The column of ``gwp.csv`` holding each set's values."""
GWP_DATASET_ID = "ipcc-gwp100"
"""The dataset id of the signed IPCC GWP100 table."""
GWP_VALUE_KIND = "gwp"
GWP_VALUE_UNIT = "dimensionless"
METHANE_UNSPLIT = "CH4"
METHANE_FOSSIL = "CH4-fossil"
METHANE_NON_FOSSIL = "CH4-non-fossil"
BIOGENIC_METHODS = ("0/0", "-1/+1", "storage-weighted", "excluded")

# ---- the label record -----------------------------------------------------------------------------------
STAGES = ("raw-materials", "production", "distribution", "use", "end-of-life")
"""The generic life-cycle stages (ISO 14067, PAS 2050, PACT), in life-cycle order."""
EN15804_MODULES = ("A1-A3", "A4-A5", "B1-B7", "C1-C4", "D")
"""EN 15804 information modules as a label states them (schemes.md §1a, §4.1): product stage A1–A3, construction
process A4–A5, use B1–B7, end of life C1–C4, and D (benefits and loads beyond the system boundary)."""
MODULE_D = "D"
"""Module D lies outside the system boundary: declared apart, never summed into the footprint (schemes.md §4.1)."""
LABEL_STAGES = (*STAGES, *EN15804_MODULES)
"""The stage names a label's breakdown (``/footprint/stages``) and its electricity supplies (``stage``) may use; a
breakdown uses one vocabulary, generic stages or EN 15804 modules, never both."""
SUPPLY_STAGES = tuple(s for s in LABEL_STAGES if s != MODULE_D)
"""The stages an electricity supply may be attributed to: inside the system boundary, so never module D."""
MODULE_STAGES: dict[str, tuple[str, ...]] = {
    "A1-A3": ("raw-materials", "production"),
    "A4-A5": ("distribution",),
    "B1-B7": ("use",),
    "C1-C4": ("end-of-life",),
    MODULE_D: (),
}
"""The generic stages each EN 15804 module group covers (A4–A5 includes installation; D covers none)."""
USE_STAGES = ("use", "B1-B7")
"""The use stage in each vocabulary (its electricity is what a use-stage re-basing swaps)."""
BOUNDARIES = ("gate-to-gate", "cradle-to-gate", "cradle-to-grave")
BOUNDARY_STAGES: dict[str, tuple[str, ...]] = {
    "gate-to-gate": ("production",),
    "cradle-to-gate": ("raw-materials", "production"),
    "cradle-to-grave": STAGES,
}
BOUNDARY_MODULES: dict[str, tuple[str, ...]] = {
    "gate-to-gate": (),
    "cradle-to-gate": ("A1-A3",),
    "cradle-to-grave": ("A1-A3", "A4-A5", "B1-B7", "C1-C4"),
}
"""Each boundary in EN 15804 modules (module D is in none: it is declared apart); gate-to-gate is A3 alone, which
the module groups cannot express."""
VERIFICATION_LEVELS = ("none", "limited", "reasonable")
DECLARED_UNITS = (
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
    "piece",
)
CLAIM_TYPES = ("footprint", "reduction", "grade", "neutrality")
METHANE_ORIGINS = ("split", "unknown")
ALLOCATION_RULES = ("none-needed", "physical", "economic", "system-expansion", "cut-off", "cff", "other")
ELECTRICITY_BASES = ("location", "market", "residual-mix", "supplier-specific")
"""A label's electricity accounting basis (``/footprint/electricity/*/basis``)."""
INSTRUMENTS = ("none", "GEC", "GO", "REC", "I-REC", "PPA", "direct-line")
ELECTRICITY_KINDS = (
    "combustion-co2",
    "combustion-co2e",
    "lifecycle-co2e",
    "residual-mix-co2",
    "residual-mix-co2e",
    "supplier-specific",
)
"""Electricity factor kinds: each names a scope and the gases counted (a label's factor and a dataset value)."""
FACTOR_KINDS = ELECTRICITY_KINDS
FACTOR_UNITS = ("kgCO2e/kWh", "kgCO2/kWh")
"""The units of a factor a label states or a conversion uses (kg per kWh)."""

# ---- dataset entries ------------------------------------------------------------------------------------
DATASET_UNITS = (
    "kgCO2/kWh",
    "kgCO2e/kWh",
    "tCO2/MWh",
    "tCO2e/MWh",
    "gCO2/kWh",
    "gCO2e/kWh",
    "kgCO2e/kg",
    "kgCO2e/t",
    "kgCO2e/MJ",
    "kgCO2e/m3",
    "kgCO2e/tkm",
    "kgCO2e/unit",
    GWP_VALUE_UNIT,
)
DATASET_KINDS = (*ELECTRICITY_KINDS, GWP_VALUE_KIND, "emission-factor")
SCOPES = ("combustion", "lifecycle", "unspecified")
GASES = ("CO2", "CO2e")
DATASET_BASES = ("location", "residual-mix", "supplier-specific", "fossil-generation")
"""A dataset electricity value's basis (not a label's: a label says ``market``, a dataset ``fossil-generation``)."""
TD_LOSSES: tuple[Any, ...] = (True, False, "unspecified")
ELECTRICITY_ATTRIBUTES = ("scope", "gases", "basis", "td_losses_included", "year", "gwp_set")
CONFIDENCE = ("confirmed", "secondary", "unconfirmed")
"""schemes.md "How to read the tags": [S n] confirmed from source n (the note says so where the source is
secondary); [K] not confirmed from a source. [?] facts are not values, so they are never shipped."""
ELECTRICITY_UNITS: dict[str, tuple[str, Decimal]] = {
    "kgCO2/kWh": ("CO2", Decimal(1)),
    "tCO2/MWh": ("CO2", Decimal(1)),
    "gCO2/kWh": ("CO2", Decimal("0.001")),
    "kgCO2e/kWh": ("CO2e", Decimal(1)),
    "tCO2e/MWh": ("CO2e", Decimal(1)),
    "gCO2e/kWh": ("CO2e", Decimal("0.001")),
}
"""Electricity units a dataset may sign: the gases each counts and the exact factor to kg per kWh
(1 t/MWh = 1 kg/kWh)."""


@dataclass(frozen=True)
class ElectricityKind:
    """What one electricity factor kind allows a dataset value to say: its scopes, gases and bases."""

    scopes: frozenset[str]
    gases: frozenset[str]
    bases: frozenset[str]


# What each electricity kind allows (schemes.md §3 and §4.2 example 4): the kind names scope and gases.
ELECTRICITY_KIND_RULES: dict[str, ElectricityKind] = {
    "combustion-co2": ElectricityKind(
        frozenset({"combustion"}), frozenset({"CO2"}), frozenset({"location", "fossil-generation"})
    ),
    "combustion-co2e": ElectricityKind(
        frozenset({"combustion"}), frozenset({"CO2e"}), frozenset({"location", "fossil-generation"})
    ),
    "lifecycle-co2e": ElectricityKind(frozenset({"lifecycle"}), frozenset({"CO2e"}), frozenset({"location"})),
    "residual-mix-co2": ElectricityKind(frozenset(SCOPES), frozenset({"CO2"}), frozenset({"residual-mix"})),
    "residual-mix-co2e": ElectricityKind(frozenset(SCOPES), frozenset({"CO2e"}), frozenset({"residual-mix"})),
    "supplier-specific": ElectricityKind(frozenset(SCOPES), frozenset(GASES), frozenset({"supplier-specific"})),
}

__all__ = [
    "ALLOCATION_RULES",
    "BIOGENIC_METHODS",
    "BOUNDARIES",
    "BOUNDARY_MODULES",
    "BOUNDARY_STAGES",
    "CLAIM_TYPES",
    "CONFIDENCE",
    "DATASET_BASES",
    "DATASET_GWP_SETS",
    "DATASET_KINDS",
    "DATASET_UNITS",
    "DECLARED_GWP_SETS",
    "DECLARED_UNITS",
    "EF_SETS",
    "ELECTRICITY_ATTRIBUTES",
    "ELECTRICITY_BASES",
    "ELECTRICITY_KINDS",
    "ELECTRICITY_KIND_RULES",
    "ELECTRICITY_UNITS",
    "EN15804_MODULES",
    "FACTOR_KINDS",
    "FACTOR_UNITS",
    "GASES",
    "GWP_CSV_COLUMNS",
    "GWP_DATASET_ID",
    "GWP_SETS",
    "GWP_VALUE_KIND",
    "GWP_VALUE_UNIT",
    "INSTRUMENTS",
    "LABEL_STAGES",
    "METHANE_FOSSIL",
    "METHANE_NON_FOSSIL",
    "METHANE_ORIGINS",
    "METHANE_UNSPLIT",
    "MODULE_D",
    "MODULE_STAGES",
    "SCOPES",
    "STAGES",
    "SUPPLY_STAGES",
    "TD_LOSSES",
    "USE_STAGES",
    "VERIFICATION_LEVELS",
    "ElectricityKind",
]
