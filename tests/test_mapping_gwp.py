"""mapping.gwp: every gas and set against gwp.csv, the methane rules, hand-worked §4.2 example 1, bad input."""

from __future__ import annotations

import csv
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from mapping import orderings
from mapping.errors import MappingError
from mapping.gwp import co2e, gwp_table

SETS = {"AR4": "ar4", "AR5": "ar5", "AR5-feedback": "ar5_feedback", "AR6": "ar6"}
GASES = [
    "CO2",
    "CH4",
    "CH4-fossil",
    "CH4-non-fossil",
    "N2O",
    "SF6",
    "NF3",
    "CF4",
    "C2F6",
    "HFC-134a",
    "HFC-32",
    "HFC-125",
    "HFC-23",
    # added in issue 20 (each row names its source; the domain table does not hold them yet)
    "HFC-143a",
    "HFC-152a",
    "HFC-227ea",
    "HFC-245fa",
    "HCFC-22",
    "HFO-1234yf",
    "C3F8",
    "c-C4F8",
]
ISSUE_20_GASES = GASES[13:]
SHARED = Path("/work/shared/domain/gwp.csv")


def _csv_rows() -> dict[str, dict[str, str]]:
    text = (resources.files("mapping") / "data" / "gwp.csv").read_text(encoding="utf-8")
    return {r["id"]: r for r in csv.DictReader(text.splitlines())}


def test_table_is_the_domain_table_verbatim_then_the_issue_20_rows() -> None:
    if not SHARED.exists():
        pytest.skip("shared domain folder not present")
    package = (resources.files("mapping") / "data" / "gwp.csv").read_bytes()
    shared = SHARED.read_bytes()
    assert package.startswith(shared)
    added = [r["id"] for r in csv.DictReader(package[len(shared) :].decode("utf-8").splitlines(), fieldnames=["id"])]
    assert added == ISSUE_20_GASES


def test_table_lists_every_gas() -> None:
    assert [r.id for r in gwp_table()] == GASES
    assert all(r.source for r in gwp_table())


@pytest.mark.parametrize("gwp_set", list(SETS))
@pytest.mark.parametrize("gas", GASES)
def test_co2e_of_one_kg_is_the_csv_value(gas: str, gwp_set: str) -> None:
    rows = _csv_rows()
    cell = rows[gas][SETS[gwp_set]]
    if not cell and gas == "HFO-1234yf":  # only AR6 gives a number (AR5 prints "<1"): a blank is an error
        with pytest.raises(MappingError) as e:
            co2e({gas: Decimal(1)}, gwp_set)
        assert e.value.code == "mapping.gwp_missing"
        return
    if not cell:  # AR4 has no methane origin split: both origins take its one methane value
        assert gwp_set == "AR4" and gas in ("CH4-fossil", "CH4-non-fossil")
        cell = rows["CH4"]["ar4"]
    assert co2e({gas: Decimal(1)}, gwp_set) == Decimal(cell)
    assert co2e({gas: Decimal("2.5")}, gwp_set) == Decimal("2.5") * Decimal(cell)


def test_table_values_parse_as_decimal_or_none() -> None:
    rows = _csv_rows()
    for row in gwp_table():
        for s, col in SETS.items():
            cell = rows[row.id][col]
            assert row.values[s] == (Decimal(cell) if cell else None)


def test_hand_worked_example_1() -> None:
    # schemes.md §4.2 example 1: CO2 100 kg; CH4 (fossil) 2 kg; N2O 0.5 kg; HFC-134a 0.01 kg
    m = {"CO2": Decimal("100"), "CH4-fossil": Decimal("2"), "N2O": Decimal("0.5"), "HFC-134a": Decimal("0.01")}
    assert co2e(m, "AR4") == Decimal("313.3")  # 100 + 2×25 + 0.5×298 + 0.01×1430 = 100 + 50 + 149 + 14.3
    assert co2e(m, "AR5") == Decimal("305.5")  # 100 + 2×30 + 0.5×265 + 0.01×1300 = 100 + 60 + 132.5 + 13
    assert co2e(m, "AR5-feedback") == Decimal("336.49")  # 100 + 72 + 149 + 15.49
    assert co2e(m, "AR6") == Decimal("311.4")  # 100 + 59.6 + 136.5 + 15.3
    unknown = {**m, "CH4": m["CH4-fossil"]}
    del unknown["CH4-fossil"]
    assert co2e(unknown, "AR6") == Decimal("307.6")  # 100 + 2×27.9 + 136.5 + 15.3


def test_minus_one_plus_one_gives_non_fossil_methane_the_fossil_value() -> None:
    one = {"CH4-non-fossil": Decimal(1)}
    assert co2e(one, "AR6") == Decimal("27.0")
    assert co2e(one, "AR6", biogenic_method="-1/+1") == Decimal("29.8")
    assert co2e(one, "AR5", biogenic_method="-1/+1") == Decimal("30")
    assert co2e(one, "AR4", biogenic_method="-1/+1") == Decimal("25")
    assert co2e({"CH4": Decimal(1)}, "AR6", biogenic_method="-1/+1") == Decimal("27.9")


@pytest.mark.parametrize(
    ("masses", "gwp_set", "kw", "code"),
    [
        ({"CO2": Decimal(1)}, "AR3", {}, "mapping.unknown_gwp_set"),
        ({"CO2": Decimal(1)}, "EF3.1", {}, "mapping.unknown_gwp_set"),
        ({"HFC-41": Decimal(1)}, "AR6", {}, "mapping.unknown_gas"),
        ({"CO2": 1.5}, "AR6", {}, "mapping.bad_quantity"),
        ({"CO2": Decimal("NaN")}, "AR6", {}, "mapping.bad_quantity"),
        ({"CO2": Decimal(1)}, "AR6", {"biogenic_method": "+1/-1"}, "mapping.unknown_biogenic_method"),
    ],
)
def test_bad_input_raises(masses: dict, gwp_set: str, kw: dict, code: str) -> None:
    with pytest.raises(MappingError) as e:
        co2e(masses, gwp_set, **kw)
    assert e.value.code == code


def test_orderings() -> None:
    assert orderings.GWP_SETS == ("AR4", "AR5", "AR5-feedback", "AR6")
    assert orderings.BOUNDARIES == ("gate-to-gate", "cradle-to-gate", "cradle-to-grave")
    assert orderings.VERIFICATION_LEVELS == ("none", "limited", "reasonable")
    assert orderings.rank("gwp_sets", "AR6") == 3
    assert orderings.rank("BOUNDARIES", "gate-to-gate") == 0
    assert orderings.rank("verification_levels", "limited") == 1
    with pytest.raises(MappingError):
        orderings.rank("gwp_sets", "AR3")
    with pytest.raises(MappingError):
        orderings.rank("colours", "red")


def test_rows_read_by_column() -> None:
    row = gwp_table()[2]
    assert row["id"] == "CH4-fossil" and row["AR4"] is None and row["AR6"] == Decimal("29.8")
    assert row.to_dict()["values"]["AR6"] == "29.8"
