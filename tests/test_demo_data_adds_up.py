"""Issue 20, item 6: "each demo label's numbers add up from its own stage × gas masses and cited factors; each
product's CPC code, mass and footprint are plausible for the product". Every label the demo issues is recomputed
here from its own data, with the shipped datasets it cites (ledger/demo_records.py holds the arithmetic)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ledger.demo_records import bulk_record, current_record, hk_record, huzhou_record, midea_record
from ledger.reference_data import REFERENCE_PUBLISHER, shipped_datasets, shipped_releases
from mapping.gwp import co2e
from mapping.vocabulary import ELECTRICITY_UNITS
from verifier import citations, schemas
from verifier.citations_published import label_findings

TODAY = date(2026, 12, 2)
# the factor tables, and each release-digest dataset at its newest release (what the demo cites)
BODIES = {d["id"]: d for d in [*shipped_datasets(), *shipped_releases()]}
# dataset id -> (version, a stand-in entry id): the demo cites what the log holds; here each body is "held" under it
ENTRIES = {dataset_id: (body["version"], f"{i:064x}") for i, (dataset_id, body) in enumerate(sorted(BODIES.items()))}
HELD = {
    entry: {"publisher": REFERENCE_PUBLISHER, "dataset": BODIES[dataset_id]}
    for dataset_id, (_, entry) in ENTRIES.items()
}

# UN CPC Ver. 2.1 codes and what they classify.
CPC = {
    # source: worldoftaxonomy.com/crosswalks/cpc_v21/43912/hs_2022: CPC v2.1 43912 "Air-conditioning machines",
    # official equivalences HS 841510 (split-system, window or wall), 841520, 841581-841583
    "43912": ("Air-conditioning machines", "air conditioner"),
    # source: 121-export.com/classifications/cpc/v2-1/4481: CPC v2.1 class 4481 "Domestic electric appliances;
    # non-electric refrigerators and clothes drying machines" (the kettle's subclass was not confirmed: the class)
    "4481": ("Domestic electric appliances; non-electric refrigerators and clothes drying machines", "kettle"),
    # source: tiangong-lca/tidas-sdk @036a5599 sdks/typescript/src/types/tidas_flows_product_category.ts, the TIDAS
    # flow product categories, which follow CPC v2.1 (their 4481 reads as above): 38111 "Seats, primarily with
    # metal frames"
    "38111": ("Seats, primarily with metal frames", "chair"),
}
# kg per declared unit (one piece) a product of the kind can weigh: a split air conditioner (indoor and outdoor
# unit) some tens of kg, a 1.7 l kettle about a kilogram, an office swivel chair some 8 to 25 kg
MASS_KG = {
    "air conditioner": (Decimal(20), Decimal(80)),
    "kettle": (Decimal("0.5"), Decimal("2.5")),
    "chair": (Decimal(8), Decimal(25)),
}


def _labels() -> list[dict[str, Any]]:
    return [
        midea_record(ENTRIES),
        current_record(ENTRIES, TODAY),
        hk_record(ENTRIES, TODAY),
        huzhou_record(ENTRIES, TODAY),
        *(bulk_record(i) for i in (0, 1, 57, 119)),
    ]


LABELS = _labels()


def _stage_total(stage: dict[str, Any], gwp_set: str) -> Decimal:
    masses = {gas: Decimal(m) for gas, m in stage.get("masses_kg", {}).items()}
    return co2e(masses, gwp_set) + Decimal(stage.get("other_co2e_kg", "0"))


@pytest.mark.parametrize("label", LABELS, ids=lambda rec: rec["label_id"])
def test_each_demo_label_adds_up_from_its_own_stages(label: dict[str, Any]) -> None:
    schemas.validate("label-record", label)
    fp = label["footprint"]
    [gwp_set] = fp["ipccCharacterizationFactors"]
    total = sum((_stage_total(st, gwp_set) for st in fp["stages"].values()), Decimal(0))
    assert Decimal(fp["pcf"]["value"]) == total, (label["label_id"], total)
    assert Decimal(fp["pcfExcludingBiogenicUptake"]) == total == Decimal(fp["pcfIncludingBiogenicUptake"])
    if "fossilGhgEmissions" in fp:
        assert Decimal(fp["fossilGhgEmissions"]) == total


@pytest.mark.parametrize("label", LABELS, ids=lambda rec: rec["label_id"])
def test_each_supply_is_inside_its_stage_at_the_factor_it_states(label: dict[str, Any]) -> None:
    """kWh × factor sits in the supply's stage: in its CO2 mass for a CO2-only factor, in its CO2e remainder for a
    CO2e factor; the use stage holds its electricity and nothing else of those (its other gas is refrigerant)."""
    fp = label["footprint"]
    for supply in fp["electricity"]:
        factor = supply["factor"]
        gases, scale = ELECTRICITY_UNITS[factor["unit"]]
        kg = Decimal(supply["kwh"]) * Decimal(factor["value"]) * scale
        stage = fp["stages"][supply["stage"]]
        held = Decimal(
            stage.get("masses_kg", {}).get("CO2", "0") if gases == "CO2" else stage.get("other_co2e_kg", "0")
        )
        assert kg <= held, (label["label_id"], supply["stage"], kg, held)
        if supply["stage"] == "use":
            assert kg == held, (label["label_id"], kg, held)


@pytest.mark.parametrize("label", [rec for rec in LABELS if rec["cites"]], ids=lambda rec: rec["label_id"])
def test_each_cited_factor_is_the_signed_one_and_was_published_before_the_label(label: dict[str, Any]) -> None:
    citations.check_label_citations(label)
    for cite in label["cites"]:
        result = citations.check_citation(cite, HELD[cite["entry"]], "current", label, entry_id=cite["entry"])
        assert (result.status, result.findings) == ("matched", ()), result
    assert label_findings(label, HELD.get) == []


def test_the_midea_label_no_longer_cites_a_factor_published_after_it() -> None:
    """The 2021 CO2 factor 0.5568 was published on 2024-04-12 (schemes.md §3 [S24]): a label citing it is dated
    after that (2024-06-28), and the 2022 factor (2024-12-20 [S24]) was not yet out."""
    midea = midea_record(ENTRIES)
    assert {c["key"] for c in midea["cites"]} == {"CN/2021"}
    assert date(2024, 4, 12) <= date.fromisoformat(midea["issued_at"]) < date(2024, 12, 20)
    # the same label dated as the first Guangdong batch (2022-06-28, [S13]) is what the rule flags
    backdated = dict(midea, issued_at="2022-06-28")
    assert [f["code"] for f in label_findings(backdated, HELD.get)] == ["citation.published_after_issue"]


@pytest.mark.parametrize("label", LABELS, ids=lambda rec: rec["label_id"])
def test_each_cpc_code_belongs_to_the_product_and_its_mass_is_plausible(label: dict[str, Any]) -> None:
    product = label["product"]
    category = product["category"]
    assert category["system"] == "cpc"
    title, kind = CPC[category["code"]]
    assert kind in product["name"].lower(), (product["name"], category)
    assert category.get("name", title) == title
    low, high = MASS_KG[kind]
    assert low <= Decimal(label["footprint"]["productMassPerDeclaredUnit"]) <= high


def test_the_kettle_is_not_the_air_conditioner() -> None:
    """The Hong Kong label's kettle had the air conditioner's code, footprint and mass (issue 20)."""
    midea, kettle = midea_record(ENTRIES), hk_record(ENTRIES, TODAY)
    for path in (("product", "category", "code"), ("footprint", "pcf", "value"), ("footprint", "stages")):
        a: Any = midea
        b: Any = kettle
        for key in path:
            a, b = a[key], b[key]
        assert a != b, path
    assert Decimal(kettle["footprint"]["pcf"]["value"]) < Decimal(midea["footprint"]["pcf"]["value"]) / 5


def test_the_current_label_stages_follow_its_own_factor() -> None:
    """The current label cites the 2024 life-cycle factor 0.5777 (schemes.md §3 [S27]); its stages hold kWh × 0.5777,
    not masses computed with the Midea label's 0.5568."""
    current = current_record(ENTRIES, TODAY)
    [cite] = current["cites"]
    assert (cite["dataset"], cite["key"]) == ("cn-electricity-footprint", "CN/2024")
    stages = current["footprint"]["stages"]
    assert Decimal(stages["use"]["other_co2e_kg"]) == Decimal("5200.0") * Decimal("0.5777")
    assert "CO2" not in stages["use"].get("masses_kg", {})
