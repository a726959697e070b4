"""Issue 20's GWP rows: each gas and set against the values read from the digitised IPCC tables, the blanks that
no source confirmed, and a worked re-characterization with refrigerants."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mapping.errors import MappingError
from mapping.gwp import co2e, gwp_table

# (AR4 Table 2.14, AR5 Table 8.A.1, AR5 with cc-fb Table 8.SM.16, AR6 Table 7.SM.7) as read from
# openclimatedata/globalwarmingpotentials (AR4/AR5) and chrisroadmap/ar6 7.SM.7 (AR6); None = left blank.
ROWS = {
    "HFC-143a": ("4470", "4800", "5508", "5810"),
    "HFC-152a": ("124", "138", "167", "164"),
    "HFC-227ea": ("3220", "3350", "3860", "3600"),
    "HFC-245fa": ("1030", "858", "1032", "962"),
    "HCFC-22": ("1810", "1760", "2106", "1960"),
    "HFO-1234yf": (None, None, None, "0.501"),
    "C3F8": ("8830", "8900", "9878", "9290"),
    "c-C4F8": ("10300", "9540", "10592", "10200"),
}
SETS = ("AR4", "AR5", "AR5-feedback", "AR6")


@pytest.mark.parametrize("gas", list(ROWS))
def test_added_row_values_and_sources(gas: str) -> None:
    row = next(r for r in gwp_table() if r.id == gas)
    assert [row.values[s] for s in SETS] == [None if v is None else Decimal(v) for v in ROWS[gas]]
    assert "issue 20" in row.source and "7.SM.7" in row.source
    if gas != "HFO-1234yf":
        assert "Table 2.14" in row.source and "8.A.1" in row.source


@pytest.mark.parametrize("gwp_set", ["AR4", "AR5", "AR5-feedback"])
def test_hfo_1234yf_has_no_value_before_ar6_and_none_is_guessed(gwp_set: str) -> None:
    with pytest.raises(MappingError) as e:
        co2e({"HFO-1234yf": Decimal(1)}, gwp_set)
    assert e.value.code == "mapping.gwp_missing"


def test_a_refrigerant_leak_recharacterized_by_hand() -> None:
    # 0.5 kg HFC-143a + 0.5 kg HFC-125 (an R-507A-like charge) + 0.2 kg HCFC-22 + 1 kg HFO-1234yf
    masses = {"HFC-143a": Decimal("0.5"), "HFC-125": Decimal("0.5"), "HCFC-22": Decimal("0.2")}
    assert co2e(masses, "AR4") == Decimal("4347")  # 2235 + 1750 + 362
    assert co2e(masses, "AR5") == Decimal("4337")  # 2400 + 1585 + 352
    assert co2e({**masses, "HFO-1234yf": Decimal(1)}, "AR6") == Decimal("5167.501")  # 2905 + 1870 + 392 + 0.501


def test_a_label_may_state_the_new_gases() -> None:
    """The label schema admits every gas the GWP table has a row for (an appliance's R-22 or R-1234yf charge)."""
    from mapping.footprint import Footprint
    from mapping.gwp import gas_ids
    from verifier import schemas

    schema = schemas.load_schema("label-record")
    enum = schema["properties"]["footprint"]["properties"]["stages"]["additionalProperties"]["properties"]["masses_kg"][
        "propertyNames"
    ]["enum"]
    assert set(enum) == set(gas_ids())
    from .helpers import midea_label

    label = midea_label()
    label["footprint"]["stages"]["end-of-life"]["masses_kg"]["HCFC-22"] = "0.01"
    for key in ("pcfExcludingBiogenicUptake", "pcfIncludingBiogenicUptake"):
        label["footprint"][key] = str(Decimal(label["footprint"][key]) + Decimal("17.60"))  # 0.01 kg x 1760 (AR5)
    label["footprint"]["pcf"]["value"] = label["footprint"]["pcfExcludingBiogenicUptake"]
    schemas.validate("label-record", label)
    assert Footprint.from_label(label).stages["end-of-life"].co2e("AR5") > Decimal("108.45")
