"""Conversions use the registry (issue 8 item 4; DESIGN §5 "Background data": "conversions take factors only
from cited or agreement-pinned entries and name them in the trail").

GWP re-characterization reads its values from a pinned ``ipcc-gwp100`` entry (same numbers as the package
table), electricity re-basing reads its target factor from a pinned dataset value, a pinned entry that is not
available fails the conversion (``mapping.dataset_unavailable``) instead of falling back, factors of different
scope or gases are refused unless the agreement allows it (then approximate), and the log service and the
offline verifier give the same converted value with the same trail.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger import agreements_service as svc
from ledger.bundles import build_bundle, bundle_entries, export_trust, find_label
from ledger.log import Log
from ledger.reference_data import REFERENCE_PUBLISHER, gwp_dataset_from_csv, shipped_datasets
from ledger.store import Store
from mapping.conversions import apply_steps, rebase_electricity, recharacterize_gwp
from mapping.errors import MappingError
from mapping.footprint import Footprint
from mapping.gwp import PACKAGE_SOURCE, gwp_table_from_dataset
from verifier.envelope import parse_entry
from verifier.equivalence_offline import convert_steps
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.report import FAILED, PASSED
from verifier.verify import verify_bundle

from .helpers import NOW, Signer, label_for, midea_label
from .test_mapping_helpers import simple_label

GD, HK, CT = "gd-carbon-label", "hk-cma-carbon-label", "carbontrust-label"
GWP_ENTRY, CO2_ENTRY, LC_ENTRY = "a1" * 32, "b2" * 32, "c3" * 32
TERMS = Path(__file__).parent.parent / "mapping" / "data" / "agreements"
EXAMPLE_1 = {"production": {"masses_kg": {"CO2": "100", "CH4-fossil": "2", "N2O": "0.5", "HFC-134a": "0.01"}}}
GEC_ZERO = {"value": "0", "unit": "kgCO2e/kWh", "kind": "combustion-co2e", "year": 2023, "geography": "CN"}


def _gwp_body() -> dict[str, Any]:
    return gwp_dataset_from_csv((Path(__file__).parent.parent / "mapping" / "data" / "gwp.csv").read_text("utf-8"))


def _shipped(dataset_id: str) -> dict[str, Any]:
    return copy.deepcopy(next(d for d in shipped_datasets() if d["id"] == dataset_id))


def _payload(body: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "dataset.publish", "publisher": REFERENCE_PUBLISHER, "dataset": body}


DATASETS = {
    GWP_ENTRY: _payload(_gwp_body()),
    CO2_ENTRY: _payload(_shipped("cn-grid-co2")),
    LC_ENTRY: _payload(_shipped("cn-electricity-footprint")),
}
GWP_PIN = {"dataset": "ipcc-gwp100", "version": 1, "entry": GWP_ENTRY, "key": "*"}
CO2_2022 = {"dataset": "cn-grid-co2", "version": 1, "entry": CO2_ENTRY, "key": "CN/2022"}
LC_2023 = {"dataset": "cn-electricity-footprint", "version": 1, "entry": LC_ENTRY, "key": "CN/2023"}


def _fp(label: dict[str, Any]) -> Footprint:
    return Footprint.from_label(label)


def _rebase(factor: dict[str, Any], pins: list[dict[str, Any]], **params: Any) -> list[dict[str, Any]]:
    return [{"name": "electricity-rebase", "params": {"factor": factor, **params}, "datasets": pins}]


def _code(fn: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(MappingError) as e:
        fn(*args, **kw)
    return e.value.code


# ---- GWP table from a dataset entry ---------------------------------------------------------------------


def test_dataset_table_gives_the_package_numbers_and_names_the_entry() -> None:
    table = gwp_table_from_dataset(_gwp_body()["values"])
    source = {"dataset": "ipcc-gwp100", "version": 1, "entry": GWP_ENTRY}
    for label in (midea_label(), simple_label("313.3", EXAMPLE_1, boundary="gate-to-gate", gwp=["AR4"])):
        package = recharacterize_gwp(_fp(label), "AR6")
        registry = recharacterize_gwp(_fp(label), "AR6", table=table, table_source=source)
        assert registry.footprint.pcf == package.footprint.pcf
        assert registry.to_dict()["value"] == package.to_dict()["value"]
        assert registry.reasons == package.reasons
        step = registry.trail[0]
        assert step["source"] == source and step["datasets"] == [source]
        assert all(f["table"] == source for f in step["factors"])
        values = {(f["gas"], f["gwp_set"]): (f["value"], f["key"]) for f in step["factors"]}
        assert values[("CH4-fossil", "AR6")] == ("29.8", "CH4-fossil/AR6")
        assert [(f["gas"], f["gwp_set"], f["value"]) for f in step["factors"]] == [
            (f["gas"], f["gwp_set"], f["value"]) for f in package.trail[0]["factors"]
        ]
        assert package.trail[0]["source"] == PACKAGE_SOURCE and package.trail[0]["datasets"] == []
    # AR4 has no methane-origin split: the dataset holds no CH4-fossil/AR4 value, the single CH4 value applies
    ar4 = recharacterize_gwp(
        _fp(simple_label("313.3", EXAMPLE_1, boundary="gate-to-gate", gwp=["AR4"])),
        "AR6",
        table=table,
        table_source=source,
    )
    assert ar4.footprint.pcf == Decimal("311.4")  # schemes.md §4.2 example 1
    fossil_ar4 = next(f for f in ar4.trail[0]["factors"] if (f["gas"], f["gwp_set"]) == ("CH4-fossil", "AR4"))
    assert fossil_ar4["key"] == "CH4/AR4" and fossil_ar4["value"] == "25" and "origin split" in fossil_ar4["rule"]


def test_dataset_table_is_the_only_source_of_values() -> None:
    table = gwp_table_from_dataset([v for v in _gwp_body()["values"] if v["key"] != "N2O/AR6"])
    source = {"dataset": "ipcc-gwp100", "version": 1, "entry": GWP_ENTRY}
    with pytest.raises(MappingError) as e:
        recharacterize_gwp(_fp(midea_label()), "AR6", table=table, table_source=source)
    assert e.value.code == "mapping.gwp_missing" and "dataset entry" in e.value.message
    assert _code(recharacterize_gwp, _fp(midea_label()), "AR6", table=table) == "mapping.factor_source_missing"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"value": 29.8}, "mapping.bad_quantity"),
        ({"value": "2.98e1"}, "mapping.bad_quantity"),
        ({"key": "CH4-fossil"}, "mapping.bad_dataset"),
        ({"key": "CH4-fossil/AR7"}, "mapping.bad_dataset"),
        ({"kind": "lifecycle-co2e"}, "mapping.bad_dataset"),
        ({"gwp_set": "AR5"}, "mapping.bad_dataset"),
    ],
)
def test_gwp_table_from_dataset_refuses_what_it_cannot_read(change: dict[str, Any], code: str) -> None:
    values = _gwp_body()["values"]
    i = next(n for n, v in enumerate(values) if v["key"] == "CH4-fossil/AR6")
    values[i] = {**values[i], **change}
    assert _code(gwp_table_from_dataset, values) == code


def test_gwp_table_from_dataset_refuses_duplicates_and_nothing() -> None:
    values = _gwp_body()["values"]
    assert _code(gwp_table_from_dataset, [*values, values[0]]) == "mapping.bad_dataset"
    assert _code(gwp_table_from_dataset, []) == "mapping.bad_dataset"


# ---- the one converter (online and offline): pinned entries ------------------------------------------------


def test_converter_reads_the_pinned_gwp_entry() -> None:
    steps = [{"name": "gwp-recharacterize", "params": {"to_set": "AR6"}, "datasets": [GWP_PIN]}]
    out = convert_steps(midea_label(), steps, DATASETS)
    package = apply_steps(midea_label(), [{"name": "gwp-recharacterize", "params": {"to_set": "AR6"}}])
    assert out["value"] == package.to_dict()["value"]
    step = out["trail"][0]
    assert step["source"] == {
        **{k: GWP_PIN[k] for k in ("dataset", "version", "entry")},
        "key": "*",
        "publisher": REFERENCE_PUBLISHER,
    }
    assert all(f["table"]["entry"] == GWP_ENTRY for f in step["factors"])
    # no GWP pin: the package table, and the trail says so
    plain = convert_steps(midea_label(), [{"name": "gwp-recharacterize", "params": {"to_set": "AR6"}}], {})
    assert plain["trail"][0]["source"] == PACKAGE_SOURCE and plain["value"] == out["value"]
    # a set key, or one value, must be held by the entry
    for key in ("AR6", "N2O/AR6"):
        pinned = [{**steps[0], "datasets": [{**GWP_PIN, "key": key}]}]
        assert convert_steps(midea_label(), pinned, DATASETS)["value"] == out["value"]
    for key in ("AR7", "CH4-fossil/AR8", "SF7/AR6"):
        pinned = [{**steps[0], "datasets": [{**GWP_PIN, "key": key}]}]
        assert _code(convert_steps, midea_label(), pinned, DATASETS) == "mapping.dataset_key_unknown"


def test_pinned_but_unavailable_entry_never_falls_back() -> None:
    steps = [{"name": "gwp-recharacterize", "params": {"to_set": "AR6"}, "datasets": [GWP_PIN]}]
    with pytest.raises(MappingError) as e:
        convert_steps(midea_label(), steps, {})
    assert e.value.code == "mapping.dataset_unavailable" and "ipcc-gwp100 version 1" in e.value.message
    assert _code(convert_steps, midea_label(), steps, None) == "mapping.dataset_unavailable"
    # an entry holding another dataset (or version) than the pin says
    assert _code(convert_steps, midea_label(), steps, {GWP_ENTRY: DATASETS[CO2_ENTRY]}) == "mapping.dataset_mismatch"
    # the terms cannot smuggle their own table in
    smuggled = [{"name": "gwp-recharacterize", "params": {"to_set": "AR6", "table": {"CO2": {"AR6": "1"}}}}]
    assert _code(convert_steps, midea_label(), smuggled, DATASETS) == "mapping.bad_params"


def test_electricity_rebase_from_a_pinned_factor_names_the_entry() -> None:
    # Midea: 58.4 kWh at 0.5568 kgCO2/kWh (combustion-co2, 2021) -> CN/2022 0.5366: 2713.81 − 1.17968
    out = convert_steps(midea_label(), _rebase(CO2_2022, [CO2_2022]), DATASETS)
    assert out["value"] == "2712.6303" and out["approximate"] is False
    step = out["trail"][0]
    named = {**CO2_2022, "publisher": REFERENCE_PUBLISHER}
    assert step["source"] == named and step["datasets"] == [CO2_2022]
    new = next(f for f in step["factors"] if f["role"] == "new")
    assert new["source"] == named and (new["value"], new["year"], new["kind"]) == ("0.5366", 2022, "combustion-co2")
    # the same number as rebase_electricity given the factor by hand
    by_hand = rebase_electricity(_fp(midea_label()), {**new, "source": named})
    assert by_hand.footprint.pcf == Decimal("2712.63032")


def test_electricity_factor_in_other_units_is_converted_exactly() -> None:
    ref = {**CO2_2022, "key": "CN/2022/power-sector-reporting"}  # 0.5703 tCO2/MWh
    new = next(
        f
        for f in convert_steps(midea_label(), _rebase(ref, [ref]), DATASETS)["trail"][0]["factors"]
        if f["role"] == "new"
    )
    assert (new["value"], new["unit"]) == ("0.5703", "kgCO2/kWh")
    assert (new["source"]["signed_value"], new["source"]["signed_unit"]) == ("0.5703", "tCO2/MWh")


def test_electricity_factor_must_be_pinned_and_read_from_the_entry() -> None:
    label = midea_label()
    assert _code(convert_steps, label, _rebase(CO2_2022, []), DATASETS) == "mapping.factor_not_pinned"
    assert _code(convert_steps, label, _rebase(CO2_2022, [LC_2023]), DATASETS) == "mapping.factor_not_pinned"
    inline = [{"name": "electricity-rebase", "params": {"new_factor": {"value": "0.5366"}}, "datasets": []}]
    assert _code(convert_steps, label, inline, DATASETS) == "mapping.factor_not_pinned"
    written = {"value": "0.5366", "unit": "kgCO2/kWh", "kind": "combustion-co2", "source": CO2_2022}
    assert _code(convert_steps, label, _rebase(written, [CO2_2022]), DATASETS) == "mapping.factor_not_pinned"
    assert _code(convert_steps, label, _rebase(CO2_2022, [CO2_2022]), {}) == "mapping.dataset_unavailable"
    missing_key = {**CO2_2022, "key": "CN/1999"}
    assert _code(convert_steps, label, _rebase(missing_key, [missing_key]), DATASETS) == "mapping.dataset_key_unknown"
    gwp_as_factor = {**GWP_PIN, "key": "CO2/AR6"}
    assert _code(convert_steps, label, _rebase(gwp_as_factor, [gwp_as_factor]), DATASETS) == (
        "mapping.factor_kind_mismatch"
    )


def test_mixing_scopes_is_refused_unless_the_agreement_allows_it() -> None:
    # combustion-co2 (Midea's label factor) -> lifecycle-co2e: different scope and gases
    refused = _rebase(LC_2023, [LC_2023])
    with pytest.raises(MappingError) as e:
        convert_steps(midea_label(), refused, DATASETS)
    assert e.value.code == "mapping.factor_kind_mismatch" and "lifecycle-co2e" in e.value.message
    allowed = convert_steps(midea_label(), _rebase(LC_2023, [LC_2023], allow_mixed_kinds=True), DATASETS)
    assert allowed["approximate"] is True and any("kinds differ" in r for r in allowed["reasons"])
    assert allowed["trail"][0]["source"]["entry"] == LC_ENTRY
    # schemes.md §4.2 example 4: a certificate-backed zero (combustion scope) re-based to the 2023 footprint
    # factor: 12.00 − 10×0 + 10×0.6205 = 18.205, approximate
    market = simple_label(
        "12.00", None, electricity=[{"kwh": "10", "basis": "market", "instrument": "GEC", "factor": GEC_ZERO}]
    )
    assert _code(convert_steps, market, refused, DATASETS) == "mapping.factor_kind_mismatch"
    ex4 = convert_steps(market, _rebase(LC_2023, [LC_2023], allow_mixed_kinds=True), DATASETS)
    assert ex4["value"] == "18.2050" and ex4["approximate"] is True
    not_bool = _rebase(LC_2023, [LC_2023], allow_mixed_kinds="yes")
    assert _code(convert_steps, midea_label(), not_bool, DATASETS) == "mapping.bad_params"


# ---- end to end: the log service and the offline verifier ----------------------------------------------


def _terms(name: str, **changes: Any) -> dict[str, Any]:
    doc = json.loads((TERMS / f"{name}.json").read_text(encoding="utf-8"))
    doc.update(changes)
    return doc


class World:
    """GD and Carbon Trust roots, a CQC key for GD, the reference-data publisher with the GWP table published."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.roots = {s: Signer() for s in (GD, HK, CT)}
        self.cqc, self.ref = Signer(), Signer()
        for scheme, signer in self.roots.items():
            log.submit(signer.register(scheme))
        log.submit(self.roots[GD].authorize(GD, self.cqc))
        info = {"id": REFERENCE_PUBLISHER, "name": "reference data", "role": "data-publisher"}
        log.submit(self.ref.sign("scheme.register", {"scheme": info, "public_key": self.ref.public_b64}))
        payload = {"publisher": REFERENCE_PUBLISHER, "dataset": _gwp_body()}
        self.gwp = log.submit(self.ref.sign("dataset.publish", payload))

    def agree(self, pins: list[dict[str, Any]]) -> None:
        doc = _terms("gd-to-carbontrust-ar6", datasets=pins)
        self.log.submit(self.roots[GD].sign("agreement.propose", svc.propose_fields(GD, doc)))
        ref = {"id": doc["id"], "version": 1, "terms_hash": svc.terms_hash_of(self.log, doc["id"], 1)}
        self.log.submit(self.roots[CT].sign("agreement.accept", {"scheme": CT, "agreement": ref}))

    def issue(self, label_id: str) -> dict[str, Any]:
        label = label_for(GD, label_id)
        label["issued_at"], label["valid_until"] = "2026-06-01", "2029-05-31"
        self.log.submit(self.cqc.issue(label))
        return label

    def trust(self, without: tuple[str, ...] = ()) -> bytes:
        doc = export_trust(self.log).to_dict()
        doc["schemes"] = [s for s in doc["schemes"] if s["id"] not in without]
        return json.dumps(doc).encode()


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    store = Store(sqlite_url)
    policy = Policy(frozenset({GD, HK, CT, REFERENCE_PUBLISHER}))
    log = Log(store, SigningKey.generate(), "registry.test/log", policy, lambda: NOW)
    yield World(log)
    store.close()


def test_online_and_offline_convert_with_the_pinned_gwp_entry(world: World) -> None:
    pin = {"dataset": "ipcc-gwp100", "version": 1, "entry": world.gwp.entry_id, "key": "*"}
    world.agree([pin])
    label = world.issue("GD-REG-1")
    on = svc.equivalence(world.log, "GD-REG-1", CT, NOW.date(), GD)
    assert on["verdict"] == "recognized_after_conversion", on
    step = on["converted"]["trail"][0]
    assert step["name"] == "gwp-recharacterize" and step["source"]["entry"] == world.gwp.entry_id
    assert step["datasets"][0]["entry"] == world.gwp.entry_id
    # the same number as the package table gives
    package = apply_steps(label, [{"name": "gwp-recharacterize", "params": {"to_set": "AR6"}}]).to_dict()
    assert on["converted"]["value"] == package["value"]
    # the bundle carries the pinned entry and its publisher's registration
    held = {r.entry_id for r in bundle_entries(world.log, find_label(world.log, "GD-REG-1", GD), CT)}
    assert world.gwp.entry_id in held
    kinds = {
        parse_entry(bytes(r.envelope)).body.get("scheme", {}).get("id")
        for r in bundle_entries(world.log, find_label(world.log, "GD-REG-1", GD), CT)
        if r.kind == "scheme.register"
    }
    assert REFERENCE_PUBLISHER in kinds
    report = verify_bundle(
        build_bundle(world.log, "GD-REG-1", GD, CT), world.trust(), at=NOW.date(), now=NOW, target_scheme=CT
    )
    assert report.exit_code() == 0, report.to_dict()
    assert report.steps[10].status == PASSED
    off = report.equivalence
    assert off is not None and off["converted"] == on["converted"] and off["excluded"] == []
    assert {k: off[k] for k in ("verdict", "agreement", "reasons")} == {
        k: on[k] for k in ("verdict", "agreement", "reasons")
    }


def test_pinned_entry_missing_from_the_log_is_not_recognized(world: World) -> None:
    world.agree([{"dataset": "ipcc-gwp100", "version": 1, "entry": "de" * 32, "key": "*"}])
    world.issue("GD-REG-2")
    on = svc.equivalence(world.log, "GD-REG-2", CT, NOW.date(), GD)
    assert on["verdict"] == "not_recognized" and on.get("converted") is None
    assert any(r.startswith("conversion failed: mapping.dataset_unavailable") for r in on["reasons"]), on
    report = verify_bundle(
        build_bundle(world.log, "GD-REG-2", GD, CT), world.trust(), at=NOW.date(), now=NOW, target_scheme=CT
    )
    assert report.steps[10].status == FAILED
    assert report.equivalence is not None and report.equivalence["reasons"] == on["reasons"]


def test_unauthenticated_pinned_entry_is_unavailable_offline(world: World) -> None:
    pin = {"dataset": "ipcc-gwp100", "version": 1, "entry": world.gwp.entry_id, "key": "*"}
    world.agree([pin])
    world.issue("GD-REG-3")
    bundle = build_bundle(world.log, "GD-REG-3", GD, CT)
    report = verify_bundle(
        bundle, world.trust(without=(REFERENCE_PUBLISHER,)), at=NOW.date(), now=NOW, target_scheme=CT
    )
    eq = report.equivalence
    assert report.steps[10].status == FAILED and eq is not None and eq["verdict"] == "not_recognized"
    assert any("mapping.dataset_unavailable" in r for r in eq["reasons"]), eq
    assert any(f"index {world.gwp.index}" in x and "pins" in x for x in eq["excluded"]), eq["excluded"]
