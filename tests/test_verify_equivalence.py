"""The offline verifier's step 10 (DESIGN §6: "equivalence under the target scheme by the agreement version in
force") and its citation report (given with step 8), on bundles built from real logs (SQLite).

Every verdict offline must equal the log service's online verdict (ledger.agreements_service.equivalence):
the same mapping rules, fed the same history (event times = each entry's signed_at)."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger import agreements_service as svc
from ledger.bundles import build_bundle, export_trust
from ledger.log import Log
from ledger.reference_data import shipped_datasets
from ledger.store import Store
from verifier.canonical import canonicalize
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.report import FAILED, NOT_APPLICABLE, PASSED, Report
from verifier.verify import verify_bundle

from .helpers import NOW, Signer, cite_electricity_factor, label_for

GD, HK, CT, JP, MEE = "gd-carbon-label", "hk-cma-carbon-label", "carbontrust-label", "jp-sumpo-cfp", "cn-mee-data"
DATASET = "cn-electricity-footprint"
AT = NOW.date()
TERMS = Path(__file__).parent.parent / "mapping" / "data" / "agreements"
VERDICT_KEYS = ("verdict", "agreement", "reasons", "failed_conditions", "converted")


def terms(name: str, **changes: Any) -> dict[str, Any]:
    doc = json.loads((TERMS / f"{name}.json").read_text(encoding="utf-8"))
    doc.update(changes)
    return doc


def current_label(label_id: str) -> dict[str, Any]:
    label = label_for(GD, label_id)
    label["issued_at"], label["valid_until"] = "2026-06-01", "2029-05-31"
    return label


def dataset_body(version: int) -> dict[str, Any]:
    body = copy.deepcopy(next(d for d in shipped_datasets() if d["id"] == DATASET))
    body["version"] = version
    return body


class World:
    """GD, HK, Carbon Trust and Japan roots registered, a CQC key authorized by GD, a data publisher (MEE)."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.roots = {s: Signer() for s in (GD, HK, CT, JP)}
        self.cqc, self.mee = Signer(), Signer()
        for scheme, signer in self.roots.items():
            log.submit(signer.register(scheme))
        log.submit(self.roots[GD].authorize(GD, self.cqc))
        log.submit(
            self.mee.sign(
                "scheme.register",
                {"scheme": {"id": MEE, "name": "MEE", "role": "data-publisher"}, "public_key": self.mee.public_b64},
            )
        )

    # agreements
    def propose(self, scheme: str, doc: dict[str, Any]) -> Any:
        return self.log.submit(self.roots[scheme].sign("agreement.propose", svc.propose_fields(scheme, doc)))

    def ref(self, agreement_id: str, version: int = 1) -> dict[str, Any]:
        return {
            "id": agreement_id,
            "version": version,
            "terms_hash": svc.terms_hash_of(self.log, agreement_id, version),
        }

    def accept(self, scheme: str, agreement_id: str, version: int = 1) -> Any:
        fields = {"scheme": scheme, "agreement": self.ref(agreement_id, version)}
        return self.log.submit(self.roots[scheme].sign("agreement.accept", fields))

    def withdraw(self, scheme: str, agreement_id: str, now: datetime) -> Any:
        fields = {"scheme": scheme, "agreement": self.ref(agreement_id), "reason": "review"}
        return self.log.submit(self.roots[scheme].sign("agreement.withdraw", fields, now=now))

    # datasets
    def publish(self, version: int = 1) -> Any:
        return self.log.submit(self.mee.sign("dataset.publish", {"publisher": MEE, "dataset": dataset_body(version)}))

    def citing_label(self, label_id: str, entry: str) -> dict[str, Any]:
        return cite_electricity_factor(current_label(label_id), entry)

    # labels, bundles, trust files
    def issue(self, label_id: str, label: dict[str, Any] | None = None, now: datetime = NOW) -> Any:
        return self.log.submit(self.cqc.issue(label or current_label(label_id), now=now))

    def bundle(self, label_id: str, target: str | None = None, version: int | None = None) -> bytes:
        return build_bundle(self.log, label_id, GD, target, version=version)

    def trust(self, without: tuple[str, ...] = (), buyer_scheme: str | None = None) -> bytes:
        doc = export_trust(self.log, buyer_scheme=buyer_scheme).to_dict()
        doc["schemes"] = [s for s in doc["schemes"] if s["id"] not in without]
        return json.dumps(doc).encode()


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    store = Store(sqlite_url)
    log = Log(store, SigningKey.generate(), "equiv.test/log", Policy(frozenset({GD, HK, CT, JP, MEE})), lambda: NOW)
    yield World(log)
    store.close()


def run(bundle: bytes, trust: bytes, **kw: Any) -> Report:
    kw.setdefault("at", AT)
    kw.setdefault("now", NOW)
    return verify_bundle(bundle, trust, **kw)


def online(world: World, label_id: str, target: str, at: date = AT) -> dict[str, Any]:
    return svc.equivalence(world.log, label_id, target, at, GD)


def same_verdict(offline: dict[str, Any] | None, on: dict[str, Any]) -> None:
    assert offline is not None
    assert {k: offline.get(k) for k in VERDICT_KEYS} == {k: on.get(k) for k in VERDICT_KEYS}


def edit_bundle(bundle: bytes, fn) -> bytes:  # type: ignore[no-untyped-def]
    doc = json.loads(bundle)
    fn(doc)
    return canonicalize(doc)


def drop_index(index: int):  # type: ignore[no-untyped-def]
    return lambda doc: doc.update(entries=[e for e in doc["entries"] if e["index"] != index])


def mutual(world: World) -> tuple[Any, Any]:
    proposed = world.propose(GD, terms("gd-hk-mutual"))
    return proposed, world.accept(HK, "gd-hk-mutual")


# ---- step 10 ----------------------------------------------------------------------------------------------


def test_step10_recognized_under_mutual_agreement_as_online(world: World) -> None:
    """Step 10: a GD label under HK, by the GD <-> HK mutual agreement the bundle carries."""
    _, accepted = mutual(world)
    world.issue("GD-EQ-1")
    r = run(world.bundle("GD-EQ-1", HK), world.trust(), target_scheme=HK)
    assert r.exit_code() == 0, r.to_dict()
    assert r.steps[10].status == PASSED and r.steps[5].status == PASSED
    eq = r.equivalence
    assert eq is not None and eq["verdict"] == "recognized" and eq["target_scheme"] == HK
    assert eq["agreement"]["index"] == accepted.index and eq["excluded"] == []
    assert "gd-hk-mutual version 1" in r.steps[10].detail and f"index {accepted.index}" in r.steps[10].detail
    same_verdict(eq, online(world, "GD-EQ-1", HK))


def test_step10_asks_the_trust_files_buyer_scheme_never_the_bundles_target_scheme(world: World) -> None:
    """Step 10: with no target asked, the trust file's buyer_scheme is the question; the bundle's unsigned
    target_scheme never is (it only says which agreements the bundle was built to carry)."""
    mutual(world)
    world.issue("GD-EQ-1")
    for_hk = world.bundle("GD-EQ-1", HK)
    r = run(for_hk, world.trust(buyer_scheme=HK))
    assert r.steps[10].status == PASSED and r.equivalence["target_scheme"] == HK  # type: ignore[index]
    assert run(world.bundle("GD-EQ-1"), world.trust(buyer_scheme=HK)).steps[10].status == FAILED  # no agreements
    # neither the bundle's target_scheme nor its absence is the question
    assert run(for_hk, world.trust()).steps[10].status == NOT_APPLICABLE
    r = run(for_hk, world.trust(buyer_scheme=JP))
    assert r.steps[10].status == FAILED and r.equivalence["target_scheme"] == JP  # type: ignore[index]
    # the target asked wins over the trust file's buyer scheme
    r = run(for_hk, world.trust(buyer_scheme=JP), target_scheme=HK)
    assert r.steps[10].status == PASSED and r.equivalence["target_scheme"] == HK  # type: ignore[index]


def test_step10_recognized_after_ar6_conversion_as_online(world: World) -> None:
    """Step 10: GD -> Carbon Trust one-way, re-characterized to AR6; the converted value equals the online one."""
    world.propose(GD, terms("gd-to-carbontrust-ar6"))
    accepted = world.accept(CT, "gd-to-carbontrust-ar6")
    world.issue("GD-EQ-2")
    r = run(world.bundle("GD-EQ-2", CT), world.trust(), target_scheme=CT)
    assert r.exit_code() == 0, r.to_dict()
    eq = r.equivalence
    assert eq is not None and eq["verdict"] == "recognized_after_conversion"
    on = online(world, "GD-EQ-2", CT)
    assert eq["converted"] == on["converted"] and eq["converted"]["trail"]
    assert eq["agreement"]["index"] == accepted.index
    assert f"converted value {on['converted']['value']} kgCO2e" in r.steps[10].detail
    same_verdict(eq, on)


def test_step10_no_agreement_with_japan(world: World) -> None:
    """Step 10: no agreement covers GD -> JP: no_agreement, exit 4."""
    mutual(world)
    world.issue("GD-EQ-3")
    r = run(world.bundle("GD-EQ-3", JP), world.trust(), target_scheme=JP)
    assert r.steps[10].status == FAILED and r.exit_code() == 4
    assert r.equivalence is not None and r.equivalence["verdict"] == "no_agreement"
    same_verdict(r.equivalence, online(world, "GD-EQ-3", JP))


def test_step10_agreement_withdrawn_before_the_date(world: World) -> None:
    """Step 10: a withdrawal is part of the history; labels logged before and after it are no longer covered."""
    mutual(world)
    world.issue("GD-BEFORE")
    later = NOW + timedelta(seconds=1)
    world.log.clock = lambda: later
    world.withdraw(HK, "gd-hk-mutual", later)
    world.issue("GD-AFTER", now=later)
    for label_id in ("GD-AFTER", "GD-BEFORE"):
        r = run(world.bundle(label_id, HK), world.trust(), at=later.date(), now=later, target_scheme=HK)
        assert r.steps[10].status == FAILED and r.exit_code() == 4, label_id
        eq = r.equivalence
        assert eq is not None and eq["verdict"] in ("no_agreement", "not_recognized")
        assert any("withdrawn" in reason for reason in eq["reasons"]), eq
        assert "withdrawn" in r.steps[10].detail
        same_verdict(eq, online(world, label_id, HK, later.date()))
    # the day before the withdrawal the earlier label was recognized, as online
    r = run(world.bundle("GD-BEFORE", HK), world.trust(), at=date(2026, 11, 23), target_scheme=HK)
    same_verdict(r.equivalence, online(world, "GD-BEFORE", HK, date(2026, 11, 23)))


def test_step5_tampered_agreement_accept_is_not_authentic(world: World) -> None:
    """Steps 5 and 10: one changed byte in the accept's envelope (its signature) breaks its inclusion proof."""
    _, accepted = mutual(world)
    world.issue("GD-EQ-4")

    def tamper(doc: dict[str, Any]) -> None:
        item = next(e for e in doc["entries"] if e["index"] == accepted.index)
        env = json.loads(base64.b64decode(item["envelope"]))
        sig = env["signatures"][0]["sig"]
        env["signatures"][0]["sig"] = ("B" if sig[5] != "B" else "C").join((sig[:5], sig[6:]))
        raw = base64.b64decode(item["envelope"]).replace(sig.encode(), env["signatures"][0]["sig"].encode())
        item["envelope"] = base64.b64encode(raw).decode()

    r = run(edit_bundle(world.bundle("GD-EQ-4", HK), tamper), world.trust(), target_scheme=HK)
    assert r.steps[1].status == PASSED, r.steps[1].detail
    assert r.steps[5].status == FAILED and f"index {accepted.index}" in r.steps[5].detail
    assert r.exit_code() == 3
    assert r.equivalence is None and r.steps[10].detail.startswith("not checked")  # the accept is never used


def test_step10_trust_file_without_the_target_scheme(world: World) -> None:
    """Step 10: agreements signed by a scheme whose root the buyer does not trust are left out, and said so."""
    mutual(world)
    world.issue("GD-EQ-5")
    r = run(world.bundle("GD-EQ-5", HK), world.trust(without=(HK,)), target_scheme=HK)
    assert r.steps[4].status == PASSED
    assert r.steps[10].status == FAILED and r.exit_code() == 4
    assert (
        "target scheme hk-cma-carbon-label: no root key in the trust file — agreements signed by it cannot be checked"
        in r.steps[10].detail
    )
    assert r.equivalence is not None and r.equivalence["verdict"] == "no_agreement"


def test_step10_accept_removed_from_the_bundle(world: World) -> None:
    """Step 10 of a bundle v1: without the accept the bundle shows a proposal only: not in force, exit 4.
    (A bundle v2's status map lists the accept, so dropping it is no evidence: see
    tests/test_attack_deleted_status_entries.py.)"""
    proposed, accepted = mutual(world)
    world.issue("GD-EQ-6")
    r = run(edit_bundle(world.bundle("GD-EQ-6", HK, 1), drop_index(accepted.index)), world.trust(), target_scheme=HK)
    assert r.steps[5].status == PASSED and r.steps[10].status == FAILED and r.exit_code() == 4
    assert r.equivalence is not None and r.equivalence["verdict"] == "no_agreement"
    assert any("proposed" in reason for reason in r.equivalence["reasons"])
    # without the proposal, the accept names terms the bundle does not hold: left out, never guessed
    r = run(edit_bundle(world.bundle("GD-EQ-6", HK, 1), drop_index(proposed.index)), world.trust(), target_scheme=HK)
    assert r.exit_code() == 4 and r.equivalence is not None
    assert any(f"index {accepted.index} left out" in x for x in r.equivalence["excluded"])


def test_step10_same_scheme(world: World) -> None:
    """Step 10: a GD label asked about under GD is recognized, no agreement needed."""
    world.issue("GD-EQ-7")
    r = run(world.bundle("GD-EQ-7", GD), world.trust(), target_scheme=GD)
    assert r.steps[10].status == PASSED and r.exit_code() == 0
    assert r.equivalence is not None and r.equivalence["verdict"] == "recognized"
    assert r.equivalence["reasons"] == ["same scheme"] and "same scheme" in r.steps[10].detail
    same_verdict(r.equivalence, online(world, "GD-EQ-7", GD))


def test_step10_accept_signed_by_a_root_rotated_since(world: World) -> None:
    """Steps 4 and 10: HK rotates its root after accepting; the trust file names only the new root, and the
    accept still authenticates through the scheme.rotate chain in the bundle."""
    _, accepted = mutual(world)
    world.issue("GD-EQ-8")
    new_root = Signer()
    world.log.submit(world.roots[HK].sign("scheme.rotate", {"scheme": HK, "new_public_key": new_root.public_b64}))
    trust = json.loads(world.trust())
    hk = next(s for s in trust["schemes"] if s["id"] == HK)
    assert hk["root_keys"] == [new_root.public_b64]
    r = run(world.bundle("GD-EQ-8", HK), json.dumps(trust).encode(), target_scheme=HK)
    assert r.exit_code() == 0, r.to_dict()
    assert r.equivalence is not None and r.equivalence["agreement"]["index"] == accepted.index


# ---- citations (reported with step 8) ---------------------------------------------------------------------


def _citation(r: Report) -> dict[str, Any]:
    assert len(r.citations) == 1, r.citations
    return r.citations[0]


def test_step8_citation_matched(world: World) -> None:
    """Step 8's report: the cited dataset version is the publisher's current one."""
    v1 = world.publish()
    world.issue("GD-CITE-1", world.citing_label("GD-CITE-1", v1.entry_id))
    r = run(world.bundle("GD-CITE-1"), world.trust())
    assert r.exit_code() == 0, r.to_dict()
    c = _citation(r)
    assert (c["status"], c["authenticated"], c["publisher"], c["value"]) == ("matched", True, MEE, "0.6205")
    assert "citations: 1 matched" in r.steps[8].detail
    assert r.to_dict()["citations"] == r.citations


def test_step8_citation_superseded_by_a_newer_version(world: World) -> None:
    """Step 8's report: a v2 published after the label makes the cited v1 superseded (exit code unchanged)."""
    v1 = world.publish()
    world.issue("GD-CITE-2", world.citing_label("GD-CITE-2", v1.entry_id))
    world.publish(version=2)
    r = run(world.bundle("GD-CITE-2"), world.trust())
    c = _citation(r)
    assert (c["status"], c["newer_version"], c["authenticated"]) == ("superseded", 2, True)
    assert "citations: 1 superseded" in r.steps[8].detail and r.exit_code() == 0


def test_step8_citation_retired(world: World) -> None:
    """Step 8's report: the publisher retired the cited version."""
    v1 = world.publish()
    world.issue("GD-CITE-3", world.citing_label("GD-CITE-3", v1.entry_id))
    retire = {"publisher": MEE, "dataset": {"id": DATASET, "version": 1, "entry": v1.entry_id}, "reason": "error"}
    world.log.submit(world.mee.sign("dataset.retire", retire))
    r = run(world.bundle("GD-CITE-3"), world.trust())
    assert _citation(r)["status"] == "retired" and r.exit_code() == 0


def test_step8_citation_unverified_without_the_publisher_in_the_trust_file(world: World) -> None:
    """Step 8's report: a publisher the trust file does not name cannot be authenticated: `unverified`."""
    v1 = world.publish()
    world.issue("GD-CITE-4", world.citing_label("GD-CITE-4", v1.entry_id))
    r = run(world.bundle("GD-CITE-4"), world.trust(without=(MEE,)))
    c = _citation(r)
    assert (c["status"], c["authenticated"]) == ("unverified", False)
    assert "no root key in the trust file" in c["reason"] and "matched" in c["reason"]
    assert "citations: 1 unverified" in r.steps[8].detail and r.exit_code() == 0


def test_step8_citation_missing_from_the_bundle(world: World) -> None:
    """Step 8's report: the cited entry taken out of the bundle is `missing`, named in the detail only."""
    v1 = world.publish()
    world.issue("GD-CITE-5", world.citing_label("GD-CITE-5", v1.entry_id))
    r = run(edit_bundle(world.bundle("GD-CITE-5"), drop_index(v1.index)), world.trust())
    assert _citation(r)["status"] == "missing" and r.exit_code() == 0
    assert "1 missing (not in the bundle)" in r.steps[8].detail


def test_cli_human_report_shows_equivalence_and_citations(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """Step 10 and step 8's citations as a person reads them (`carbonledger verify` without --json)."""
    from cli.verify_cmds import _print_report

    v1 = world.publish()
    world.propose(GD, terms("gd-to-carbontrust-ar6"))
    world.accept(CT, "gd-to-carbontrust-ar6")
    world.issue("GD-CLI", world.citing_label("GD-CLI", v1.entry_id))
    r = run(world.bundle("GD-CLI", CT), world.trust(), target_scheme=CT)
    _print_report(r.to_dict())
    out = capsys.readouterr().out
    assert "recognized_after_conversion" in out and "gd-to-carbontrust-ar6" in out
    assert f"converted value: {r.equivalence['converted']['value']}" in out  # type: ignore[index]
    assert "citations:" in out and "matched" in out and DATASET in out
