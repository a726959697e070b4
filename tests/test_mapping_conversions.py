"""Conversions against hand-worked examples (schemes.md §4.2), chains with their trail, the registry, bad input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mapping.conversions import (
    CONVERSIONS,
    Conversion,
    apply_steps,
    cap_validity,
    extend_boundary,
    rebase_electricity,
    recharacterize_gwp,
    rescale_declared_unit,
    set_biogenic,
    trim_boundary,
)
from mapping.errors import MappingError
from mapping.footprint import Footprint

from .helpers import midea_label
from .test_mapping_helpers import simple_label

EXAMPLE_1 = {"production": {"masses_kg": {"CO2": "100", "CH4-fossil": "2", "N2O": "0.5", "HFC-134a": "0.01"}}}
STAGES_50 = {
    "raw-materials": {"masses_kg": {}, "other_co2e_kg": "20"},
    "production": {"masses_kg": {}, "other_co2e_kg": "10"},
    "distribution": {"masses_kg": {}, "other_co2e_kg": "2"},
    "use": {"masses_kg": {}, "other_co2e_kg": "15"},
    "end-of-life": {"masses_kg": {}, "other_co2e_kg": "3"},
}
SRC = {"dataset": "cn-mee-electricity", "version": 1, "entry": "ab" * 32, "key": "CN/2023/lifecycle"}
CHINA_LIFECYCLE_2023 = {
    "value": "0.6205",
    "unit": "kgCO2e/kWh",
    "kind": "lifecycle-co2e",
    "year": 2023,
    "geography": "CN",
    "td_losses_included": True,
    "source": SRC,
}
CHINA_CO2_2022 = {
    "value": "0.5366",
    "unit": "kgCO2/kWh",
    "kind": "combustion-co2",
    "year": 2022,
    "geography": "CN",
    "td_losses_included": False,
    "source": {**SRC, "dataset": "cn-mee-co2", "key": "CN/2022/co2"},
}
GEC_ZERO = {"value": "0", "unit": "kgCO2e/kWh", "kind": "combustion-co2e", "year": 2023, "geography": "CN"}


def _fp(label: dict[str, Any]) -> Footprint:
    return Footprint.from_label(label)


# ---- GWP re-characterization ----------------------------------------------------------------------
def test_recharacterize_ar4_to_ar6_hand_worked() -> None:
    # Stated under AR4: 100 + 2×25 + 0.5×298 + 0.01×1430 = 313.3
    fp = _fp(simple_label("313.3", EXAMPLE_1, boundary="gate-to-gate", gwp=["AR4"]))
    conv = recharacterize_gwp(fp, "AR6")
    # delta = 2×(29.8−25) + 0.5×(273−298) + 0.01×(1530−1430) = 9.6 − 12.5 + 1.0 = −1.9 → 313.3 − 1.9 = 311.4
    assert conv.footprint.pcf == Decimal("311.4")
    assert conv.to_dict()["value"] == "311.4000"
    assert conv.footprint.gwp_sets == ("AR6",)
    assert conv.approximate is False and conv.reasons == []
    step = conv.trail[0]
    assert step["name"] == "gwp-recharacterize"
    assert {(f["gas"], f["gwp_set"], f["value"]) for f in step["factors"]} >= {
        ("CH4-fossil", "AR4", "25"),
        ("CH4-fossil", "AR6", "29.8"),
        ("N2O", "AR6", "273"),
        ("HFC-134a", "AR6", "1530"),
    }
    assert all("gwp.csv" in f["table"] for f in step["factors"])
    assert step["arithmetic"]["precision_digits"] == "28"


def test_unknown_methane_origin_is_approximate() -> None:
    stages = {"production": {"masses_kg": {"CO2": "100", "CH4": "2", "N2O": "0.5", "HFC-134a": "0.01"}}}
    conv = recharacterize_gwp(_fp(simple_label("313.3", stages, boundary="gate-to-gate", gwp=["AR4"])), "AR6")
    assert conv.footprint.pcf == Decimal("307.6")  # 313.3 + 2×(27.9−25) − 12.5 + 1.0
    assert conv.approximate and "origin assumed" in conv.reasons[0]


def test_other_co2e_remainder_is_approximate() -> None:
    conv = recharacterize_gwp(_fp(midea_label()), "AR6")
    assert conv.approximate
    assert any("other_co2e remainder of 5.4" in r for r in conv.reasons)


def test_recharacterize_needs_masses_and_a_declared_set() -> None:
    with pytest.raises(MappingError) as e:
        recharacterize_gwp(_fp(simple_label("50", STAGES_50)), "AR6")
    assert (e.value.code, e.value.field) == ("mapping.missing_data", "/footprint/stages")
    with pytest.raises(MappingError) as e:
        recharacterize_gwp(_fp(midea_label()), "AR6", from_set="AR4")
    assert e.value.code == "mapping.gwp_set_not_declared"
    assert e.value.field == "/footprint/ipccCharacterizationFactors"
    with pytest.raises(MappingError) as e:
        recharacterize_gwp(_fp(midea_label()), "AR7")
    assert (e.value.code, e.value.field) == ("mapping.unknown_gwp_set", "to_set")


def test_mixed_sets_are_recomputed_from_masses_and_marked() -> None:
    label = simple_label("311.4", EXAMPLE_1, boundary="gate-to-gate", gwp=["AR5", "AR6"])
    conv = recharacterize_gwp(_fp(label), "AR4")
    assert conv.footprint.pcf == Decimal("313.3")
    assert conv.approximate and "several GWP sets" in conv.reasons[0]


# ---- declared unit ------------------------------------------------------------------------------------
def test_per_piece_to_per_kg_hand_worked() -> None:
    # §4.2 example 2: 2.4 kg CO2e per piece, 0.8 kg per piece → 2.4 / 0.8 = 3 kg CO2e per kg
    stages = {"production": {"masses_kg": {"CO2": "2.4"}}}
    fp = _fp(simple_label("2.4", stages, boundary="gate-to-gate", mass="0.8"))
    conv = rescale_declared_unit(fp, "kilogram")
    assert conv.footprint.pcf == Decimal(3)
    assert conv.footprint.declared_unit == "kilogram" and conv.footprint.declared_amount == 1
    assert conv.footprint.stages["production"].masses["CO2"] == Decimal(3)  # masses scale too
    assert conv.trail[0]["exact"] is True
    back = rescale_declared_unit(conv, "piece", product_mass_kg="0.8")
    assert back.footprint.pcf == Decimal("2.4")
    assert [s["name"] for s in back.trail] == ["declared-unit-rescale", "declared-unit-rescale"]


def test_non_terminating_division_is_stated() -> None:
    stages = {"production": {"masses_kg": {"CO2": "2.4"}}}
    conv = rescale_declared_unit(_fp(simple_label("2.4", stages, boundary="gate-to-gate", mass="0.7")), "kilogram")
    assert conv.to_dict()["value"] == "3.4286"  # 2.4 / 0.7 = 3.428571…
    assert conv.trail[0]["exact"] is False and "28 significant digits" in conv.trail[0]["note"]


def test_rescale_refuses_missing_mass_and_unbridgeable_units() -> None:
    with pytest.raises(MappingError) as e:
        rescale_declared_unit(_fp(simple_label("50", STAGES_50, mass=None)), "kilogram")
    assert (e.value.code, e.value.field) == ("mapping.missing_data", "/footprint/productMassPerDeclaredUnit")
    with pytest.raises(MappingError) as e:
        rescale_declared_unit(_fp(simple_label("50", STAGES_50, unit="kilogram")), "piece")
    assert (e.value.code, e.value.field) == ("mapping.missing_data", "product_mass_kg")
    with pytest.raises(MappingError) as e:
        rescale_declared_unit(_fp(simple_label("50", STAGES_50)), "square meter")
    assert e.value.code == "mapping.conversion_impossible"
    with pytest.raises(MappingError) as e:
        rescale_declared_unit(_fp(simple_label("50", STAGES_50)), "crate")
    assert (e.value.code, e.value.field) == ("mapping.unknown_unit", "to_unit")
    with pytest.raises(MappingError) as e:
        rescale_declared_unit(_fp(simple_label("50", STAGES_50, unit="kilogram")), "piece", product_mass_kg=0.8)
    assert (e.value.code, e.value.field) == ("mapping.bad_quantity", "product_mass_kg")


# ---- boundary -----------------------------------------------------------------------------------------
def test_trim_cradle_to_grave_to_cradle_to_gate_hand_worked() -> None:
    # §4.2 example 5: 50 = gate 30 + distribution 2 + use 15 + end of life 3 → 50 − (2 + 15 + 3) = 30
    conv = trim_boundary(_fp(simple_label("50", STAGES_50)), "cradle-to-gate")
    assert conv.footprint.pcf == Decimal(30)
    assert conv.footprint.boundary == "cradle-to-gate"
    assert set(conv.footprint.stages) == {"raw-materials", "production"}
    assert conv.trail[0]["inputs"]["dropped_stages"] == ["distribution", "use", "end-of-life"]


def test_trim_midea_with_masses() -> None:
    # raw-materials 310.4 + 0.92×30 + 0.021×265 + 4.6 = 348.165; production 38.2 + 0.05×30 + 0.001×265 + 0.012×677
    # = 48.089; cradle-to-gate = 348.165 + 48.089 = 396.254
    conv = trim_boundary(_fp(midea_label()), "cradle-to-gate")
    assert conv.footprint.pcf == Decimal("396.254")


def test_trim_without_stages_is_impossible_and_widening_is_refused() -> None:
    with pytest.raises(MappingError) as e:
        trim_boundary(_fp(simple_label("50", None)), "cradle-to-gate")
    assert (e.value.code, e.value.field) == ("mapping.missing_data", "/footprint/stages")
    gate = _fp(
        simple_label("30", {k: STAGES_50[k] for k in ("raw-materials", "production")}, boundary="cradle-to-gate")
    )
    with pytest.raises(MappingError) as e:
        trim_boundary(gate, "cradle-to-grave")
    assert e.value.code == "mapping.boundary_extension_needed"


def test_extend_only_with_every_missing_stage_supplied() -> None:
    gate = _fp(
        simple_label("30", {k: STAGES_50[k] for k in ("raw-materials", "production")}, boundary="cradle-to-gate")
    )
    with pytest.raises(MappingError) as e:
        extend_boundary(gate, "cradle-to-grave", {"use": STAGES_50["use"]})
    assert (e.value.code, e.value.field) == ("mapping.missing_data", "stages")
    assert "distribution" in e.value.message and "end-of-life" in e.value.message
    supplied = {k: STAGES_50[k] for k in ("distribution", "use", "end-of-life")}
    conv = extend_boundary(gate, "cradle-to-grave", supplied)
    assert conv.footprint.pcf == Decimal(50)  # 30 + 2 + 15 + 3
    assert conv.trail[0]["inputs"]["supplied_by"].startswith("the conversion request")
    with pytest.raises(MappingError) as e:
        extend_boundary(gate, "cradle-to-grave", {**supplied, "production": STAGES_50["production"]})
    assert e.value.code == "mapping.unexpected_stage"
    with pytest.raises(MappingError):
        extend_boundary(gate, "cradle-to-grave", {**supplied, "use": {"masses_kg": {"CO2": 15.0}}})


# ---- electricity ------------------------------------------------------------------------------------
def _market_label() -> dict[str, Any]:
    supply = {"kwh": "10", "basis": "market", "instrument": "GEC", "factor": GEC_ZERO}
    return simple_label("12.00", None, electricity=[supply])


def test_rebase_refuses_mixed_kinds_by_default() -> None:
    with pytest.raises(MappingError) as e:
        rebase_electricity(_fp(_market_label()), CHINA_LIFECYCLE_2023)
    assert e.value.code == "mapping.factor_kind_mismatch"
    assert "combustion-co2e" in e.value.message and "lifecycle-co2e" in e.value.message


def test_rebase_hand_worked_example_4_when_allowed() -> None:
    # 12.00 − 10×0 + 10×0.6205 = 18.205, approximate (combustion → life cycle)
    conv = rebase_electricity(_fp(_market_label()), CHINA_LIFECYCLE_2023, allow_mixed_kinds=True)
    assert conv.footprint.pcf == Decimal("18.205")
    assert conv.approximate and "kinds differ" in conv.reasons[0]
    new = next(f for f in conv.trail[0]["factors"] if f["role"] == "new")
    assert new["source"] == SRC and new["value"] == "0.6205" and new["year"] == 2023
    old = next(f for f in conv.trail[0]["factors"] if f["role"] == "old")
    assert old["source"] == {"label": "/footprint/electricity/0/factor"}
    assert conv.footprint.electricity[0].basis == "location"
    # with the 0.5366 CO2-only factor: 12.00 + 10×0.5366 = 17.366, still approximate (CO2 only)
    co2 = rebase_electricity(_fp(_market_label()), CHINA_CO2_2022, allow_mixed_kinds=True)
    assert co2.footprint.pcf == Decimal("17.366") and co2.approximate


def test_rebase_same_kind_is_exact_and_reversible() -> None:
    fp = _fp(midea_label())  # 58.4 kWh at 0.5568 kgCO2/kWh (combustion-co2, 2021)
    old = {**fp.electricity[0].factor.to_dict(), "source": {**SRC, "key": "CN/2021/co2"}}
    conv = rebase_electricity(fp, CHINA_CO2_2022, old_factor=old)
    # 58.4 × (0.5366 − 0.5568) = −1.17968 → 2713.81 − 1.17968 = 2712.63032
    assert conv.footprint.pcf == Decimal("2712.63032") and not conv.approximate
    assert conv.trail[0]["notes"] == ["supply 0: factor year 2021 → 2022"]
    back = rebase_electricity(conv, old)
    assert back.footprint.pcf == fp.pcf and len(back.trail) == 2


def test_rebase_needs_a_source_and_a_matching_old_factor() -> None:
    fp = _fp(midea_label())
    with pytest.raises(MappingError) as e:
        rebase_electricity(fp, {k: v for k, v in CHINA_CO2_2022.items() if k != "source"})
    assert e.value.code == "mapping.factor_source_missing"
    with pytest.raises(MappingError) as e:
        rebase_electricity(fp, CHINA_CO2_2022, old_factor=CHINA_CO2_2022)
    assert (e.value.code, e.value.field) == ("mapping.factor_not_on_label", "old_factor")
    with pytest.raises(MappingError) as e:
        rebase_electricity(fp, {**CHINA_CO2_2022, "value": 0.5366})
    assert e.value.code == "mapping.bad_quantity"
    with pytest.raises(MappingError) as e:
        rebase_electricity(_fp(simple_label("50", STAGES_50)), CHINA_CO2_2022)
    assert (e.value.code, e.value.field) == ("mapping.missing_data", "/footprint/electricity")


# ---- biogenic and validity ----------------------------------------------------------------------------
def test_biogenic_include_and_exclude() -> None:
    label = simple_label("50", STAGES_50, including="42.5")
    fp = _fp(label)
    inc = set_biogenic(fp, True)
    assert inc.footprint.pcf == Decimal("42.5")
    assert set_biogenic(inc, False).footprint.pcf == Decimal(50)


def test_validity_cap() -> None:
    conv = cap_validity(_fp(midea_label()), 3)  # referencePeriodEnd 2021-12-31 + 3 years < 2025-06-27
    assert conv.footprint.valid_until == "2024-12-31"
    assert cap_validity(_fp(midea_label()), 5).footprint.valid_until == "2025-06-27"


# ---- chains and the registry ---------------------------------------------------------------------------
def test_chain_keeps_the_whole_trail_and_every_reason() -> None:
    fp = _fp(midea_label())
    conv = recharacterize_gwp(fp, "AR6").then(trim_boundary, "cradle-to-gate").then(rescale_declared_unit, "kilogram")
    assert isinstance(conv, Conversion)
    assert [s["name"] for s in conv.trail] == ["gwp-recharacterize", "boundary-trim", "declared-unit-rescale"]
    assert conv.approximate and len(conv.reasons) == 1
    # trim first, then re-characterize: the same number (stage × gas masses commute)
    other = trim_boundary(fp, "cradle-to-gate").then(recharacterize_gwp, "AR6")
    assert other.footprint.pcf == trim_boundary(recharacterize_gwp(fp, "AR6"), "cradle-to-gate").footprint.pcf
    d = conv.to_dict()
    assert set(d) >= {"value", "unit", "declared_unit", "approximate", "reasons", "trail"}
    assert d["unit"] == "kgCO2e" and d["declared_unit"]["unit"] == "kilogram"
    assert all(set(s) >= {"name", "inputs", "factors", "result"} for s in d["trail"])


def test_registry_names_are_stable() -> None:
    assert set(CONVERSIONS) >= {
        "gwp-recharacterize",
        "declared-unit-rescale",
        "boundary-trim",
        "boundary-extend",
        "electricity-rebase",
        "biogenic-include",
        "biogenic-exclude",
    }


def test_apply_steps_runs_named_steps_in_order() -> None:
    conv = apply_steps(
        midea_label(),
        [
            {"name": "boundary-trim", "params": {"to_boundary": "cradle-to-gate"}},
            {"name": "gwp-recharacterize", "params": {"to_set": "AR6"}},
            {"name": "declared-unit-rescale", "params": {"to_unit": "kilogram"}},
            {"name": "biogenic-include"},
        ],
    )
    assert [s["name"] for s in conv.trail] == [
        "boundary-trim",
        "gwp-recharacterize",
        "declared-unit-rescale",
        "biogenic-include",
    ]
    # cradle-to-gate AR6 = 396.254 + 0.92×(29.8−30) + 0.021×8 + 0.05×(−0.2) + 0.001×8 + 0.012×94 = 397.364
    # per kg: 397.364 / 36.5 = 10.88668…
    assert conv.to_dict()["value"] == "10.8867"


def test_apply_steps_refuses_unknown_names_and_params() -> None:
    with pytest.raises(MappingError) as e:
        apply_steps(midea_label(), [{"name": "magic", "params": {}}])
    assert (e.value.code, e.value.field) == ("mapping.unknown_conversion", "name")
    with pytest.raises(MappingError) as e:
        apply_steps(midea_label(), [{"name": "boundary-trim", "params": {"to": "cradle-to-gate"}}])
    assert e.value.code == "mapping.bad_params"
