"""Issue 20: "Huzhou's demo label carries its several certifications and shows what adoption (a buyer's scheme
accepting it) means". Huzhou merges green-product, low-carbon and carbon-label certification (schemes.md §2.13
[S15]): the label carries the other two certificates in the optional ``certifications`` array the label schema
gained for it, and ``label show`` prints them. Adoption (采信) is the illustrative one-way agreement
``huzhou-to-cn-adoption``: the national label accepts Huzhou labels that meet its conditions, so equivalence —
online and offline — says ``recognized`` and names the agreement; a Huzhou label without the certificates, or a
label of the national scheme asked for under Huzhou's, is not recognized."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.bundles import find_label
from ledger.demo_huzhou import ADOPTION, CN, HZ
from ledger.demo_records import HUZHOU_ID, huzhou_record
from ledger.home import load_settings, open_log
from ledger.reference_data import shipped_datasets, shipped_releases
from mapping.errors import SchemaError
from verifier import schemas
from verifier.envelope import parse_entry
from verifier.equivalence_offline import offline_verdict

from .helpers import Cli

TODAY = date(2026, 12, 2)
ENTRIES = {b["id"]: (b["version"], f"{i:064x}") for i, b in enumerate([*shipped_datasets(), *shipped_releases()])}
PROGRAMMES = ["China green product certification", "China low-carbon product certification"]


def _label() -> dict[str, Any]:
    return huzhou_record(ENTRIES, TODAY)


# ---- the certifications, as the schema allows ------------------------------------------------------------------


def test_the_huzhou_label_carries_its_other_certifications_each_marked_illustrative() -> None:
    label = _label()
    schemas.validate("label-record", label)
    assert label["scheme"] == HZ
    assert [c["programme"] for c in label["certifications"]] == PROGRAMMES
    for cert in label["certifications"]:
        assert cert["source"].startswith("illustrative") and "(illustrative)" in cert["certificate_id"]
        assert date.fromisoformat(cert["date"]) <= date.fromisoformat(label["issued_at"])
    # the carbon label itself is the record: its certifier is the key the scheme authorized
    assert label["verification"]["body"]["name"] == label["certifications"][0]["body"]["name"]


CERT_MUTANTS = [
    ("missing certificate id", lambda c: c.pop("certificate_id"), "/certifications/0"),
    ("missing source", lambda c: c.pop("source"), "/certifications/0"),
    ("body without a name", lambda c: c["body"].pop("name"), "/certifications/0/body"),
    ("a day that does not exist", lambda c: c.update(date="2025-02-29"), "/certifications/0/date"),
    ("an unknown member", lambda c: c.update(grade="A"), "/certifications/0"),
    ("a lower-case country", lambda c: c["body"].update(country="cn"), "/certifications/0/body/country"),
]


@pytest.mark.parametrize(("what", "mutate", "pointer"), CERT_MUTANTS, ids=[m[0] for m in CERT_MUTANTS])
def test_a_malformed_certification_is_refused_by_the_schema(what: str, mutate: Any, pointer: str) -> None:
    label = _label()
    mutate(label["certifications"][0])
    with pytest.raises(SchemaError) as e:
        schemas.validate("label-record", label)
    assert e.value.field is not None and e.value.field.startswith(pointer), (what, e.value.field)


def test_an_empty_certifications_list_is_refused_and_a_label_without_one_is_valid() -> None:
    label = _label()
    label["certifications"] = []
    with pytest.raises(SchemaError) as e:
        schemas.validate("label-record", label)
    assert e.value.field == "/certifications"
    del label["certifications"]
    schemas.validate("label-record", label)  # optional: every earlier label stays valid


def test_label_show_prints_each_certification_and_where_it_comes_from(tmp_path: Path, copy_demo_home: Any) -> None:
    cli = Cli(copy_demo_home(tmp_path / "home"))
    shown = cli.run("label", "show", HUZHOU_ID).stdout
    green, low_carbon = (
        "China green product certification (绿色产品认证)",
        "China low-carbon product certification (低碳产品认证)",
    )
    assert f"also certified: {green}, certificate HZ-GP-2025-0001" in shown
    assert f"also certified: {low_carbon}, certificate CQC-LC-2025-0001" in shown
    assert "by China Quality Certification Centre (CQC)" in shown
    assert shown.count("as stated by the issuer; source: illustrative") == 2
    assert [c["programme"] for c in cli.json("label", "show", HUZHOU_ID)["label"]["certifications"]] == PROGRAMMES
    assert "also certified" not in cli.run("label", "show", "GD-CL-2025-0101").stdout


# ---- adoption (采信) -------------------------------------------------------------------------------------------


def test_the_national_label_adopts_the_huzhou_label_online_and_offline(tmp_path: Path, copy_demo_home: Any) -> None:
    home = copy_demo_home(tmp_path / "home")
    cli = Cli(home)
    verdict = cli.json("equivalence", HUZHOU_ID, "--to", CN)
    assert verdict["verdict"] == "recognized"
    assert (verdict["agreement"]["id"], verdict["agreement"]["version"]) == (ADOPTION, 1)
    assert f"{ADOPTION} version 1 is marked illustrative" in verdict["reasons"]
    out = home / "demo-out"
    cp = cli.run("verify", str(out / f"{HUZHOU_ID}.bundle.json"), "--trust", str(out / "trust-cn-buyer.json"),
                 "--to", CN, "--json")  # fmt: skip
    report = json.loads(cp.stdout)
    assert (report["verdict"], report["exit_code"]) == ("authentic_and_valid", 0)
    step10 = {s["step"]: s for s in report["steps"]}[10]
    assert step10["status"] == "passed"
    assert f"recognized under {CN} by agreement {ADOPTION} version 1" in step10["detail"]
    agreements = cli.run("agreement", "list").stdout
    assert ADOPTION in agreements


def _logged_huzhou(home: Path) -> tuple[dict[str, Any], int, str, list[Any]]:
    log = open_log(load_settings(home), precheck_workers=False)
    try:
        row = find_label(log, HUZHOU_ID, HZ)
        body = parse_entry(bytes(log.store.entry(row.idx).envelope)).body
        return body["label"], row.idx, body["signed_at"], log.agreement_events()
    finally:
        log.store.close()


def test_adoption_holds_only_under_its_conditions_and_one_way(tmp_path: Path, copy_demo_home: Any) -> None:
    label, index, signed_at, history = _logged_huzhou(copy_demo_home(tmp_path / "home"))
    on = date.fromisoformat(signed_at[:10])  # the day the demo ran: its agreement is in force from then on
    assert offline_verdict(label, HZ, index, signed_at, CN, on, history).verdict == "recognized"
    # without the certificates Huzhou merges with its carbon label, the national label does not adopt it
    bare = copy.deepcopy(label)
    del bare["certifications"]
    v = offline_verdict(bare, HZ, index, signed_at, CN, on, history).to_dict()
    assert v["verdict"] == "not_recognized"
    assert any(r.startswith("failed: /certifications/*/programme") and "absent" in r for r in v["reasons"])
    # nor with a combustion-only electricity factor (GB/T 24067 counts electricity over its life cycle)
    co2 = copy.deepcopy(label)
    co2["footprint"]["electricity"][0]["factor"]["kind"] = "combustion-co2"
    v = offline_verdict(co2, HZ, index, signed_at, CN, on, history).to_dict()
    assert v["verdict"] == "not_recognized"
    assert any(r.startswith("failed: /footprint/electricity/*/factor/kind") for r in v["reasons"])
    # one way: the national scheme's label is not thereby a Huzhou label
    assert offline_verdict(label, CN, index, signed_at, HZ, on, history).verdict == "no_agreement"


def test_a_demo_home_of_an_earlier_version_admits_huzhou_when_the_demo_runs_again(tmp_path: Path) -> None:
    """A home the previous version's demo made allows only that version's schemes: the demo extends the allow-list
    rather than failing at Huzhou's registration (the operator's other settings are kept)."""
    from ledger.demo_story import DEMO_SCHEMES
    from ledger.home import init_home
    from ledger.reference_data import REFERENCE_PUBLISHER

    home = tmp_path / "home"
    earlier = [s[0] for s in DEMO_SCHEMES if s[0] != HZ] + [REFERENCE_PUBLISHER]
    init_home(home, allowed_schemes=earlier, origin="earlier.example/log")
    assert HZ not in load_settings(home).policy.allowed_schemes
    Cli(home).run("demo")
    settings = load_settings(home)
    assert HZ in settings.policy.allowed_schemes and settings.origin == "earlier.example/log"
    log = open_log(settings, precheck_workers=False)
    try:
        assert find_label(log, HUZHOU_ID, HZ).label_id == HUZHOU_ID
    finally:
        log.store.close()
