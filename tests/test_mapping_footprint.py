"""Footprint.from_label: the realistic record parses; every kind of bad input is a MappingError naming its field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mapping.errors import MappingError
from mapping.footprint import Footprint

from .helpers import midea_label
from .test_mapping_helpers import simple_label, with_footprint


def test_midea_label_parses_and_its_masses_match_its_total() -> None:
    fp = Footprint.from_label(midea_label())
    assert fp.pcf == Decimal("2713.8100")
    assert fp.gwp_sets == ("AR5",)
    assert fp.declared_unit == "piece" and fp.product_mass_kg == Decimal("36.5")
    assert set(fp.stages) == {"raw-materials", "production", "distribution", "use", "end-of-life"}
    assert fp.stages["raw-materials"].other_co2e == Decimal("4.6")
    assert fp.electricity[0].factor.kind == "combustion-co2"
    assert fp.verification_level == "reasonable"
    assert fp.checks[0].startswith("per-gas masses recomputed under AR5: 2713.8100")


def _set(label: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    target = label
    parts = pointer.strip("/").split("/")
    for p in parts[:-1]:
        target = target[int(p)] if isinstance(target, list) else target[p]
    if isinstance(target, list):
        target[int(parts[-1])] = value
    else:
        target[parts[-1]] = value
    return label


BAD = [
    ("/footprint/pcf/value", 2713.81, "mapping.bad_quantity"),
    ("/footprint/pcf/value", "2713,81", "mapping.bad_quantity"),
    ("/footprint/pcf/unit", "tCO2e", "mapping.unknown_unit"),
    ("/footprint/declaredUnitOfMeasurement", "box", "mapping.unknown_unit"),
    ("/footprint/declaredUnitAmount", "-1", "mapping.negative_quantity"),
    ("/footprint/productMassPerDeclaredUnit", 36.5, "mapping.bad_quantity"),
    ("/footprint/stages/use/masses_kg/CO2", "-2148.6", "mapping.negative_quantity"),
    ("/footprint/stages/use/masses_kg/CO2", 2148.6, "mapping.bad_quantity"),
    ("/footprint/stages/use/masses_kg/HFC-41", "1", "mapping.unknown_gas"),
    ("/footprint/electricity/0/kwh", "-58.4", "mapping.negative_quantity"),
    ("/footprint/electricity/0/factor/unit", "gCO2/kWh", "mapping.unknown_unit"),
    ("/footprint/electricity/0/factor/unit", "kgCO2e/kWh", "mapping.factor_unit_mismatch"),
    ("/footprint/electricity/0/factor/value", 0.5568, "mapping.bad_quantity"),
    ("/footprint/ipccCharacterizationFactors/0", "AR3", "mapping.unknown_value"),
    ("/footprint/boundary", "cradle-to-cradle", "mapping.unknown_value"),
    ("/footprint/primaryDataShare", "101", "mapping.bad_quantity"),
    ("/footprint/referencePeriodEnd", "2021-13-31", "mapping.bad_date"),
]


@pytest.mark.parametrize(("pointer", "value", "code"), BAD)
def test_bad_input_names_the_field(pointer: str, value: Any, code: str) -> None:
    label = _set(midea_label(), pointer, value)
    with pytest.raises(MappingError) as e:
        Footprint.from_label(label)
    assert e.value.code == code
    assert e.value.field == pointer


def test_missing_required_member_is_named() -> None:
    label = with_footprint(boundary=None)
    with pytest.raises(MappingError) as e:
        Footprint.from_label(label)
    assert (e.value.code, e.value.field) == ("mapping.missing_field", "/footprint/boundary")


def test_pcf_must_be_one_of_the_biogenic_totals() -> None:
    label = with_footprint(pcf={"value": "2700", "unit": "kgCO2e"})
    with pytest.raises(MappingError) as e:
        Footprint.from_label(label)
    assert e.value.code == "mapping.biogenic_total_mismatch"


def test_stage_outside_the_boundary_is_refused() -> None:
    label = with_footprint(boundary="cradle-to-gate")
    with pytest.raises(MappingError) as e:
        Footprint.from_label(label)
    assert e.value.code == "mapping.stage_outside_boundary"
    assert e.value.field == "/footprint/stages/distribution"


def test_per_gas_masses_must_match_the_total_within_1_percent() -> None:
    # Midea's masses give 2713.81 under AR5. 0.9 % off passes, 1.1 % off fails.
    ok = with_footprint(
        pcf={"value": "2738.2343", "unit": "kgCO2e"},
        pcfExcludingBiogenicUptake="2738.2343",
        pcfIncludingBiogenicUptake="2738.2343",
    )
    Footprint.from_label(ok)
    bad = with_footprint(
        pcf={"value": "2743.6619", "unit": "kgCO2e"},
        pcfExcludingBiogenicUptake="2743.6619",
        pcfIncludingBiogenicUptake="2743.6619",
    )
    with pytest.raises(MappingError) as e:
        Footprint.from_label(bad)
    assert (e.value.code, e.value.field) == ("mapping.gas_total_mismatch", "/footprint/stages")
    Footprint.from_label(bad, gas_tolerance=Decimal("0.02"))  # the tolerance is set per profile


STAGES = {
    "raw-materials": {"masses_kg": {}, "other_co2e_kg": "20"},
    "production": {"masses_kg": {}, "other_co2e_kg": "10"},
    "distribution": {"masses_kg": {}, "other_co2e_kg": "2"},
    "use": {"masses_kg": {}, "other_co2e_kg": "15"},
    "end-of-life": {"masses_kg": {}, "other_co2e_kg": "3"},
}


def test_stage_breakdown_must_sum_to_the_total_within_0_1_percent() -> None:
    Footprint.from_label(simple_label("50", STAGES))
    Footprint.from_label(simple_label("50.04", STAGES))  # 0.08 %
    with pytest.raises(MappingError) as e:
        Footprint.from_label(simple_label("50.1", STAGES))  # 0.2 %
    assert (e.value.code, e.value.field) == ("mapping.stage_sum_mismatch", "/footprint/stages")
    Footprint.from_label(simple_label("50.1", STAGES), stage_tolerance=Decimal("0.005"))


def test_mixed_sets_are_not_checked_but_say_so() -> None:
    fp = Footprint.from_label(with_footprint(ipccCharacterizationFactors=["AR5", "AR6"]))
    assert "not recomputed" in fp.checks[0]
