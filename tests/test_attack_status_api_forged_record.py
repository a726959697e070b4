"""``GET /v1/status/{kind}/{id}`` answers a record with a map proof that verifies against the status root the
signed checkpoint it sends commits to (issue 16, item 5) — so a server that forges a record, or claims absence
for an object the map holds, is caught by ``verify_map_proof``.

Attack guarded: a lying log service (a record edited to "active", a revocation hidden by answering "absent").
Every answer is checked the way a buyer checks it: the checkpoint's log signature, its status commitment, the
proof; then the same proof with the record edited, or claimed absent, must fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ledger.api.app import create_app
from ledger.log import Log
from mapping.errors import ProofError
from verifier.canonical import canonicalize
from verifier.note import parse_checkpoint, split_note, verify_note
from verifier.status_commit import status_commitment
from verifier.status_map import leaf_value, map_key
from verifier.status_map_proof import MapProof, verify_map_proof
from verifier.status_records import label_object_id, pair_object_id

from .status_story import GD, HK, JP, open_log, tell_story


@pytest.fixture
def served(db_url: str) -> Iterator[tuple[Log, TestClient]]:
    log = open_log(db_url)
    tell_story(log)
    app = create_app(log)
    try:
        yield log, TestClient(app)
    finally:
        app.state.deps.sequencer.close()
        log.store.close()


def _checked(log: Log, answer: dict) -> tuple[bytes, bytes | None, MapProof]:
    """(root, value, proof) of an answer whose checkpoint the log signed; the proof verified."""
    assert verify_note(answer["checkpoint"], [log.vkey])
    cp = parse_checkpoint(split_note(answer["checkpoint"])[0])
    assert cp.size == answer["tree_size"] == log.size
    commitment = status_commitment(cp)
    assert commitment is not None
    key = map_key(answer["kind"], answer["id"])
    value = None if answer["record"] is None else leaf_value(canonicalize(answer["record"]))
    proof = MapProof.from_json(answer["proof"])
    verify_map_proof(commitment.root, key, value, proof)
    return commitment.root, value, proof


OBJECTS = [
    ("label", label_object_id(GD, "GD-ST-1")),  # revoked
    ("label", label_object_id(GD, "GD-ST-2")),  # superseded
    ("key", "KEY"),  # the revoked delegate, filled in below
    ("scheme", JP),  # rotated
    ("agreement", "gd-hk-mutual"),  # withdrawn
    ("pair", pair_object_id(GD, HK)),
    ("dataset", "cn-electricity-footprint"),  # retired
]


def test_every_answer_verifies_and_a_forged_one_does_not(served: tuple[Log, TestClient]) -> None:
    log, client = served
    revoked_key = log.store.labels_with_id("GD-ST-1")[0].signer
    for kind, object_id in OBJECTS:
        object_id = revoked_key if object_id == "KEY" else object_id
        r = client.get(f"/v1/status/{kind}/{object_id}")
        assert r.status_code == 200, r.text
        answer = r.json()
        assert set(answer) == {"kind", "id", "record", "proof", "checkpoint", "tree_size"}
        assert answer["record"] is not None, (kind, object_id)
        root, _, proof = _checked(log, answer)
        key = map_key(kind, object_id)
        forged = {**answer["record"], "status": "active", "revoked_index": None, "events": []}
        with pytest.raises(ProofError):
            verify_map_proof(root, key, leaf_value(canonicalize(forged)), proof)
        with pytest.raises(ProofError):  # "the map holds nothing for it": the proof says otherwise
            verify_map_proof(root, key, None, proof)
    label = client.get(f"/v1/status/label/{label_object_id(GD, 'GD-ST-1')}").json()["record"]
    assert label["status"] == "revoked"
    assert client.get(f"/v1/status/key/{revoked_key}").json()["record"]["revoked_index"] is not None


def test_an_absent_object_is_proven_absent(served: tuple[Log, TestClient]) -> None:
    log, client = served
    for kind, object_id in (
        ("pair", pair_object_id(GD, JP)),
        ("label", label_object_id(GD, "NO-SUCH")),
        ("key", "0" * 64),
    ):
        r = client.get(f"/v1/status/{kind}/{object_id}")
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["record"] is None
        root, value, proof = _checked(log, answer)
        assert value is None and proof.kind in ("absent_empty", "absent_leaf")
        with pytest.raises(ProofError):  # a server cannot turn the absence into a record
            verify_map_proof(root, map_key(kind, object_id), leaf_value(b"{}"), proof)


def test_an_unknown_kind_is_404_in_the_error_envelope(served: tuple[Log, TestClient]) -> None:
    _, client = served
    r = client.get("/v1/status/certificate/x")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "status.unknown_kind"


def test_refresh_answers_a_fresh_bundle_and_the_consistency_proof(served: tuple[Log, TestClient]) -> None:
    from verifier.merkle import verify_consistency

    log, client = served
    old_size = 8
    r = client.get("/v1/bundles/GD-ST-3/refresh", params={"from_size": old_size, "scheme": GD, "version": 2})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["tree_size"] == log.size and answer["bundle"]["checkpoint"] == answer["checkpoint"]
    assert answer["bundle"]["version"] == "carbonledger.bundle/v2"
    proof = [bytes.fromhex(h) for h in answer["consistency_proof"]]
    verify_consistency(old_size, log.size, proof, log.root(old_size), log.root())
    assert client.get("/v1/bundles/GD-ST-3/refresh", params={"from_size": log.size + 1}).status_code == 404
