"""Issue 20 item 2, hand-worked: electricity by stage (re-basing per supply and per stage, so a later trim removes
exactly the use-stage adjustment), the use stage re-based to the grid of the market of use, and EN 15804 modules
as stages (trimming a cradle-to-grave EPD to A1–A3, module D apart)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from mapping.conversions import (
    CONVERSIONS,
    apply_steps,
    rebase_electricity,
    rebase_use_stage,
    recharacterize_gwp,
    trim_boundary,
)
from mapping.errors import MappingError
from mapping.footprint import Footprint
from mapping.planner import plan_conversion
from mapping.profiles import get_profile, validate_profile
from verifier.equivalence_offline import KNOWN_CONVERSIONS, convert_steps
from verifier.schemas import validate

from .test_mapping_helpers import simple_label, with_footprint

ENTRY = "cd" * 32


def factor(value: str, unit: str, kind: str, year: int, geography: str, dataset: str, key: str) -> dict[str, Any]:
    return {
        "value": value,
        "unit": unit,
        "kind": kind,
        "year": year,
        "geography": geography,
        "source": {"dataset": dataset, "version": 1, "entry": ENTRY, "key": key},
    }


# MEE/NBS national average CO2 factors (schemes.md §3 [S24]): combustion CO2 only, location-based.
CN_2021 = factor("0.5568", "kgCO2/kWh", "combustion-co2", 2021, "CN", "cn-grid-co2", "CN/2021")
CN_2022 = factor("0.5366", "kgCO2/kWh", "combustion-co2", 2022, "CN", "cn-grid-co2", "CN/2022")
CN_SOUTH_2022 = factor(
    "0.3869", "kgCO2/kWh", "combustion-co2", 2022, "CN-South", "cn-regional-grid-co2", "CN-South/2022"
)
# DESNZ UK 2023 set (schemes.md §3 [S31]): CO2e, location-based, excluding T&D losses.
UK_2023 = factor("0.207074", "kgCO2e/kWh", "combustion-co2e", 2023, "UK", "uk-electricity-desnz", "UK/2023")
# CLP Power 2019 (schemes.md §3 [S28]): a utility's own intensity, not a grid average.
HK_CLP_2019 = factor("0.49", "kgCO2/kWh", "supplier-specific", 2019, "HK", "hk-utilities-electricity", "HK/CLP/2019")

# The case: a cradle-to-grave label of 605.0 kgCO2e whose use stage is 1,000 kWh at the 2021 factor.
#   raw-materials 25.0 + production 18.2 = cradle-to-gate 43.2
#   distribution 2.0, use 556.8 (= 1000 kWh × 0.5568), end-of-life 3.0: total 605.0
CASE = {
    "raw-materials": {"masses_kg": {"CO2": "25.0"}},
    "production": {"masses_kg": {"CO2": "18.2"}},
    "distribution": {"masses_kg": {"CO2": "2.0"}},
    "use": {"masses_kg": {"CO2": "556.8"}},
    "end-of-life": {"masses_kg": {"CO2": "3.0"}},
}
REBASE_THEN_TRIM = [
    {"name": "electricity-rebase", "params": {"new_factor": CN_2022}},
    {"name": "boundary-trim", "params": {"to_boundary": "cradle-to-gate"}},
]


def supply(kwh: str, f: dict[str, Any], stage: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"kwh": kwh, "basis": "location", "factor": f}
    if stage is not None:
        out["stage"] = stage
    return out


def case_label(stage: str | None = "use", stages: dict[str, Any] | None = None) -> dict[str, Any]:
    return simple_label("605.0", stages or CASE, electricity=[supply("1000", CN_2021, stage)])


# ---- 1. electricity by stage ---------------------------------------------------------------------------------
def test_rebase_then_trim_removes_exactly_the_use_stage_adjustment() -> None:
    # Re-base 2021 → 2022: 1000 kWh × (0.5366 − 0.5568) = −20.2, so the total is 605.0 − 20.2 = 584.8 and the use
    # stage's CO2 is 556.8 − 556.8 + 536.6 = 536.6. The trim drops 2.0 + 536.6 + 3.0 = 541.6: 584.8 − 541.6 = 43.2,
    # the cradle-to-gate value the re-basing never touched. Subtracting the stage as stated (556.8) instead would
    # leave the use-stage adjustment in the gate value: 584.8 − 561.8 = 23.0.
    conv = apply_steps(case_label(), REBASE_THEN_TRIM)
    assert conv.footprint.pcf == Decimal("43.2") and conv.to_dict()["value"] == "43.2000"
    rebase, trim = conv.trail
    assert rebase["result"]["pcf"] == "584.8000"
    assert "stage use CO2 mass kg: 556.8 − 556.8000 + 536.6000 = 536.6000 (supply 0)" in rebase["steps"]
    assert trim["inputs"]["dropped_stages"] == ["distribution", "use", "end-of-life"]
    assert "use: 536.6000 kgCO2e" in trim["steps"]
    assert conv.footprint.electricity == ()  # the use-stage supply left with its stage
    assert not conv.approximate


def test_rebase_per_stage_moves_each_supply_in_its_own_stage() -> None:
    # A production supply of 20 kWh (20 × 0.5568 = 11.136 of production's 18.2 kg CO2) is re-based too:
    # 20 × −0.0202 = −0.404, which stays inside the gate: 43.2 − 0.404 = 42.796. The use stage's −20.2 leaves with
    # the use stage.
    label = simple_label(
        "605.0", CASE, electricity=[supply("20", CN_2021, "production"), supply("1000", CN_2021, "use")]
    )
    conv = apply_steps(label, REBASE_THEN_TRIM)
    assert conv.footprint.pcf == Decimal("42.796")
    assert conv.footprint.stages["production"].masses["CO2"] == Decimal("17.796")  # 18.2 − 11.136 + 10.732
    assert [sp.stage for sp in conv.footprint.electricity] == ["production"]


def test_rebase_limited_to_named_stages() -> None:
    label = simple_label(
        "605.0", CASE, electricity=[supply("20", CN_2021, "production"), supply("1000", CN_2021, "use")]
    )
    conv = rebase_electricity(Footprint.from_label(label), CN_2022, stages=["use"])
    assert conv.footprint.pcf == Decimal("584.8")  # only the use stage's 1000 kWh: −20.2
    assert conv.footprint.electricity[0].factor.value == Decimal("0.5568")


def test_attack_unstaged_supply_rebased_then_trimmed_is_refused_not_leaked_into_the_gate() -> None:
    # The same label without the supply's stage: the re-basing cannot say where its −20.2 lies, so a plan that
    # trims afterwards is refused at the re-basing step rather than returning 23.0.
    with pytest.raises(MappingError) as e:
        apply_steps(case_label(stage=None), REBASE_THEN_TRIM)
    assert (e.value.code, e.value.field) == ("mapping.supply_stage_unknown", "/footprint/electricity/0/stage")
    # Chained by hand, the trim refuses the unattributed adjustment itself.
    rebased = rebase_electricity(Footprint.from_label(case_label(stage=None)), CN_2022)
    assert rebased.footprint.pcf == Decimal("584.8")  # re-basing alone still works for old labels
    with pytest.raises(MappingError) as e:
        trim_boundary(rebased, "cradle-to-gate")
    assert e.value.code == "mapping.supply_stage_unknown"


def test_trim_then_rebase_knows_what_left_the_boundary() -> None:
    trimmed = trim_boundary(Footprint.from_label(case_label()), "cradle-to-gate")
    assert trimmed.footprint.pcf == Decimal("43.2")
    with pytest.raises(MappingError) as e:  # the only supply left with the use stage
        rebase_electricity(trimmed, CN_2022)
    assert e.value.code == "mapping.missing_data" and "a trim dropped" in e.value.message
    unstaged = trim_boundary(Footprint.from_label(case_label(stage=None)), "cradle-to-gate")
    with pytest.raises(MappingError) as e:  # it may have lain in a dropped stage: refused, not guessed
        rebase_electricity(unstaged, CN_2022)
    assert e.value.code == "mapping.supply_stage_unknown"


def test_rebase_to_a_co2e_factor_goes_into_the_stage_remainder() -> None:
    # Allowed mixed kinds (approximate): the use stage loses 556.8 kg CO2 and gains 1000 × 0.207074 = 207.074 kgCO2e
    # of remainder; the trim still removes all of it: 605.0 − 349.726 − (2.0 + 0 + 207.074 + 3.0) = 43.2.
    steps = [
        {"name": "electricity-rebase", "params": {"new_factor": UK_2023, "allow_mixed_kinds": True}},
        {"name": "boundary-trim", "params": {"to_boundary": "cradle-to-gate"}},
    ]
    conv = apply_steps(case_label(), steps)
    assert conv.trail[0]["result"]["pcf"] == "255.2740"
    assert conv.footprint.pcf == Decimal("43.2") and conv.approximate


def test_recharacterization_after_a_staged_rebase_counts_it_once() -> None:
    # CO2 has GWP 1 in every set, so AR5 → AR6 after the re-basing changes nothing more: 584.8 either way.
    conv = recharacterize_gwp(rebase_electricity(Footprint.from_label(case_label()), CN_2022), "AR6")
    assert conv.footprint.pcf == Decimal("584.8") and not conv.approximate


def test_supply_stage_must_be_inside_the_boundary_and_hold_the_supply() -> None:
    gate = {k: CASE[k] for k in ("raw-materials", "production")}
    label = simple_label("43.2", gate, boundary="cradle-to-gate", electricity=[supply("10", CN_2021, "use")])
    with pytest.raises(MappingError) as e:
        Footprint.from_label(label)
    assert (e.value.code, e.value.field) == ("mapping.stage_outside_boundary", "/footprint/electricity/0/stage")
    # 2000 kWh × 0.5568 = 1113.6 kg CO2, more than the use stage states (556.8): the breakdown lacks it.
    label = simple_label("605.0", CASE, electricity=[supply("2000", CN_2021, "use")])
    with pytest.raises(MappingError) as e:
        rebase_electricity(Footprint.from_label(label), CN_2022)
    assert (e.value.code, e.value.field) == ("mapping.supply_exceeds_stage", "/footprint/stages/use/masses_kg/CO2")


def test_supply_stage_is_an_additive_field_of_the_label_schema() -> None:
    label = case_label()
    f = label["footprint"]["electricity"][0]["factor"]
    f["citation"] = f.pop("source")  # a label cites its factor's dataset entry
    validate("label-record", label)  # with a stage
    del label["footprint"]["electricity"][0]["stage"]
    validate("label-record", label)  # and without, as labels before it
    label["footprint"]["electricity"][0]["stage"] = "D"  # beyond the system boundary: no supply there
    with pytest.raises(Exception, match="stage"):
        validate("label-record", label)


# ---- 2. the use stage re-based to the grid of the market of use -----------------------------------------------
def midea_with_use_stage() -> dict[str, Any]:
    """The Midea label (2,713.81 kgCO2e, AR5) with its supplies attributed: the factory's 58.4 kWh to production
    (58.4 × 0.5568 = 32.51712 of its 38.2 kg CO2) and the use stage's lifetime 3,858.8 kWh to use
    (3858.8 × 0.5568 = 2,148.57984 of its 2,148.6 kg CO2)."""
    return with_footprint(electricity=[supply("58.4", CN_2021, "production"), supply("3858.8", CN_2021, "use")])


def test_midea_use_stage_rebased_to_the_southern_grid() -> None:
    # Used where the Southern grid supplies it (2022, CO2 only like the label's factor):
    # 3858.8 × (0.3869 − 0.5568) = 3858.8 × −0.1699 = −655.61012; 2713.81 − 655.61012 = 2058.19988.
    # Use-stage CO2: 2148.6 − 2148.57984 + 1492.96972 (= 3858.8 × 0.3869) = 1492.98988.
    conv = rebase_use_stage(Footprint.from_label(midea_with_use_stage()), CN_SOUTH_2022)
    assert conv.footprint.pcf == Decimal("2058.19988") and conv.to_dict()["value"] == "2058.1999"
    assert conv.footprint.stages["use"].masses["CO2"] == Decimal("1492.98988")
    step = conv.trail[0]
    assert step["name"] == "use-stage-rebase" and step["inputs"]["market_of_use"] == "CN-South"
    assert [s["stage"] for s in step["inputs"]["supplies"]] == ["use"]  # the factory's supply is untouched
    assert step["source"] == CN_SOUTH_2022["source"] and step["datasets"][0]["key"] == "CN-South/2022"
    assert not conv.approximate


def test_midea_use_stage_to_the_uk_grid_mixes_kinds_only_when_allowed() -> None:
    fp = Footprint.from_label(midea_with_use_stage())
    with pytest.raises(MappingError) as e:  # CO2e (DESNZ) for CO2 only (MEE): not like for like
        rebase_use_stage(fp, UK_2023)
    assert e.value.code == "mapping.factor_kind_mismatch"
    # Allowed: 3858.8 × 0.207074 = 799.0571512 replaces 2148.57984: 2713.81 − 1349.5226888 = 1364.2873112.
    conv = rebase_use_stage(fp, UK_2023, allow_mixed_kinds=True)
    assert conv.footprint.pcf == Decimal("1364.2873112") and conv.approximate


def test_use_stage_rebase_refuses_what_is_not_a_grid_of_use() -> None:
    fp = Footprint.from_label(midea_with_use_stage())
    with pytest.raises(MappingError) as e:  # a utility's own intensity is not the location-based grid average
        rebase_use_stage(fp, HK_CLP_2019)
    assert e.value.code == "mapping.factor_not_location_based"
    with pytest.raises(MappingError) as e:  # a factor not read from a dataset entry
        rebase_use_stage(fp, {**CN_SOUTH_2022, "source": {"note": "typed in"}})
    assert e.value.code == "mapping.factor_source_missing"
    factory_only = with_footprint(electricity=[supply("58.4", CN_2021, "production")])
    with pytest.raises(MappingError) as e:
        rebase_use_stage(Footprint.from_label(factory_only), CN_SOUTH_2022)
    assert e.value.code == "mapping.missing_data"
    old_label = with_footprint(electricity=[supply("58.4", CN_2021, None)])  # as labels before the field: no stage
    with pytest.raises(MappingError) as e:
        rebase_use_stage(Footprint.from_label(old_label), CN_SOUTH_2022)
    assert (e.value.code, e.value.field) == ("mapping.supply_stage_unknown", "/footprint/electricity/0/stage")


def test_use_stage_rebase_is_registered_and_reads_its_factor_from_a_pinned_entry() -> None:
    assert "use-stage-rebase" in CONVERSIONS and "use-stage-rebase" in KNOWN_CONVERSIONS
    pin = {"dataset": "cn-regional-grid-co2", "version": 1, "entry": ENTRY, "key": "CN-South/2022"}
    value = {k: CN_SOUTH_2022[k] for k in ("value", "unit", "kind", "year", "geography")}
    payload = {"publisher": "mee", "dataset": {"id": "cn-regional-grid-co2", "version": 1, "values": [
        {"key": "CN-South/2022", **value}]}}  # fmt: skip
    steps = [
        {"name": "use-stage-rebase", "params": {"factor": pin}, "datasets": [pin]},
        {"name": "boundary-trim", "params": {"to_boundary": "cradle-to-gate"}, "datasets": [pin]},
    ]
    rebased = convert_steps(midea_with_use_stage(), steps[:1], {ENTRY: payload})
    assert rebased["value"] == "2058.1999" and rebased["trail"][0]["source"]["publisher"] == "mee"
    # Re-based then trimmed: the gate value is the label's own cradle-to-gate value, untouched by the use stage.
    both = convert_steps(midea_with_use_stage(), steps, {ENTRY: payload})
    gate = trim_boundary(Footprint.from_label(midea_with_use_stage()), "cradle-to-gate")
    assert both["value"] == gate.to_dict()["value"]


# ---- 3. EN 15804 modules as stages ----------------------------------------------------------------------------
# An EPD of 50 kgCO2e (schemes.md §4.2 example 5 in modules): A1–A3 30 + A4–A5 2 + B1–B7 15 + C1–C4 3 = 50, with
# module D −4 (benefits beyond the system boundary) declared apart: never in the 50.
EPD = {
    "A1-A3": {"masses_kg": {}, "other_co2e_kg": "30"},
    "A4-A5": {"masses_kg": {}, "other_co2e_kg": "2"},
    "B1-B7": {"masses_kg": {}, "other_co2e_kg": "15"},
    "C1-C4": {"masses_kg": {}, "other_co2e_kg": "3"},
    "D": {"masses_kg": {}, "other_co2e_kg": "-4"},
}


def epd(total: str = "50") -> Footprint:
    return Footprint.from_label(simple_label(total, EPD, gwp=["EF3.1"]))


def test_cradle_to_grave_epd_trimmed_to_a1_a3_keeps_module_d_apart() -> None:
    fp = epd()
    assert fp.stage_names == ("A1-A3", "A4-A5", "B1-B7", "C1-C4") and fp.module_d is not None
    # 50 − (A4–A5 2 + B1–B7 15 + C1–C4 3) = 30; module D's −4 is in neither value.
    for conv in (trim_boundary(fp, to_stages=["A1-A3"]), trim_boundary(fp, "cradle-to-gate")):
        assert conv.footprint.pcf == Decimal("30") and conv.footprint.boundary == "cradle-to-gate"
        assert conv.trail[0]["inputs"]["dropped_stages"] == ["A4-A5", "B1-B7", "C1-C4"]
        assert "module D: -4 kgCO2e, declared apart and carried unchanged (not in pcf)" in conv.trail[0]["steps"]
        assert conv.to_dict()["footprint"]["stages"]["D"] == {"masses_kg": {}, "other_co2e_kg": "-4"}


def test_epd_trimmed_to_a_module_set_without_a_boundary_name() -> None:
    # "Cradle to gate with options": A1–A3 + C1–C4 = 33, within cradle-to-grave with A4–A5 and B1–B7 excluded.
    conv = trim_boundary(epd(), to_stages=["A1-A3", "C1-C4"])
    assert conv.footprint.pcf == Decimal("33") and conv.footprint.boundary == "cradle-to-grave"
    assert conv.footprint.excluded_stages == ("A4-A5", "B1-B7")
    # Generic names are read as the modules they fill: excluding "use" drops B1–B7 (50 − 15 = 35)...
    assert trim_boundary(epd(), "cradle-to-grave", exclude_stages=["use"]).footprint.pcf == Decimal("35")
    with pytest.raises(MappingError) as e:  # ...but raw materials alone is only part of A1–A3
        trim_boundary(epd(), to_stages=["raw-materials"])
    assert e.value.code == "mapping.stage_split"


def test_attack_module_d_summed_into_the_stated_total_fails_the_breakdown_check() -> None:
    # A declaration that nets module D into its headline (50 − 4 = 46) does not add up: D is never in the total.
    with pytest.raises(MappingError) as e:
        epd("46")
    assert e.value.code == "mapping.stage_sum_mismatch"


def test_a_breakdown_uses_one_stage_vocabulary() -> None:
    mixed = {**EPD, "use": {"masses_kg": {}, "other_co2e_kg": "0"}}
    with pytest.raises(MappingError) as e:
        Footprint.from_label(simple_label("50", mixed, gwp=["EF3.1"]))
    assert e.value.code == "mapping.mixed_stage_vocabularies"


def test_planner_trims_a_module_epd_for_a_cradle_to_gate_target_and_asks_for_module_d() -> None:
    plan = plan_conversion(epd(), get_profile("pact-v3"))  # PACT v3: cradle-to-gate
    assert ("boundary-trim", {"to_boundary": "cradle-to-gate"}) in plan.steps
    no_d = Footprint.from_label(simple_label("50", {k: v for k, v in EPD.items() if k != "D"}, gwp=["EF3.1"]))
    plan = plan_conversion(no_d, get_profile("en15804-a2"))  # EN 15804+A2 requires module D
    assert any(item.startswith("boundary: the target requires EN 15804 module D") for item in plan.open)


def test_profile_boundary_fields_name_modules() -> None:
    # en15804-a2 states its optional stages as modules; every reader sees them as the stages they cover.
    doc = get_profile("en15804-a2").to_dict()
    assert doc["dimensions"]["boundary"]["optional_stages"] == ["A4-A5", "B1-B7"]
    assert get_profile("en15804-a2").dimension("boundary").get("optional_stages") == ["distribution", "use"]
    bad = copy.deepcopy(doc)
    bad["dimensions"]["boundary"]["excluded_stages"] = ["B1-B7"]  # also optional: both at once
    with pytest.raises(MappingError) as e:
        validate_profile(bad)
    assert e.value.field == "/dimensions/boundary/optional_stages"
    bad["dimensions"]["boundary"] = {"value": ["cradle-to-gate"], "source": "test [?]", "excluded_stages": ["C1-C4"]}
    with pytest.raises(MappingError) as e:  # end of life lies outside cradle-to-gate
        validate_profile(bad)
    assert e.value.field == "/dimensions/boundary/excluded_stages"
