"""verifier.datasets: semantic checks of a dataset beyond its schema, version order, and retirements."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mapping.errors import CarbonLedgerError, ConflictError, InputError, SchemaError
from verifier import datasets, schemas

from .test_datasets_schema import ELECTRICITY_VALUE, publish_release, publish_values


def _with_value(**changes: Any) -> dict[str, Any]:
    payload = publish_values()
    item = payload["dataset"]["values"][0]
    for k, v in changes.items():
        if v is None:
            item.pop(k, None)
        else:
            item[k] = v
    return payload


def _raises(payload: dict[str, Any], code: str, field: str) -> CarbonLedgerError:
    with pytest.raises(CarbonLedgerError) as e:
        datasets.check_dataset(payload)
    assert (e.value.code, e.value.field) == (code, field), e.value
    return e.value


def test_valid_examples_pass_payload_or_body() -> None:
    for payload in (publish_values(), publish_release()):
        datasets.check_dataset(payload)
        datasets.check_dataset(payload["dataset"])


def test_duplicate_key() -> None:
    payload = publish_values()
    payload["dataset"]["values"].append(copy.deepcopy(ELECTRICITY_VALUE) | {"value": "0.5"})
    schemas.validate("dataset.publish", payload)  # the schema cannot see it
    err = _raises(payload, "dataset.duplicate_key", "/dataset/values/1/key")
    assert "/dataset/values/0" in err.message


def test_float_value_is_refused_with_its_own_code() -> None:
    for bad in (0.5366, 1):
        with pytest.raises(InputError) as e:
            datasets.check_dataset(_with_value(value=bad))
        assert (e.value.code, e.value.field) == ("dataset.float", "/dataset/values/0/value")


@pytest.mark.parametrize("bad", ["5.366e-1", "0,5", "", " 0.5", "NaN", "Infinity", "0x1"])
def test_value_not_a_plain_decimal(bad: str) -> None:
    _raises(_with_value(value=bad), "dataset.value_invalid", "/dataset/values/0/value")


def test_unknown_unit_and_kind() -> None:
    _raises(_with_value(unit="lbCO2/kWh"), "dataset.unknown_unit", "/dataset/values/0/unit")
    _raises(_with_value(kind="marginal"), "dataset.unknown_kind", "/dataset/values/0/kind")


KIND_MISMATCHES = [
    # (changes to the combustion-co2 value, member blamed)
    ({"gases": "CO2e"}, "gases"),
    ({"unit": "kgCO2e/kWh"}, "unit"),
    ({"unit": "kgCO2e/kg"}, "unit"),
    ({"scope": "lifecycle"}, "scope"),
    ({"basis": "residual-mix"}, "basis"),
    ({"gwp_set": "AR5"}, "gwp_set"),
    ({"scope": None}, "scope"),
    ({"gases": None}, "gases"),
    ({"basis": None}, "basis"),
    ({"td_losses_included": None}, "td_losses_included"),
    ({"year": None}, "year"),
    ({"gwp_set": None}, "gwp_set"),
    # life cycle CO2e needs scope lifecycle, CO2e, a CO2e unit and a GWP set other than not-applicable
    ({"kind": "lifecycle-co2e"}, "scope"),
    ({"kind": "lifecycle-co2e", "scope": "lifecycle"}, "gases"),
    ({"kind": "lifecycle-co2e", "scope": "lifecycle", "gases": "CO2e"}, "unit"),
    ({"kind": "lifecycle-co2e", "scope": "lifecycle", "gases": "CO2e", "unit": "kgCO2e/kWh"}, "gwp_set"),
    ({"kind": "residual-mix-co2"}, "basis"),
    ({"kind": "supplier-specific"}, "basis"),
    # non-electricity kinds carry no electricity attributes; gwp is dimensionless with a set
    ({"kind": "emission-factor", "unit": "kgCO2e/kg"}, "scope"),
    ({"kind": "gwp", "unit": "dimensionless"}, "scope"),
]


@pytest.mark.parametrize(("changes", "member"), KIND_MISMATCHES)
def test_kind_mismatch(changes: dict[str, Any], member: str) -> None:
    _raises(_with_value(**changes), "dataset.kind_mismatch", f"/dataset/values/0/{member}")


def _plain(kind: str, unit: str, **extra: Any) -> dict[str, Any]:
    changes: dict[str, Any] = dict.fromkeys(("scope", "gases", "basis", "td_losses_included", "gwp_set"))
    return _with_value(**(changes | {"kind": kind, "unit": unit} | extra))


def test_gwp_and_emission_factor_rules() -> None:
    datasets.check_dataset(_plain("gwp", "dimensionless", gwp_set="AR6", value="27.9"))
    datasets.check_dataset(_plain("emission-factor", "kgCO2e/kg", value="2.4"))
    _raises(_plain("gwp", "kgCO2e/kg", gwp_set="AR6"), "dataset.kind_mismatch", "/dataset/values/0/unit")
    _raises(_plain("gwp", "dimensionless"), "dataset.kind_mismatch", "/dataset/values/0/gwp_set")
    _raises(_plain("gwp", "dimensionless", gwp_set="unspecified"), "dataset.kind_mismatch", "/dataset/values/0/gwp_set")
    _raises(_plain("emission-factor", "dimensionless"), "dataset.kind_mismatch", "/dataset/values/0/unit")
    _raises(
        _plain("gwp", "dimensionless", gwp_set="AR6", value="-1"), "dataset.value_invalid", "/dataset/values/0/value"
    )


def test_well_formed_electricity_kinds_pass() -> None:
    datasets.check_dataset(
        _with_value(kind="lifecycle-co2e", unit="kgCO2e/kWh", scope="lifecycle", gases="CO2e", gwp_set="unspecified")
    )
    datasets.check_dataset(_with_value(kind="residual-mix-co2", basis="residual-mix", scope="unspecified"))
    datasets.check_dataset(_with_value(kind="supplier-specific", basis="supplier-specific", unit="tCO2/MWh"))
    datasets.check_dataset(_with_value(kind="combustion-co2e", unit="gCO2e/kWh", gases="CO2e", gwp_set="AR5"))
    datasets.check_dataset(_with_value(basis="fossil-generation", td_losses_included="unspecified"))


def test_negative_electricity_factor() -> None:
    _raises(_with_value(value="-0.1"), "dataset.value_invalid", "/dataset/values/0/value")


def test_year_must_be_listed_when_years_given() -> None:
    _raises(_with_value(year=2021), "dataset.year_not_listed", "/dataset/values/0/year")
    payload = _with_value(year=2021)
    payload["dataset"]["years"] = []
    datasets.check_dataset(payload)


def test_release_duplicate_file_and_values_or_release() -> None:
    payload = publish_release()
    payload["dataset"]["release"]["files"].append({"name": "db.zip", "size": 1, "sha256": "00" * 32})
    _raises(payload, "dataset.duplicate_file", "/dataset/release/files/1/name")
    both = publish_values()
    both["dataset"]["release"] = publish_release()["dataset"]["release"]
    _raises(both, "dataset.value_invalid", "/dataset")


def test_dataset_values_helper() -> None:
    values = datasets.dataset_values(publish_values())
    assert list(values) == ["CN/2022"] and values["CN/2022"]["value"] == "0.5366"
    assert datasets.dataset_values(publish_release()["dataset"]) == {}


# --- versions -------------------------------------------------------------------------------------------------


def test_version_increase() -> None:
    datasets.check_version_increase([], 1)
    datasets.check_version_increase([], 7)
    datasets.check_version_increase([1, 2], 3)
    datasets.check_version_increase([1, 2], 9)
    for previous, version in (([1, 2], 2), ([1, 2], 1), ([3], 2)):
        with pytest.raises(ConflictError) as e:  # the version conflicts with the log's: 409
            datasets.check_version_increase(previous, version)
        assert (e.value.code, e.value.field) == ("dataset.version_not_increasing", "/dataset/version")
        assert str(max(previous)) in e.value.message and str(version) in e.value.message


def test_version_statuses_and_newer_versions() -> None:
    assert datasets.version_statuses([1, 2, 3]) == {1: "superseded", 2: "superseded", 3: "current"}
    assert datasets.version_statuses([1, 2, 3], retired=[2]) == {1: "superseded", 2: "retired", 3: "current"}
    # retiring the newest makes the one below it current again
    assert datasets.version_statuses([1, 2], retired=[2]) == {1: "current", 2: "retired"}
    assert datasets.version_statuses([1], retired=[1]) == {1: "retired"}
    assert datasets.newer_versions(1, [1, 2, 3], retired=[3]) == [2]
    assert datasets.newer_versions(3, [1, 2, 3]) == []


# --- retire ---------------------------------------------------------------------------------------------------


def _retire_for(payload: dict[str, Any]) -> dict[str, Any]:
    d = payload["dataset"]
    return {
        "kind": "dataset.retire",
        "publisher": payload["publisher"],
        "dataset": {"id": d["id"], "version": d["version"], "entry": "ef" * 32},
        "reason": "error",
    }


def test_check_retire() -> None:
    publish = publish_values()
    datasets.check_retire(_retire_for(publish), publish)
    with pytest.raises(SchemaError) as e:
        datasets.check_retire(_retire_for(publish), None)
    assert (e.value.code, e.value.field) == ("dataset.retire_mismatch", "/dataset/entry")
    for pointer, change in (
        ("/publisher", lambda r: r.update(publisher="someone-else")),
        ("/dataset/id", lambda r: r["dataset"].update(id="other-dataset")),
        ("/dataset/version", lambda r: r["dataset"].update(version=2)),
    ):
        r = _retire_for(publish)
        change(r)
        with pytest.raises(SchemaError) as e:
            datasets.check_retire(r, publish)
        assert (e.value.code, e.value.field) == ("dataset.retire_mismatch", pointer)
    with pytest.raises(ConflictError) as e:
        datasets.check_retire(_retire_for(publish), publish, already_retired=True)
    assert e.value.code == "dataset.already_retired"


def test_td_flag_is_a_boolean_not_an_integer() -> None:
    for bad in (0, 1, "yes"):
        _raises(_with_value(td_losses_included=bad), "dataset.value_invalid", "/dataset/values/0/td_losses_included")
