"""Truthful reports (issue 16, item 4) and the bundle v2 reading around them: a report claims only what its
bundle shows — "not checked" after a failed step, step 3's title claims "not revoked" only when a status map
proves it, the header never prints None, and ``verify --json`` has a stable ``status`` object. Bundles v1 still
verify with their honest wording. A shipment of bundles v2 verifies each shared status proof once, and a warm
cache never vouches for a changed item. The bundle schema, cut for the parser, is the whole schema."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.bundles import build_bundle
from verifier import schemas
from verifier.bundle import _split_validators
from verifier.note import encode_vkey
from verifier.proven_map_paths import ProvenMapPaths
from verifier.report import FAILED, Report, report_header
from verifier.verify import VerifierCache, verify_bundle, verify_shipment

from .status_world import GD, NOW, StatusWorld, edit, item, run, status_world

__all__ = ["status_world"]  # the fixture, used by name

STATUS_KEYS = {"as_of_size", "label", "proven", "signed_at", "age_s", "max_age_s", "time_from", "stale", "decided_by"}


def test_a_bundle_v1_still_verifies_with_its_honest_wording(status_world: StatusWorld) -> None:
    w = status_world
    w.issue("GD-V1-1")
    r = run(build_bundle(w.log, "GD-V1-1", GD, version=1), w.trust())
    d = r.to_dict()
    assert r.exit_code() == 0 and d["verdict"] == "authentic_and_valid", d
    assert f"none seen as of tree size {w.log.size}" in r.steps[8].detail and "not revoked" not in r.steps[8].detail
    assert "and not revoked" not in d["steps"][2]["name"] and "proven" not in d["steps"][7]["name"]
    assert STATUS_KEYS <= set(d["status"]) and d["status"]["proven"] is False
    assert (d["status"]["label"], d["status"]["as_of_size"], d["status"]["bundle_version"]) == ("active", w.log.size, 1)


def test_a_bundle_v2_says_what_it_proves(status_world: StatusWorld) -> None:
    w = status_world
    w.issue("GD-V2-1")
    r = run(w.bundle2("GD-V2-1"), w.trust())
    d = r.to_dict()
    assert r.exit_code() == 0, d
    assert r.steps[8].detail == f"active, proven as of tree size {w.log.size} (signed at 2026-11-24T12:00:00Z)"
    assert d["steps"][7]["name"] == "the label's status is proven by the checkpoint's status map"
    assert d["steps"][2]["name"].endswith("proven not revoked before the label")
    assert "status proofs verify against the status map root" in r.steps[5].detail
    assert d["status"]["proven"] is True and type(d["status"]["as_of_size"]) is int
    assert d["status"]["label"] == "active" and d["status"]["signed_at"] == "2026-11-24T12:00:00Z"
    assert json.loads(json.dumps(d)) == d  # plain JSON


def test_the_header_never_prints_none(status_world: StatusWorld) -> None:
    w = status_world
    w.issue("GD-HEAD-1")
    unusable = Report()
    unusable.set(1, FAILED, "unusable input")
    assert report_header(unusable.to_dict()) == "no label could be read from the bundle"
    doc = json.loads(w.trust())
    doc["log"]["vkey"] = encode_vkey(w.log.origin, bytes(32), 0x01)  # a log key that signed nothing here
    r = run(w.bundle2("GD-HEAD-1"), json.dumps(doc).encode())
    header = report_header(r.to_dict())
    assert r.exit_code() == 3 and "None" not in header and header.endswith("(tree size not verified)")
    good = report_header(run(w.bundle2("GD-HEAD-1"), w.trust()).to_dict())
    assert good == f"label GD-HEAD-1 ({GD}) at index {w.log.size - 1} of tree size {w.log.size}"


def test_steps_after_a_failed_one_say_not_checked(status_world: StatusWorld) -> None:
    w = status_world
    w.issue("GD-NC-1")
    doc = json.loads(w.trust())
    doc["log"]["vkey"] = encode_vkey(w.log.origin, bytes(32), 0x01)
    r = run(w.bundle2("GD-NC-1"), json.dumps(doc).encode())
    assert r.steps[6].status == FAILED
    for step in (5, 7, 8, 9, 10):
        assert r.steps[step].detail.startswith("not checked"), (step, r.steps[step].detail)
    assert all(s["status"] != "passed" for s in r.to_dict()["steps"] if s["step"] in (5, 7, 8, 9, 10))


def test_a_shipment_verifies_each_shared_status_proof_once(
    status_world: StatusWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = status_world
    ids = [f"GD-SHIP-{i}" for i in range(6)]
    for label_id in ids:
        w.issue(label_id)
    bundles = [w.bundle2(label_id) for label_id in ids]
    trust = w.trust()
    alone = [verify_bundle(b, trust, at=NOW.date(), now=NOW).to_dict() for b in bundles]
    calls: list[str] = []
    real = ProvenMapPaths.verify

    def counting(self: ProvenMapPaths, key: bytes, value: Any, proof: Any, **kw: Any) -> None:
        calls.append(key.hex())
        real(self, key, value, proof, **kw)

    monkeypatch.setattr(ProvenMapPaths, "verify", counting)
    cache = VerifierCache()
    together = verify_shipment(bundles, trust, at=NOW.date(), now=NOW, cache=cache)
    assert [r.to_dict() for r in together] == alone and all(r.exit_code() == 0 for r in together)
    assert len(calls) == len(ids) + 2  # each label's own proof, and the key's and the scheme's once
    # a warm cache never vouches for a changed item: the key's record edited, or its proof
    forged = edit(bundles[0], lambda d: item(d, "key")["record"].update(role="root"))
    assert verify_bundle(forged, trust, at=NOW.date(), now=NOW, cache=cache).exit_code() == 3
    proof = item(json.loads(bundles[0]), "key")["proof"]
    other = proof[:-8] + ("A" if proof[-8] != "A" else "B") + proof[-7:]
    r = verify_bundle(
        edit(bundles[0], lambda d: item(d, "key").update(proof=other)), trust, at=NOW.date(), now=NOW, cache=cache
    )
    assert r.exit_code() in (3, 5)
    assert verify_bundle(bundles[0], trust, at=NOW.date(), now=NOW, cache=cache).exit_code() == 0


# ---- the schema the parser uses is the shipped schema -------------------------------------------------------
_ITEM = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["label", "key", "scheme", "pair", "agreement", "dataset", "person"]),
        "id": st.text(min_size=0, max_size=6),
        "record": st.one_of(st.none(), st.just({"status": "active"}), st.just([1]), st.just("x")),
        "proof": st.text(alphabet="AQab+/=", min_size=0, max_size=12),
    },
    optional={"note": st.just("x")},
)
_SHELL = {
    "origin": "o",
    "checkpoint": "c",
    "label_entry": "a" * 64,
    "entries": [{"index": 0, "envelope": "QQ==", "proof": []}],
}


@settings(max_examples=200, deadline=None)
@given(
    version=st.sampled_from(["carbonledger.bundle/v1", "carbonledger.bundle/v2"]),
    status=st.one_of(st.none(), st.lists(_ITEM, max_size=3)),
)
def test_the_cut_schema_accepts_exactly_what_the_whole_schema_accepts(version: str, status: Any) -> None:
    doc: dict[str, Any] = {**copy.deepcopy(_SHELL), "version": version}
    if status is not None:
        doc["status"] = status
    shell, entry, status_item = _split_validators()
    cut = shell.is_valid(doc) and all(map(entry.is_valid, doc["entries"]))
    cut = cut and all(map(status_item.is_valid, doc.get("status") or ()))
    assert cut == schemas.validator("bundle").is_valid(doc)
    assert schemas.validator("bundle").is_valid(doc) <= ((version.endswith("v2")) == (status is not None))
