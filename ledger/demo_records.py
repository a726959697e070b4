"""The demo's label records and agreement windows: illustrative data, dated relative to the day the demo runs
(so the README's commands give the same verdicts any day).

Issue 20, item 6: "each demo label's numbers add up from its own stage × gas masses and cited factors; each
product's CPC code, mass and footprint are plausible for the product". So every label here states its own
stage × gas masses (kg per declared unit, IPCC AR5 GWP100 as its ``ipccCharacterizationFactors`` say), every
electricity supply names its stage and cites the shipped factor it used — one published before the label's
``issued_at`` — and the stage holding a supply's kWh holds at least kWh × factor (all of it for the use stage):
in its CO2 mass for a CO2-only factor, in its CO2e remainder (``other_co2e_kg``) for a CO2e factor, whose gases
and GWP set the publisher does not split. tests/test_demo_data_adds_up.py recomputes every total.

CPC codes are UN CPC Ver. 2.1: 43912 "Air-conditioning machines" (the CPC 2.1 → HS 2022 crosswalk maps it to HS
8415.10, split-system air conditioners; worldoftaxonomy.com/crosswalks/cpc_v21/43912/hs_2022) and class 4481
"Domestic electric appliances; non-electric refrigerators and clothes drying machines" for the electric kettle
(121-export.com/classifications/cpc/v2-1/4481; the subclass within it was not confirmed from a source read, so
the class is given), and subclass 38111 "Seats, primarily with metal frames" for the Huzhou office chair (the
TIDAS flow product categories, which follow CPC Ver. 2.1 — their 4481 reads as above: tiangong-lca/tidas-sdk
@036a5599 sdks/typescript/src/types/tidas_flows_product_category.ts).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from .bench import realistic_label

__all__ = [
    "CURRENT_ID",
    "HK_ID",
    "HUZHOU_ID",
    "MIDEA_ID",
    "TIANGONG_DATASET",
    "DatasetEntries",
    "bulk_record",
    "citation",
    "current_record",
    "hk_record",
    "huzhou_record",
    "midea_record",
    "shipped_terms",
]

CURRENT_ID, HK_ID, MIDEA_ID, HUZHOU_ID, HK, GD, HZ = (
    "GD-CL-2025-0101",
    "HK-CMA-2025-0007",
    "GD-CL-2024-0003",
    "HZ-CL-2025-0001",
    "hk-cma-carbon-label",
    "gd-carbon-label",
    "cn-huzhou-carbon-label",
)
TIANGONG_DATASET = "tiangong-lca-data"  # the shipped (illustrative) release digests, ledger/data/datasets/
AIR_CONDITIONER = {"system": "cpc", "code": "43912", "name": "Air-conditioning machines"}
DatasetEntries = Mapping[str, tuple[int, str]]
"""dataset id -> (version, entry id) of the ``dataset.publish`` the log holds (the shipped reference data)."""


def citation(entries: DatasetEntries, dataset: str, key: str) -> dict[str, Any]:
    """The citation of value ``key`` of ``dataset`` as the log holds it."""
    version, entry = entries[dataset]
    return {"dataset": dataset, "version": version, "entry": entry, "key": key}


def _cite_supplies(rec: dict[str, Any], cites: list[dict[str, Any]]) -> None:
    """Each supply's factor cites ``cites[i]``; the label's ``cites`` lists each once."""
    for supply, cite in zip(rec["footprint"]["electricity"], cites, strict=True):
        supply["factor"]["citation"] = dict(cite)
    rec["cites"] = [dict(c) for i, c in enumerate(cites) if c not in cites[:i]]


def _supply(kwh: str, stage: str, basis: str, **factor: Any) -> dict[str, Any]:
    """An electricity supply as a label states it (the factor's citation is added by :func:`_cite_supplies`)."""
    return {"kwh": kwh, "stage": stage, "basis": basis, "instrument": "none", "factor": factor}


def _totals(rec: dict[str, Any], pcf: str) -> None:
    fp = rec["footprint"]
    fp["pcf"]["value"] = fp["pcfExcludingBiogenicUptake"] = fp["pcfIncludingBiogenicUptake"] = pcf


def midea_record(entries: DatasetEntries) -> dict[str, Any]:
    """The Midea KFR-26GW/BDN8Y-XT100(1)A label (footprint data illustrative), issued 2024-06-28 for reference
    year 2023: then the newest national CO2 factor was 2021's 0.5568 kgCO2/kWh, published 2024-04-12 (the 2022
    one came on 2024-12-20). 58.4 kWh of factory electricity give 32.51712 of production's 38.2 kg CO2; the
    10-year use, 3858.8 kWh, gives the use stage's 2148.57984 kg CO2 (its other gas, HFC-32, is refrigerant
    leakage). Total (AR5): 348.165 + 48.089 + 12.406 + 2182.42984 + 108.45 = 2699.53984 kg CO2e."""
    path = resources.files("ledger") / "data" / "demo" / "label_gd_midea.json"
    rec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    grid = citation(entries, "cn-grid-co2", "CN/2021")
    _cite_supplies(rec, [grid, grid])
    return rec


def current_record(entries: DatasetEntries, today: date) -> dict[str, Any]:
    """A current Guangdong label of a 3.5 kW unit (illustrative), reference year 2024, whose electricity is at
    China's 2024 life-cycle footprint factor 0.5777 kgCO2e/kWh (published October 2025): 64.0 kWh in production
    (36.9728 kg CO2e) and 5200.0 kWh over 10 years of use (3004.04 kg CO2e), both in their stage's CO2e
    remainder. Total (AR5): 386.795 + 54.5158 + 13.706 + 3044.66 + 122.79 = 3622.4668 kg CO2e."""
    rec = midea_record(entries)
    rec["label_id"] = CURRENT_ID
    rec["product"]["name"] = "Inverter split air conditioner, 3.5 kW cooling (illustrative)"
    rec["product"]["model"] = "KFR-35GW (illustrative)"
    rec["product"]["ids"] = [{"system": "gtin", "value": "06932233000028"}]
    fp = rec["footprint"]
    fp["productMassPerDeclaredUnit"] = "41.0"
    fp["stages"] = {
        "raw-materials": {"masses_kg": {"CO2": "345.0", "CH4-fossil": "1.02", "N2O": "0.023"}, "other_co2e_kg": "5.1"},
        "production": {
            "masses_kg": {"CO2": "6.3", "CH4-fossil": "0.05", "N2O": "0.001", "HFC-32": "0.014"},
            "other_co2e_kg": "36.9728",  # 64.0 kWh × 0.5777
        },
        "distribution": {"masses_kg": {"CO2": "13.6", "N2O": "0.0004"}},
        "use": {"masses_kg": {"HFC-32": "0.06"}, "other_co2e_kg": "3004.04"},  # 5200.0 kWh × 0.5777
        "end-of-life": {"masses_kg": {"CO2": "6.8", "HFC-32": "0.17"}, "other_co2e_kg": "0.9"},
    }
    factor = {"value": "0.5777", "unit": "kgCO2e/kWh", "kind": "lifecycle-co2e", "year": 2024, "geography": "CN"}
    fp["electricity"] = [
        _supply(kwh, stage, "location", **factor, td_losses_included=True)
        for kwh, stage in (("64.0", "production"), ("5200.0", "use"))
    ]
    footprint = citation(entries, "cn-electricity-footprint", "CN/2024")
    _cite_supplies(rec, [footprint, footprint])
    _totals(rec, "3622.46680")
    fp["referencePeriodStart"], fp["referencePeriodEnd"] = "2024-01-01", "2024-12-31"
    rec["verification"]["statement_id"] = "CQC-GZ-CFP-2025-0101 (illustrative)"
    with_pact_totals(rec, "8.0")
    # The demo stays valid whatever day it runs: issued three months ago, for three years.
    issued = today - timedelta(days=90)
    rec["verification"]["date"] = (issued - timedelta(days=9)).isoformat()
    rec["issued_at"], rec["valid_until"] = issued.isoformat(), (issued + timedelta(days=3 * 365)).isoformat()
    return rec


def with_pact_totals(rec: dict[str, Any], fossil_carbon_kg: str) -> None:
    """The two totals PACT v3 requires (so the demo's current labels export as ProductFootprints): every gas in
    the demo's stages is fossil (biogenic method 0/0, no biogenic gas), so the fossil emissions are the total
    excluding uptake; the fossil carbon content of the product's plastics is an illustrative figure, said so."""
    fp = rec["footprint"]
    fp["fossilGhgEmissions"] = fp["pcfExcludingBiogenicUptake"]
    fp["fossilCarbonContent"] = fossil_carbon_kg
    rec["comment"] = "Demo data (illustrative): fossilCarbonContent is an illustrative figure, not a measurement."


def hk_record(entries: DatasetEntries, today: date) -> dict[str, Any]:
    """A Hong Kong label of a 1.7 l electric kettle (illustrative) of 1.1 kg, made in Guangdong and used in Hong
    Kong: 2.5 kWh in production at the Southern grid's 2023 CO2 factor 0.4042 (1.0105 of production's 1.1305 kg
    CO2) and 600 kWh over five years of use at CLP's 2019 intensity 0.49 kgCO2/kWh (the use stage's 294.0 kg CO2;
    CLP's later values were not found, schemes.md §3). Total (AR5): 7.196 + 1.1605 + 0.42 + 294.0 + 0.2 =
    302.9765 kg CO2e."""
    rec = midea_record(entries)
    issued = today - timedelta(days=30)
    rec.update(
        label_id=HK_ID,
        scheme=HK,
        issued_at=issued.isoformat(),
        valid_until=(issued + timedelta(days=2 * 365)).isoformat(),
    )
    rec["product"] = {
        "name": "Electric kettle, 1.7 l (illustrative)",
        "name_zh": "電熱水壺（示例）",
        "model": "EK-17 (illustrative)",
        "category": {
            "system": "cpc",
            "code": "4481",
            "name": "Domestic electric appliances; non-electric refrigerators and clothes drying machines",
        },
        "manufacturer": {"name": "Example Hong Kong Appliances Ltd. (illustrative)", "country": "HK"},
        "production_site": {"country": "CN", "region": "CN-GD", "grid_region": "CN-South"},
    }
    fp = rec["footprint"]
    fp["productMassPerDeclaredUnit"] = "1.1"
    fp["stages"] = {
        "raw-materials": {"masses_kg": {"CO2": "6.2", "CH4-fossil": "0.018", "N2O": "0.0004"}, "other_co2e_kg": "0.35"},
        "production": {"masses_kg": {"CO2": "1.1305", "CH4-fossil": "0.001"}},  # 2.5 kWh × 0.4042 + 0.12 on site
        "distribution": {"masses_kg": {"CO2": "0.42"}},
        "use": {"masses_kg": {"CO2": "294.0"}},  # 600 kWh × 0.49
        "end-of-life": {"masses_kg": {"CO2": "0.15"}, "other_co2e_kg": "0.05"},
    }
    south_grid = {
        "value": "0.4042",
        "unit": "kgCO2/kWh",
        "kind": "combustion-co2",
        "year": 2023,
        "geography": "CN-South",
    }
    clp = {"value": "0.49", "unit": "kgCO2/kWh", "kind": "supplier-specific", "year": 2019, "geography": "HK"}
    fp["electricity"] = [
        _supply("2.5", "production", "location", **south_grid),
        _supply("600", "use", "supplier-specific", **clp),
    ]
    south = citation(entries, "cn-regional-grid-co2", "CN-South/2023")
    _cite_supplies(rec, [south, citation(entries, "hk-utilities-electricity", "HK/CLP/2019")])
    _totals(rec, "302.9765")
    fp["referencePeriodStart"], fp["referencePeriodEnd"] = "2024-01-01", "2024-12-31"
    rec["methodology"]["profile"] = {"id": HK, "version": "1"}
    rec["methodology"]["pcr"] = "CMA Testing carbon label rules for household electrical appliances (illustrative)"
    rec["verification"] = {
        "level": "limited",
        "body": {
            "name": "CMA Testing and Certification Laboratories",
            "name_zh": "香港中華廠商聯合會檢定中心",
            "country": "HK",
        },
        "statement_id": "CMA-CFP-2025-0007 (illustrative)",
        "date": (issued - timedelta(days=4)).isoformat(),
    }
    with_pact_totals(rec, "0.2")
    return rec


def huzhou_record(entries: DatasetEntries, today: date) -> dict[str, Any]:
    """A Huzhou carbon label of an office swivel chair with a metal frame (illustrative), 14.5 kg, cradle to gate:
    chairs are among Huzhou's pilot export sectors, and Huzhou merges green-product, low-carbon and carbon-label
    certification (schemes.md §2.13 [S15]), so the label carries the product's green-product and low-carbon
    certificates in ``certifications`` (illustrative: no certificate was read). Its materials' factors come from
    the TianGong LCA database, whose release it cites by signed digest (the newest shipped release, illustrative)
    beside naming it in ``secondaryEmissionFactorSources``; its factory electricity, 9.6 kWh, is at China's 2024
    life-cycle footprint factor 0.5777 kgCO2e/kWh (5.54592 kg CO2e, production's CO2e remainder). Total (AR5):
    48.6 + 0.11 × 30 + 0.004 × 265 + 1.9 = 54.86 (raw materials) + 1.2 + 0.002 × 30 + 5.54592 = 6.80592
    (production) = 61.66592 kg CO2e."""
    rec = midea_record(entries)
    issued = today - timedelta(days=60)
    rec.update(label_id=HUZHOU_ID, scheme=HZ, issued_at=issued.isoformat())
    rec["valid_until"] = (issued + timedelta(days=3 * 365)).isoformat()  # the scheme's validity is [?]: illustrative
    rec["product"] = {
        "name": "Office swivel chair, metal frame (illustrative)",
        "name_zh": "金属框架办公转椅（示例）",
        "model": "HZ-OC-01 (illustrative)",
        "category": {"system": "cpc", "code": "38111", "name": "Seats, primarily with metal frames"},
        "manufacturer": {
            "name": "Example Huzhou Furniture Co., Ltd. (illustrative)",
            "name_zh": "示例湖州家具有限公司",
            "country": "CN",
        },
        "production_site": {"name": "Huzhou, Zhejiang", "country": "CN", "region": "CN-ZJ", "grid_region": "CN-East"},
    }
    fp = rec["footprint"]
    fp["boundary"], fp["productMassPerDeclaredUnit"] = "cradle-to-gate", "14.5"
    fp["stages"] = {
        # steel, an aluminium base, plastics, foam and fabric, at TianGong factors (illustrative)
        "raw-materials": {"masses_kg": {"CO2": "48.6", "CH4-fossil": "0.11", "N2O": "0.004"}, "other_co2e_kg": "1.9"},
        # powder-coating ovens on natural gas, and the factory's electricity: 9.6 kWh × 0.5777
        "production": {"masses_kg": {"CO2": "1.2", "CH4-fossil": "0.002"}, "other_co2e_kg": "5.54592"},
    }
    factor = {"value": "0.5777", "unit": "kgCO2e/kWh", "kind": "lifecycle-co2e", "year": 2024, "geography": "CN"}
    fp["electricity"] = [_supply("9.6", "production", "location", **factor, td_losses_included=True)]
    _cite_supplies(rec, [citation(entries, "cn-electricity-footprint", "CN/2024")])
    release = citation(entries, TIANGONG_DATASET, "tiangong-lca-data-2025-tidas-json.zip")
    rec["cites"].append(release)
    fp["secondaryEmissionFactorSources"] = [{"name": "Tiangong LCA Data", "version": "2025 (illustrative)"}]
    fp["packagingEmissionsIncluded"] = False
    _totals(rec, "61.66592")
    fp["referencePeriodStart"], fp["referencePeriodEnd"] = "2025-01-01", "2025-12-31"
    rec["methodology"] = {
        "standards": ["GB/T 24067-2024", "ISO 14067:2018"],
        "pcr": "Huzhou carbon label rules for seating furniture (illustrative)",
        "profile": {"id": HZ, "version": "1"},
    }
    body = {"name": "Huzhou product certification centre (illustrative)", "name_zh": "湖州产品认证中心（示例）",
            "country": "CN"}  # fmt: skip
    rec["verification"] = {
        "level": "reasonable",
        "body": dict(body),
        "statement_id": "HZ-CFP-2025-0001 (illustrative)",
        "date": (issued - timedelta(days=5)).isoformat(),
    }
    certified = (issued - timedelta(days=5)).isoformat()
    rec["certifications"] = [
        {
            "programme": "China green product certification",
            "programme_zh": "绿色产品认证",
            "certificate_id": "HZ-GP-2025-0001 (illustrative)",
            "body": dict(body),
            "date": certified,
            "source": "illustrative: Huzhou is the national green-product certification reform pilot city and "
            "merges green-product, low-carbon and carbon-label certification (schemes.md §2.13 [S15]); this "
            "certificate is demo data",
        },
        {
            "programme": "China low-carbon product certification",
            "programme_zh": "低碳产品认证",
            "scheme": "cn-cqc-low-carbon",
            "certificate_id": "CQC-LC-2025-0001 (illustrative)",
            "body": {
                "name": "China Quality Certification Centre (CQC)",
                "name_zh": "中国质量认证中心",
                "country": "CN",
            },
            "date": certified,
            "source": "illustrative: CQC certifies low-carbon products (profile cn-cqc-low-carbon [N1]); this "
            "certificate is demo data",
        },
    ]
    with_pact_totals(rec, "4.1")
    return rec


def bulk_record(i: int) -> dict[str, Any]:
    """The ``i``-th label of the demo's bulk Guangdong batch: the benchmark's record (ledger/bench.py) as a
    cradle-to-gate air-conditioner label (CPC 43912) whose factory electricity — 58.4 kWh at 2021's national CO2
    factor 0.5568, published 2024-04-12, before the record's issue date 2025-03-02 — is in the production stage:
    32.51712 kg CO2, added to the benchmark's total (its raw materials: CO2 + 0.1 kg N2O × 265 + 4 kg CO2e)."""
    rec = realistic_label(i)
    rec.update(scheme=GD, label_id=f"GD-CL-2025-{1000 + i:04d}")
    rec["product"]["name"] += " (illustrative)"
    rec["product"]["category"] = dict(AIR_CONDITIONER)
    fp = rec["footprint"]
    supply = fp["electricity"][0]
    supply["stage"] = "production"
    electricity_co2 = Decimal(supply["kwh"]) * Decimal(supply["factor"]["value"])
    fp["stages"]["production"]["masses_kg"]["CO2"] = str(electricity_co2)
    _totals(rec, str(Decimal(fp["pcf"]["value"]) + electricity_co2))
    return rec


def shipped_terms(name: str, today: date) -> dict[str, Any]:
    """The shipped (illustrative) terms ``mapping/data/agreements/<name>.json`` with a window around the day the
    demo runs — from a year before to five years after — so the README's commands give the same verdicts any day."""
    terms = json.loads((resources.files("mapping") / "data" / "agreements" / f"{name}.json").read_text("utf-8"))
    return dict(
        terms,
        valid_from=(today - timedelta(days=365)).isoformat(),
        valid_until=(today + timedelta(days=5 * 365)).isoformat(),
    )
