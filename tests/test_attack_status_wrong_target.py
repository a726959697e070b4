"""Attack: a bundle built for one target scheme, asked about another, is read as "no agreement was proposed"
while the log holds one in force (and an expired agreement as "no agreement"). Now a bundle says what it
shows: no evidence about the scheme asked is the verdict ``no_evidence`` (exit 4) with how to get it; a status
map's proof that the two schemes have no agreement is ``no_agreement`` in the words "proven: no agreement
between A and B as of tree size N"; an expired agreement is ``not_recognized``, "agreement X version V expired
on D" (issue 16, items 2 and 4; DESIGN §6 step 10)."""

from __future__ import annotations

from datetime import date

from ledger import agreements_service as svc
from ledger.bundles import build_bundle
from verifier.report import FAILED, PASSED

from .status_world import CT, GD, HK, JP, StatusWorld, edit, run, status_world, terms

__all__ = ["status_world"]  # the fixture, used by name

VERDICT_KEYS = ("verdict", "agreement", "reasons", "failed_conditions", "converted")


def _no_evidence(r: object, target: str) -> str:
    assert r.exit_code() == 4 and r.verdict() == "not_equivalent", r.to_dict()  # type: ignore[attr-defined]
    eq = r.equivalence  # type: ignore[attr-defined]
    assert eq["verdict"] == "no_evidence" and eq["target_scheme"] == target and eq["agreement"] is None
    detail = r.steps[10].detail  # type: ignore[attr-defined]
    assert "was proposed" not in detail and "was proposed" not in " ".join(eq["reasons"])
    assert f"carbonledger bundle refresh BUNDLE --server URL --to {target} --out FILE" in detail
    assert f"carbonledger verify BUNDLE --trust TRUST --server URL --to {target}" in detail
    return detail


def test_a_bundle_for_target_a_asked_about_b_is_no_evidence(status_world: StatusWorld) -> None:
    w = status_world
    w.mutual()
    w.propose(GD, terms("gd-hk-mutual", id="gd-ct-status-test", parties=[GD, CT]))
    w.accept(CT, "gd-ct-status-test")
    w.issue("GD-TARGET-1")
    trust = w.trust()
    for_hk = w.bundle2("GD-TARGET-1", HK)
    assert run(for_hk, trust, target_scheme=HK).exit_code() == 0
    detail = _no_evidence(run(for_hk, trust, target_scheme=CT), CT)  # an agreement with CT is in force
    assert "built for target hk-cma-carbon-label" in detail
    assert "built without a target scheme" in _no_evidence(run(w.bundle2("GD-TARGET-1"), trust, target_scheme=HK), HK)
    # the same for a bundle v1, which cannot prove absence either
    v1 = build_bundle(w.log, "GD-TARGET-1", GD, HK, version=1)
    assert "bundle (v1" in _no_evidence(run(v1, trust, target_scheme=CT), CT)
    # built for CT, it is recognized under CT
    assert run(w.bundle2("GD-TARGET-1", CT), trust, target_scheme=CT).exit_code() == 0


def test_a_proven_absence_is_no_agreement_in_those_words(status_world: StatusWorld) -> None:
    w = status_world
    w.mutual()
    w.issue("GD-JP-1")
    r = run(w.bundle2("GD-JP-1", JP), w.trust(), target_scheme=JP)
    assert r.exit_code() == 4 and r.steps[10].status == FAILED and r.equivalence is not None
    assert r.equivalence["verdict"] == "no_agreement"
    assert f"proven: no agreement between {GD} and {JP} as of tree size {w.log.size}" in r.steps[10].detail
    online = svc.equivalence(w.log, "GD-JP-1", JP, w.log.clock().date(), GD)
    assert {k: r.equivalence.get(k) for k in VERDICT_KEYS} == {k: online.get(k) for k in VERDICT_KEYS}
    # a bundle v1 built for JP says no_agreement too, but only as far as it shows
    r1 = run(build_bundle(w.log, "GD-JP-1", GD, JP, version=1), w.trust(), target_scheme=JP)
    assert r1.equivalence is not None and r1.equivalence["verdict"] == "no_agreement"
    assert "as the bundle shows" in r1.steps[10].detail and "proven" not in r1.steps[10].detail


def test_recognized_from_the_proven_agreement_state(status_world: StatusWorld) -> None:
    w = status_world
    w.mutual()
    w.issue("GD-HK-1")
    r = run(w.bundle2("GD-HK-1", HK), w.trust(), target_scheme=HK)
    assert r.exit_code() == 0 and r.steps[10].status == PASSED
    assert "the status map lists, all in the bundle" in r.steps[10].detail
    # a listed agreement whose own proof is left out: no evidence
    stripped = edit(
        w.bundle2("GD-HK-1", HK), lambda d: d.update(status=[i for i in d["status"] if i["kind"] != "agreement"])
    )
    assert "no status proof for agreement gd-hk-mutual" in _no_evidence(run(stripped, w.trust(), target_scheme=HK), HK)


def test_an_expired_agreement_is_not_recognized_saying_when_it_expired(status_world: StatusWorld) -> None:
    w = status_world
    w.mutual()  # valid until 2026-12-31
    w.issue("GD-EXPIRY-1")
    after = date(2027, 1, 15)
    for bundle in (w.bundle2("GD-EXPIRY-1", HK), build_bundle(w.log, "GD-EXPIRY-1", GD, HK, version=1)):
        r = run(bundle, w.trust(), at=after, target_scheme=HK)
        assert r.exit_code() == 4 and r.equivalence is not None, r.to_dict()
        assert r.equivalence["verdict"] == "not_recognized"
        assert r.equivalence["reasons"][0] == "agreement gd-hk-mutual version 1 expired on 2026-12-31"
        assert "agreement gd-hk-mutual version 1 expired on 2026-12-31" in r.steps[10].detail
    assert run(w.bundle2("GD-EXPIRY-1", HK), w.trust(), target_scheme=HK).exit_code() == 0  # before it expired
