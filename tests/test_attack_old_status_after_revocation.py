"""Revoking a label, or its key, changes its status record, and the checkpoint signed before still proves the
status as it was (issue 16: every checkpoint commits to the map at its own tree size; nodes are never changed).

Attack guarded, both ways: a log that rewrites history (the old checkpoint's root no longer proves the old
record, so a buyer's kept checkpoint could not be checked), and a seller who shows the old status as current
(the newest checkpoint's root proves the revocation, and the old record fails against it).
"""

from __future__ import annotations

import json

import pytest

from ledger.bundles import build_bundle
from mapping.errors import ProofError
from verifier.canonical import canonicalize
from verifier.status_map import leaf_value, map_key
from verifier.status_map_proof import MapProof, verify_map_proof
from verifier.status_records import label_object_id

from .status_story import GD, committed, open_log
from .test_verify_equivalence import World


def _proves(note: str, kind: str, object_id: str, record: dict | None, proof) -> None:  # type: ignore[no-untyped-def]
    _, root, _ = committed(note)
    verify_map_proof(
        root, map_key(kind, object_id), None if record is None else leaf_value(canonicalize(record)), proof
    )


def test_revocations_change_the_record_and_old_checkpoints_prove_the_old(db_url: str) -> None:
    log = open_log(db_url)
    try:
        w = World(log)
        issued = w.issue("GD-OLD-1")
        label = ("label", label_object_id(GD, "GD-OLD-1"))
        key = ("key", w.cqc.key_id)
        old_note, old_size = log.checkpoint(), log.size
        old_label, old_label_proof = log.status_proof(*label)
        old_key, _ = log.status_proof(*key)
        assert old_label is not None and old_label["status"] == "active" and old_label["decided_by"] is None
        assert old_key is not None and old_key["revoked_index"] is None
        old_bundle = json.loads(build_bundle(log, "GD-OLD-1", GD, version=2))

        revoke = log.submit(
            w.cqc.sign(
                "label.revoke",
                {"scheme": GD, "label_id": "GD-OLD-1", "label_entry": issued.entry_id, "reason": "recalled"},
            )
        )
        compromise = log.submit(
            w.roots[GD].sign(
                "key.revoke",
                {"scheme": GD, "key_id": w.cqc.key_id, "reason": "leaked", "effective_from_index": issued.index},
            )
        )
        new_note = log.checkpoint()
        new_label, new_label_proof = log.status_proof(*label)
        new_key, new_key_proof = log.status_proof(*key)
        assert new_label == {**old_label, "status": "revoked", "decided_by": revoke.entry_id}
        assert new_key == {**old_key, "revoked_index": compromise.index, "revoked_from_index": issued.index}
        _proves(new_note, *label, new_label, new_label_proof)
        _proves(new_note, *key, new_key, new_key_proof)
        with pytest.raises(ProofError):  # the old status is not the current one
            _proves(new_note, *label, old_label, new_label_proof)

        # the old checkpoint still proves the old status: from the log's read API at the old size ...
        again_label, again_proof = log.status_proof(*label, size=old_size)
        again_key, again_key_proof = log.status_proof(*key, size=old_size)
        assert (again_label, again_key) == (old_label, old_key) and again_proof == old_label_proof
        _proves(old_note, *label, again_label, again_proof)
        _proves(old_note, *key, again_key, again_key_proof)
        with pytest.raises(ProofError):
            _proves(old_note, *label, new_label, again_proof)
        # ... and the old bundle's status items still verify against its own checkpoint
        for it in old_bundle["status"]:
            _proves(old_bundle["checkpoint"], it["kind"], it["id"], it["record"], MapProof.from_json(it["proof"]))
        # a new bundle carries the revocation
        new_bundle = json.loads(build_bundle(log, "GD-OLD-1", GD, version=2))
        items = {(it["kind"], it["id"]): it["record"] for it in new_bundle["status"]}
        assert items[label]["status"] == "revoked" and items[key]["revoked_from_index"] == issued.index
    finally:
        log.store.close()
