"""Attack: a seller deletes from a bundle the entry that ended something — the label's revocation, its key's
compromise revocation, its scheme's root rotation, the agreement's withdrawal — so that an old verdict
(authentic, valid, recognized) comes back. A bundle v1 proves inclusion only, so it cannot catch this and says
so ("none seen as of tree size N"); a bundle v2 proves each object's status in the checkpoint's status map, and
the deletion no longer changes the answer (issue 16, items 1-2; DESIGN §6 steps 3, 4, 8, 10)."""

from __future__ import annotations

import json

from ledger.bundles import build_bundle, export_trust
from verifier.report import FAILED, NOT_APPLICABLE, PASSED

from .helpers import Signer
from .status_world import GD, HK, StatusWorld, drop_entries, entry_kinds, run, status_world

__all__ = ["status_world"]  # the fixture, used by name


def test_deleting_a_label_revocation_is_caught_once_status_is_proven(status_world: StatusWorld) -> None:
    w = status_world
    issued = w.issue("GD-REVOKED-1")
    revoke = w.revoke_label("GD-REVOKED-1", issued.entry_id)
    trust = w.trust()

    honest = run(w.bundle2("GD-REVOKED-1"), trust)
    assert honest.exit_code() == 6 and honest.steps[8].status == FAILED

    seller = drop_entries(w.bundle2("GD-REVOKED-1"), "label.revoke")
    assert "label.revoke" not in entry_kinds(json.loads(seller))
    r = run(seller, trust)
    assert r.exit_code() == 6 and r.verdict() == "not_valid", r.to_dict()
    detail = r.steps[8].detail
    assert detail.startswith("label revoked by entry") and revoke.entry_id[:16] in detail
    assert "(not in the bundle)" in detail and f"proven as of tree size {w.log.size}" in detail
    assert r.steps[10].status == NOT_APPLICABLE and r.steps[10].detail.startswith("not checked")
    status = r.to_dict()["status"]
    assert status["label"] == "revoked" and status["proven"] is True and status["as_of_size"] == w.log.size
    assert status["decided_by"] == revoke.entry_id and r.to_dict()["valid"] is False

    # A bundle v1 cannot prove the absence of a revocation: with it deleted, the old answer, in honest words.
    v1 = drop_entries(build_bundle(w.log, "GD-REVOKED-1", GD, version=1), "label.revoke")
    r1 = run(v1, trust)
    assert r1.exit_code() == 0 and "none seen as of tree size" in r1.steps[8].detail
    assert "not revoked" not in r1.steps[8].detail and r1.to_dict()["status"]["proven"] is False


def test_an_old_bundle_refreshed_after_the_revocation_is_not_valid(status_world: StatusWorld) -> None:
    w = status_world
    issued = w.issue("GD-OLD-1")
    old = w.bundle2("GD-OLD-1")
    old_size = w.log.size
    w.revoke_label("GD-OLD-1", issued.entry_id)
    trust = w.trust()
    r = run(old, trust)  # proven active, as of the old tree size: true then
    assert r.exit_code() == 0 and r.steps[8].detail.startswith(f"active, proven as of tree size {old_size}")
    assert run(w.bundle2("GD-OLD-1"), trust).exit_code() == 6  # the refresh


def test_deleting_a_key_compromise_revocation_is_caught(status_world: StatusWorld) -> None:
    """The key is revoked with a compromise index before the label: the label never counted."""
    w = status_world
    w.issue("GD-COMPROMISED-1")
    label_index = w.log.size - 1
    w.revoke_key(effective_from_index=label_index - 1)
    trust = w.trust()
    seller = drop_entries(w.bundle2("GD-COMPROMISED-1"), "key.revoke")
    r = run(seller, trust)
    assert r.exit_code() == 3 and r.steps[3].status == FAILED, r.to_dict()
    assert "proves the signer key revoked" in r.steps[3].detail and "leaves that revocation out" in r.steps[3].detail
    assert all(r.steps[s].detail.startswith("not checked") for s in (8, 9, 10))
    assert r.to_dict()["status"] is None  # nothing is said about a label that is not authentic
    # with the revocation in the bundle, the rule book already refuses it
    assert run(w.bundle2("GD-COMPROMISED-1"), trust).exit_code() == 3
    # a bundle v1 with the revocation deleted cannot know (its step 3 says only what it saw)
    r1 = run(drop_entries(build_bundle(w.log, "GD-COMPROMISED-1", GD, version=1), "key.revoke"), trust)
    assert r1.exit_code() == 0 and "no revocation of it seen in the bundle" in r1.steps[3].detail
    assert "proven" not in r1.to_dict()["steps"][2]["name"]


def test_a_revocation_after_the_label_keeps_it_and_says_so(status_world: StatusWorld) -> None:
    w = status_world
    w.issue("GD-KEPT-1")
    w.revoke_key(reason="retired")
    r = run(drop_entries(w.bundle2("GD-KEPT-1"), "key.revoke"), w.trust())
    assert r.exit_code() == 0, r.to_dict()
    step3 = r.to_dict()["steps"][2]
    assert step3["status"] == PASSED and "after the label" in step3["detail"] and "proven" in step3["detail"]
    assert step3["name"].endswith("is proven not revoked before the label")


def test_deleting_a_scheme_root_rotation_is_caught(status_world: StatusWorld) -> None:
    """GD rotates its root after the label; a buyer's trust file still names the old root. A bundle without the
    rotation leads to the old root — which the status map proves is no longer the scheme's."""
    w = status_world
    w.issue("GD-ROTATED-1")
    trust = w.trust()  # the old root
    new_root = Signer()
    w.log.submit(w.roots[GD].sign("scheme.rotate", {"scheme": GD, "new_public_key": new_root.public_b64}))
    honest = run(w.bundle2("GD-ROTATED-1"), trust)
    assert honest.steps[4].status == PASSED and "proven as of tree size" in honest.steps[4].detail
    r = run(drop_entries(w.bundle2("GD-ROTATED-1"), "scheme.rotate"), trust)
    assert r.exit_code() == 3 and r.steps[4].status == FAILED, r.to_dict()
    assert "a rotation is missing from the bundle" in r.steps[4].detail


def test_deleting_an_agreement_withdrawal_is_no_evidence_not_recognized(status_world: StatusWorld) -> None:
    w = status_world
    w.mutual()
    w.issue("GD-WITHDRAWN-1")
    assert run(w.bundle2("GD-WITHDRAWN-1", HK), w.trust(), target_scheme=HK).exit_code() == 0
    w.withdraw(HK, "gd-hk-mutual", w.log.clock())
    trust = w.trust()
    honest = run(w.bundle2("GD-WITHDRAWN-1", HK), trust, target_scheme=HK)
    assert honest.exit_code() == 4 and honest.equivalence is not None
    assert honest.equivalence["verdict"] in ("no_agreement", "not_recognized")
    seller = drop_entries(w.bundle2("GD-WITHDRAWN-1", HK), "agreement.withdraw")
    r = run(seller, trust, target_scheme=HK)
    assert r.exit_code() == 4 and r.equivalence is not None, r.to_dict()
    assert r.equivalence["verdict"] == "no_evidence"
    assert "agreement.withdraw of agreement gd-hk-mutual" in r.steps[10].detail
    assert "is not in the bundle" in r.steps[10].detail and "--to hk-cma-carbon-label" in r.steps[10].detail


def test_the_trust_file_is_the_same_for_v1_and_v2(status_world: StatusWorld) -> None:
    """Nothing about status is in the trust file but its optional maximum age: the v2 proofs need no new keys."""
    assert "max_status_age_s" not in export_trust(status_world.log).to_dict()
