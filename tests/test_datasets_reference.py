"""Shipped reference datasets: schema-valid, tagged with source and confidence as schemes.md §3 gives them,
no value that schemes.md does not hold; the IPCC GWP dataset holds exactly gwp.csv's values."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import mapping
from ledger.reference_data import (
    GWP_DATASET_ID,
    REFERENCE_PUBLISHER,
    TRANSCRIBED_BY,
    gwp_dataset,
    gwp_dataset_from_csv,
    shipped_datasets,
)
from mapping.errors import InputError
from verifier import datasets, schemas
from verifier.envelope import MAX_ENTRY_BYTES, parse_entry

from .helpers import NOW, Signer

SHARED = Path(__file__).resolve().parents[2] / "shared" / "domain"

# key -> (value, unit, kind, year, confidence, source tag), transcribed from schemes.md §3.
EXPECTED: dict[str, dict[str, tuple[str, str, str, int, str, str]]] = {
    "cn-electricity-footprint": {
        "CN/2023": ("0.6205", "kgCO2e/kWh", "lifecycle-co2e", 2023, "secondary", "[S27]"),
        "CN/2024": ("0.5777", "kgCO2e/kWh", "lifecycle-co2e", 2024, "secondary", "[S27, secondary]"),
    },
    "cn-grid-co2": {
        "CN/2021": ("0.5568", "kgCO2/kWh", "combustion-co2", 2021, "confirmed", "[S24]"),
        "CN/2022": ("0.5366", "kgCO2/kWh", "combustion-co2", 2022, "confirmed", "[S24]"),
        "CN/2023": ("0.5306", "kgCO2/kWh", "combustion-co2", 2023, "confirmed", "[S24]"),
        "CN/2022/excluding-market-traded-non-fossil": (
            "0.5856",
            "kgCO2/kWh",
            "residual-mix-co2",
            2022,
            "confirmed",
            "[S24]",
        ),
        "CN/2023/excluding-market-traded-non-fossil": (
            "0.6096",
            "kgCO2/kWh",
            "residual-mix-co2",
            2023,
            "confirmed",
            "[S24]",
        ),
        "CN/2021/fossil-only": ("0.8426", "kgCO2/kWh", "combustion-co2", 2021, "confirmed", "[S24]"),
        "CN/2022/fossil-only": ("0.8325", "kgCO2/kWh", "combustion-co2", 2022, "confirmed", "[S24]"),
        "CN/2023/fossil-only": ("0.8273", "kgCO2/kWh", "combustion-co2", 2023, "confirmed", "[S24]"),
        "CN/2022/power-sector-reporting": ("0.5703", "tCO2/MWh", "combustion-co2", 2022, "confirmed", "[S25]"),
    },
    "cn-regional-grid-co2": {
        f"CN-{region}/{year}": (value, "kgCO2/kWh", "combustion-co2", year, "confirmed", "[S24]")
        for region, v2022, v2023 in (
            ("South", "0.3869", "0.4042"),
            ("North", "0.6776", "0.6361"),
            ("Northeast", "0.5564", "0.5122"),
            ("East", "0.5617", "0.5500"),
            ("Central", "0.5395", "0.5271"),
            ("Northwest", "0.5857", "0.5543"),
            ("Southwest", "0.2268", "0.2472"),
        )
        for year, value in ((2022, v2022), (2023, v2023))
    },
    "hk-utilities-electricity": {
        "HK/CLP/2019": ("0.49", "kgCO2/kWh", "supplier-specific", 2019, "confirmed", "[S28]"),
        "HK/HKE/2019": ("0.81", "kgCO2e/kWh", "supplier-specific", 2019, "confirmed", "[S29]"),
    },
    "uk-electricity-desnz": {
        "UK/2021": ("0.21233", "kgCO2e/kWh", "combustion-co2e", 2021, "unconfirmed", "[K]"),
        "UK/2022": ("0.19338", "kgCO2e/kWh", "combustion-co2e", 2022, "unconfirmed", "[K]"),
        "UK/2023": ("0.207074", "kgCO2e/kWh", "combustion-co2e", 2023, "confirmed", "[S31]"),
        "UK/2024": ("0.20705", "kgCO2e/kWh", "combustion-co2e", 2024, "confirmed", "[S32]"),
    },
    "eu-electricity-eea": {
        "EU-27/2018": ("281", "gCO2e/kWh", "combustion-co2e", 2018, "confirmed", "[S30]"),
    },
}


def _payload(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "dataset.publish",
        "signer": "ab" * 32,
        "seq": 0,
        "prev": "0" * 64,
        "signed_at": "2026-11-24T12:00:00Z",
        "publisher": REFERENCE_PUBLISHER,
        "dataset": body,
    }


def _gwp_csv_text() -> str | None:
    for path in (Path(mapping.__file__).parent / "data" / "gwp.csv", SHARED / "gwp.csv"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def _all_bodies() -> list[dict[str, Any]]:
    text = _gwp_csv_text()
    return shipped_datasets() + ([gwp_dataset_from_csv(text)] if text else [])


def test_shipped_dataset_ids() -> None:
    assert [d["id"] for d in shipped_datasets()] == sorted(EXPECTED)


@pytest.mark.parametrize("body", _all_bodies(), ids=lambda b: b["id"])
def test_each_dataset_validates_signs_and_fits_one_entry(body: dict[str, Any]) -> None:
    payload = _payload(body)
    schemas.validate("dataset.publish", payload)
    datasets.check_dataset(payload)
    assert body["transcribed_by"] == TRANSCRIBED_BY
    assert "not issued by the authority" in body["transcribed_by"]
    assert body["version"] == 1
    envelope = Signer().sign("dataset.publish", {"publisher": REFERENCE_PUBLISHER, "dataset": body}, now=NOW)
    assert len(envelope) <= MAX_ENTRY_BYTES
    assert parse_entry(envelope).body["dataset"] == body
    for item in body["values"]:
        assert item["source"].strip() and item["confidence"] in datasets.CONFIDENCE
        assert re.search(r"\[(S\d+|K)", item["source"]) or body["id"] == GWP_DATASET_ID, item["key"]


@pytest.mark.parametrize("dataset_id", sorted(EXPECTED))
def test_values_are_exactly_those_of_schemes_md(dataset_id: str) -> None:
    body = next(d for d in shipped_datasets() if d["id"] == dataset_id)
    got = {
        v["key"]: (v["value"], v["unit"], v["kind"], v["year"], v["confidence"], v["source"]) for v in body["values"]
    }
    assert set(got) == set(EXPECTED[dataset_id])
    for key, (value, unit, kind, year, confidence, tag) in EXPECTED[dataset_id].items():
        assert got[key][:5] == (value, unit, kind, year, confidence), key
        assert tag in got[key][5], key


def test_electricity_attributes_follow_schemes_md() -> None:
    values = {(d["id"], v["key"]): v for d in shipped_datasets() for v in d["values"]}
    footprint = values[("cn-electricity-footprint", "CN/2023")]
    assert (footprint["scope"], footprint["gases"], footprint["td_losses_included"]) == ("lifecycle", "CO2e", True)
    co2 = values[("cn-grid-co2", "CN/2022")]
    assert (co2["scope"], co2["gases"], co2["td_losses_included"], co2["gwp_set"]) == (
        "combustion",
        "CO2",
        False,
        "not-applicable",
    )
    uk = values[("uk-electricity-desnz", "UK/2023")]
    assert (uk["basis"], uk["td_losses_included"], uk["gases"]) == ("location", False, "CO2e")
    assert values[("cn-grid-co2", "CN/2023/excluding-market-traded-non-fossil")]["basis"] == "residual-mix"
    for v in values.values():
        assert v["kind"] in datasets.ELECTRICITY_KINDS
        assert all(a in v for a in datasets.ELECTRICITY_ATTRIBUTES)


def test_footprint_dataset_says_secondary_source_only() -> None:
    body = next(d for d in shipped_datasets() if d["id"] == "cn-electricity-footprint")
    assert "secondary source only" in body["description"]
    assert all(v["confidence"] == "secondary" for v in body["values"])


def test_every_shipped_value_appears_in_schemes_md_section_3() -> None:
    path = SHARED / "schemes.md"
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    text = path.read_text(encoding="utf-8")
    section = text[text.index("## 3. Grid electricity emission factors") : text.index("## 4. Reconciliation")]
    for body in shipped_datasets():
        for v in body["values"]:
            assert re.search(rf"(?<![0-9.]){re.escape(v['value'])}(?![0-9])", section), (body["id"], v["key"])


# --- the IPCC GWP dataset ----------------------------------------------------------------------------------

GWP_SAMPLE = """id,gas,formula,ar4,ar5,ar5_feedback,ar6,source
CO2,carbon dioxide,CO2,1,1,1,1,Reference gas
CH4-fossil,methane fossil,CH4,,30,36,29.8,"AR4 no split; AR5 secondary"
N2O,nitrous oxide,N2O,298,265,298,273,AR4 Table 2.14
"""


def test_gwp_dataset_from_sample() -> None:
    body = gwp_dataset_from_csv(GWP_SAMPLE)
    keys = [v["key"] for v in body["values"]]
    assert keys == [
        "CO2/AR4",
        "CO2/AR5",
        "CO2/AR5-feedback",
        "CO2/AR6",
        "CH4-fossil/AR5",
        "CH4-fossil/AR5-feedback",
        "CH4-fossil/AR6",
        "N2O/AR4",
        "N2O/AR5",
        "N2O/AR5-feedback",
        "N2O/AR6",
    ]
    by_key = {v["key"]: v for v in body["values"]}
    assert by_key["CH4-fossil/AR6"] == {
        "key": "CH4-fossil/AR6",
        "value": "29.8",
        "unit": "dimensionless",
        "kind": "gwp",
        "geography": "global",
        "name": "methane fossil",
        "gwp_set": "AR6",
        "source": "AR4 no split; AR5 secondary",
        "published": {"date": "unspecified", "year": 2021, "source": "[K] IPCC AR6 WG1 (2021)"},
        "confidence": "secondary",
    }
    assert by_key["CH4-fossil/AR5-feedback"]["confidence"] == "unconfirmed"
    assert by_key["N2O/AR4"]["confidence"] == "confirmed"
    assert (body["id"], body["transcribed_by"]) == (GWP_DATASET_ID, TRANSCRIBED_BY)
    datasets.check_dataset(_payload(body))
    assert gwp_dataset(csv.DictReader(io.StringIO(GWP_SAMPLE))) == body


def test_gwp_dataset_has_exactly_the_csv_values() -> None:
    text = _gwp_csv_text()
    if text is None:
        pytest.skip("gwp.csv is not available")
    body = gwp_dataset_from_csv(text)
    expected = {
        f"{row['id']}/{name}": row[column]
        for row in csv.DictReader(io.StringIO(text))
        for column, name in (("ar4", "AR4"), ("ar5", "AR5"), ("ar5_feedback", "AR5-feedback"), ("ar6", "AR6"))
        if row[column].strip()
    }
    got = {v["key"]: v["value"] for v in body["values"]}
    assert got == expected
    # 13 gases x 4 sets, less AR4's two methane-origin blanks, plus issue 20's 7 gases x 4 and HFO-1234yf's AR6
    assert len(got) == 79
    assert Decimal(got["CH4-fossil/AR6"]) == Decimal("29.8") and got["SF6/AR6"] == "25200"
    assert {v["gwp_set"] for v in body["values"]} == {"AR4", "AR5", "AR5-feedback", "AR6"}
    unconfirmed = [v["key"] for v in body["values"] if v["confidence"] != "confirmed"]
    assert sorted(unconfirmed) == sorted(
        f"{gas}/{s}" for gas in ("CH4-fossil", "CH4-non-fossil") for s in ("AR5", "AR5-feedback", "AR6")
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("id,gas,ar4,ar5,ar6,source\nCO2,c,1,1,1,x\n", "row 1, column ar5_feedback"),
        ("id,gas,formula,ar4,ar5,ar5_feedback,ar6,source\nCO2,c,CO2,1,1,1,1.0e0,x\n", "row 2, column ar6"),
        ("id,gas,formula,ar4,ar5,ar5_feedback,ar6,source\nCO2,c,CO2,1,-1,1,1,x\n", "row 2, column ar5"),
        ("id,gas,formula,ar4,ar5,ar5_feedback,ar6,source\nCO2,c,CO2,1,1,1,1,\n", "row 2, column source"),
        ("id,gas,formula,ar4,ar5,ar5_feedback,ar6,source\n", "row 2"),
    ],
)
def test_gwp_csv_errors_name_row_and_column(text: str, field: str) -> None:
    with pytest.raises(InputError) as e:
        gwp_dataset_from_csv(text)
    assert (e.value.code, e.value.field) == ("dataset.import_invalid", field)
