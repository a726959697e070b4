"""The demo's label records and agreement windows: illustrative data, dated relative to the day the demo runs
(so the README's commands give the same verdicts any day)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources
from typing import Any

__all__ = ["CURRENT_ID", "HK_ID", "current_record", "hk_record", "in_force_around", "midea_record"]

CURRENT_ID, HK_ID, HK = "GD-CL-2025-0101", "HK-CMA-2025-0007", "hk-cma-carbon-label"


def midea_record() -> dict[str, Any]:
    """The Midea KFR-26GW/BDN8Y-XT100(1)A label of the first Guangdong batch (footprint data illustrative)."""
    path = resources.files("ledger") / "data" / "demo" / "label_gd_midea.json"
    return json.loads(path.read_text(encoding="utf-8"))


def current_record(citation: dict[str, Any], today: date) -> dict[str, Any]:
    """A current Guangdong label (illustrative) whose electricity factor cites China's 2023 life-cycle factor."""
    rec = midea_record()
    rec["label_id"] = CURRENT_ID
    rec["product"]["name"] = "Inverter split air conditioner, 3.5 kW cooling (illustrative)"
    rec["product"]["model"] = "KFR-35GW (illustrative)"
    rec["product"]["ids"] = [{"system": "gtin", "value": "06932233000028"}]
    rec["footprint"]["electricity"] = [
        {
            "kwh": "58.4",
            "basis": "location",
            "instrument": "none",
            "factor": {
                "value": "0.6205",
                "unit": "kgCO2e/kWh",
                "kind": "lifecycle-co2e",
                "year": 2023,
                "geography": "CN",
                "td_losses_included": True,
                "citation": citation,
            },
        }
    ]
    rec["footprint"]["referencePeriodStart"], rec["footprint"]["referencePeriodEnd"] = "2024-01-01", "2024-12-31"
    rec["cites"] = [citation]
    rec["verification"]["statement_id"] = "CQC-GZ-CFP-2025-0101 (illustrative)"
    with_pact_totals(rec)
    # The demo stays valid whatever day it runs: issued three months ago, for three years.
    issued = today - timedelta(days=90)
    rec["verification"]["date"] = (issued - timedelta(days=9)).isoformat()
    rec["issued_at"], rec["valid_until"] = issued.isoformat(), (issued + timedelta(days=3 * 365)).isoformat()
    return rec


def with_pact_totals(rec: dict[str, Any]) -> None:
    """The two totals PACT v3 requires (so the demo's current labels export as ProductFootprints): every gas in
    the demo's stages is fossil (biogenic method 0/0, no biogenic gas), so the fossil emissions are the total
    excluding uptake; the fossil carbon content of the unit's plastics is an illustrative figure, said so."""
    fp = rec["footprint"]
    fp["fossilGhgEmissions"] = fp["pcfExcludingBiogenicUptake"]
    fp["fossilCarbonContent"] = "8.0"
    rec["comment"] = "Demo data (illustrative): fossilCarbonContent is an illustrative figure, not a measurement."


def hk_record(today: date) -> dict[str, Any]:
    rec = midea_record()
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
        "category": {"system": "cpc", "code": "44821"},
        "manufacturer": {"name": "Example Hong Kong Appliances Ltd. (illustrative)", "country": "HK"},
        "production_site": {"country": "CN", "region": "CN-GD", "grid_region": "CN-South"},
    }
    rec["methodology"]["profile"] = {"id": HK, "version": "1"}
    rec["verification"] = {
        "level": "limited",
        "body": {
            "name": "CMA Testing and Certification Laboratories",
            "name_zh": "香港中華廠商聯合會檢定中心",
            "country": "HK",
        },
        "accreditation": {"body": "HKAS", "standard": "ISO 14065:2020"},  # illustrative, as the gd-hk-mutual terms ask
        "standard": "ISO 14064-3:2019",
        "statement_id": "CMA-CFP-2025-0007 (illustrative)",
        "date": (issued - timedelta(days=4)).isoformat(),
    }
    with_pact_totals(rec)
    return rec


def in_force_around(terms: dict[str, Any], today: date) -> dict[str, Any]:
    """The shipped (illustrative) terms with a window around the day the demo runs — from a year before to five
    years after — so the README's commands give the same verdicts any day."""
    return dict(
        terms,
        valid_from=(today - timedelta(days=365)).isoformat(),
        valid_until=(today + timedelta(days=5 * 365)).isoformat(),
    )
