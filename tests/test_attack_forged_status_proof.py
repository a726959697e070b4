"""Attack: a forged status in a bundle v2 — a status map proof with a flipped bit, a record edited to say
"active", the proof of another object, an absence claimed for an object the map holds, a proof against another
root, or proofs against a checkpoint that commits to no status map. Each is not authentic (exit 3, step 5):
the proofs are checked against the status root the log signed into the verified checkpoint (issue 16; DESIGN
§6 step 5). Leaving a required proof out fails the step that needed it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.log import Log
from ledger.store import Store
from verifier.checkpoint import format_checkpoint
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.note import parse_checkpoint, sign_note, split_note
from verifier.report import FAILED
from verifier.status_map_proof import MapProof
from verifier.status_records import label_object_id

from .status_world import CT, GD, HK, JP, MEE, NOW, StatusWorld, edit, item, run

LABEL = label_object_id(GD, "GD-FORGED-1")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StatusWorld]:
    """Read-only for the tests: a revoked label, an active one, their bundles and the trust file."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('forged') / 'ledger.db'}")
    log = Log(store, SigningKey.generate(), "forged.test/log", Policy(frozenset({GD, HK, CT, JP, MEE})), lambda: NOW)
    w = StatusWorld(log)
    w.issue("GD-FORGED-1")
    issued = w.issue("GD-FORGED-REVOKED")
    w.revoke_label("GD-FORGED-REVOKED", issued.entry_id)
    yield w
    store.close()


@pytest.fixture(scope="module")
def good(world: StatusWorld) -> bytes:
    return world.bundle2("GD-FORGED-1")


@pytest.fixture(scope="module")
def trust(world: StatusWorld) -> bytes:
    return world.trust()


def _not_authentic(bundle: bytes, trust: bytes) -> str:
    r = run(bundle, trust)
    assert r.exit_code() == 3 and r.steps[5].status == FAILED, r.to_dict()
    assert r.to_dict()["status"] is None and all(r.steps[s].detail.startswith("not checked") for s in (8, 9, 10))
    return r.steps[5].detail


def _with_label_item(bundle: bytes, **changes: Any) -> bytes:
    return edit(bundle, lambda d: item(d, "label").update(changes))


def test_the_good_bundle_passes(good: bytes, trust: bytes) -> None:
    r = run(good, trust)
    assert r.exit_code() == 0 and r.steps[8].detail.startswith("active, proven as of tree size")


def _flip(text: str, bit: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[bit // 8] ^= 1 << (bit % 8)
    return base64.b64encode(bytes(raw)).decode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_bit_flip_in_a_proof_hash_is_not_authentic(data: st.DataObject, good: bytes, trust: bytes) -> None:
    doc = json.loads(good)
    kind = data.draw(st.sampled_from(sorted({it["kind"] for it in doc["status"]})))
    text = item(doc, kind)["proof"]
    proof = MapProof.from_json(text)
    assert proof.hash_count, "every proof here has a sibling hash"
    start = 3 + -(-proof.depth // 8)  # after the kind, the depth and the bitmap
    bit = data.draw(st.integers(start * 8, (start + 32 * proof.hash_count) * 8 - 1))
    forged = edit(good, lambda d: item(d, kind).update(proof=_flip(text, bit)))
    assert "does not verify against the checkpoint's status map root" in _not_authentic(forged, trust)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_bit_flip_anywhere_in_a_proof_never_passes(data: st.DataObject, good: bytes, trust: bytes) -> None:
    """Flips in the kind, depth or bitmap bytes may make the proof unreadable (exit 5); never authentic."""
    text = item(json.loads(good), "label")["proof"]
    bit = data.draw(st.integers(0, len(base64.b64decode(text)) * 8 - 1))
    assert run(_with_label_item(good, proof=_flip(text, bit)), trust).exit_code() in (3, 5)


def test_a_revoked_label_edited_to_active_is_not_authentic(world: StatusWorld, trust: bytes) -> None:
    revoked = world.bundle2("GD-FORGED-REVOKED")
    assert run(revoked, trust).exit_code() == 6

    def forge(doc: dict[str, Any]) -> None:
        record = item(doc, "label")["record"]
        record.update(status="active", decided_by=None)

    assert "does not verify" in _not_authentic(edit(revoked, forge), trust)


def test_a_key_record_edited_to_unrevoked_is_not_authentic(good: bytes, trust: bytes) -> None:
    forged = edit(good, lambda d: item(d, "key")["record"].update(authorized_index=0))
    assert "status proof for key" in _not_authentic(forged, trust)


def test_the_proof_of_another_object_is_not_authentic(good: bytes, trust: bytes) -> None:
    other = item(json.loads(good), "key")["proof"]
    _not_authentic(_with_label_item(good, proof=other), trust)


def test_an_absence_claimed_for_a_present_object_is_not_authentic(
    world: StatusWorld, good: bytes, trust: bytes
) -> None:
    _not_authentic(_with_label_item(good, record=None), trust)  # its own (membership) proof, claimed as absence
    record, absent = world.log.status_proof("label", label_object_id(GD, "NO-SUCH-LABEL"))
    assert record is None
    _not_authentic(_with_label_item(good, record=None, proof=absent.to_json()), trust)


def test_a_proof_against_an_older_root_is_not_authentic(tmp_path_factory: pytest.TempPathFactory) -> None:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('older') / 'ledger.db'}")
    w = StatusWorld(
        Log(store, SigningKey.generate(), "older.test/log", Policy(frozenset({GD, HK, CT, JP, MEE})), lambda: NOW)
    )
    w.issue("GD-OLDER-1")
    old = item(json.loads(w.bundle2("GD-OLDER-1")), "label")["proof"]
    w.issue("GD-OLDER-2")  # the map, and so its root and the label's proof, change
    new = w.bundle2("GD-OLDER-1")
    assert item(json.loads(new), "label")["proof"] != old
    _not_authentic(_with_label_item(new, proof=old), w.trust())
    store.close()


def test_proofs_against_a_checkpoint_without_a_status_commitment_prove_nothing(
    world: StatusWorld, good: bytes, trust: bytes
) -> None:
    def strip(doc: dict[str, Any]) -> None:
        cp = parse_checkpoint(split_note(doc["checkpoint"])[0])
        body = format_checkpoint(cp.origin, cp.size, cp.root_hash)  # the log's key signs it without the line
        doc["checkpoint"] = sign_note(body, world.log.origin, world.log.log_key)

    assert "commits to no status map" in _not_authentic(edit(good, strip), trust)


def test_leaving_a_required_proof_out_fails_the_step_that_needs_it(good: bytes, trust: bytes) -> None:
    def without(kind: str) -> bytes:
        return edit(good, lambda d: d.update(status=[it for it in d["status"] if it["kind"] != kind]))

    r = run(without("label"), trust)
    assert r.exit_code() == 6 and "carries no status proof for the label" in r.steps[8].detail
    assert r.to_dict()["status"]["proven"] is False
    r = run(without("key"), trust)
    assert r.exit_code() == 3 and "no status proof for the signer key" in r.steps[3].detail
    r = run(without("scheme"), trust)
    assert r.exit_code() == 3 and "no status proof for scheme" in r.steps[4].detail


def test_status_items_must_fit_the_version(good: bytes, trust: bytes) -> None:
    """v2 requires the status member, v1 forbids it, and the items are sorted without repeats (exit 5)."""
    cases = {
        "v1 with status": edit(good, lambda d: d.update(version="carbonledger.bundle/v1")),
        "v2 without status": edit(good, lambda d: d.pop("status")),
        "repeated item": edit(good, lambda d: d["status"].append(d["status"][-1])),
        "unsorted items": edit(good, lambda d: d["status"].reverse()),
        "unknown kind": edit(good, lambda d: d["status"][0].update(kind="person")),
        "extra member": edit(good, lambda d: d["status"][0].update(note="x")),
        "proof not base64": edit(good, lambda d: d["status"][0].update(proof="not base64!")),
    }
    for name, bad in cases.items():
        r = run(bad, trust)
        assert (r.steps[1].status, r.exit_code()) == (FAILED, 5), (name, r.steps[1].detail)
