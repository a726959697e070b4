"""The buyer's verifier: each numbered step of DESIGN §6 passes on a good bundle and fails on its own bad case."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ledger.bundles import build_bundle, export_trust
from ledger.log import Log
from ledger.store import Store
from verifier.canonical import canonicalize
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.note import cosign_checkpoint, encode_vkey
from verifier.report import FAILED, NOT_APPLICABLE, PASSED, Report
from verifier.verify import KeptCheckpoint, VerifierCache, verify_bundle, verify_shipment

from .helpers import NOW, Signer, label_for

GD, HK = "gd-carbon-label", "hk-cma-carbon-label"
AT = date(2023, 1, 1)
COSIGNATURE_KEY_TYPE = 0x04


class Shipment:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.gd, self.hk, self.cqc = Signer(), Signer(), Signer()
        for env in (self.gd.register(GD), self.hk.register(HK), self.gd.authorize(GD, self.cqc, kinds=["label.issue"])):
            log.submit(env)
        self.receipts = {lid: log.submit(self.cqc.issue(label_for(GD, lid))) for lid in ("GD-1", "GD-2")}

    def trust(self, **changes: object) -> bytes:
        # No buyer_scheme by default: with none and no target_scheme= asked, step 10 is not applicable. (A trust
        # file's buyer_scheme is the question step 10 asks when the caller names no target; pass it in changes.)
        doc = export_trust(self.log).to_dict()
        doc.update(changes)
        return json.dumps(doc).encode()

    def bundle(self, label_id: str = "GD-1", **kw: object) -> bytes:
        return build_bundle(self.log, label_id, **kw)  # type: ignore[arg-type]


@pytest.fixture
def log(sqlite_url: str) -> Iterator[Log]:
    store = Store(sqlite_url)
    yield Log(store, SigningKey.generate(), "verify.test/log", Policy(frozenset({GD, HK})), lambda: NOW)
    store.close()


@pytest.fixture
def ship(log: Log) -> Shipment:
    return Shipment(log)


def run(bundle: bytes, trust: bytes, **kw: object) -> Report:
    kw.setdefault("at", AT)
    kw.setdefault("now", NOW)
    return verify_bundle(bundle, trust, **kw)  # type: ignore[arg-type]


def status(report: Report, step: int) -> str:
    return report.steps[step].status


def edit_bundle(bundle: bytes, fn) -> bytes:  # type: ignore[no-untyped-def]
    doc = json.loads(bundle)
    fn(doc)
    return canonicalize(doc)


def test_good_bundle_passes_every_step(ship: Shipment) -> None:
    r = run(ship.bundle(), ship.trust())
    assert r.exit_code() == 0, r.to_dict()
    assert [status(r, s) for s in range(1, 10)] == [PASSED] * 9
    assert status(r, 10) == NOT_APPLICABLE
    assert "no split-view protection" in r.steps[6].detail
    # the default bundle (v2) proves the label's status; a bundle v1 only says what it shows
    assert r.steps[8].detail.startswith(f"active, proven as of tree size {ship.log.size}")
    assert r.to_dict()["status"]["proven"] is True
    assert r.keep_checkpoint is not None and r.keep_checkpoint["size"] == ship.log.size
    v1 = run(ship.bundle(version=1), ship.trust())
    assert v1.exit_code() == 0 and "none seen as of tree size" in v1.steps[8].detail
    assert "not revoked" not in v1.steps[8].detail


def test_step1_unusable_inputs(ship: Shipment) -> None:
    good = ship.bundle()
    cases = {
        "truncated": good[:-10],
        "duplicate member": good.replace(b'{"checkpoint":', b'{"origin":"x.example/log","checkpoint":', 1),
        "unknown version": edit_bundle(good, lambda d: d.update(version="carbonledger.bundle/v9")),
        "short proof hash": edit_bundle(good, lambda d: d["entries"][0]["proof"].append("ab" * 31)),
        "mixed origins": edit_bundle(good, lambda d: d.update(origin="other.log/x")),
        "oversized": b'{"a":"' + b"x" * (17 << 20) + b'"}',
    }
    for name, bad in cases.items():
        r = run(bad, ship.trust())
        assert (status(r, 1), r.exit_code()) == (FAILED, 5), name
    r = run(good, ship.trust(version="carbonledger.trust/v7"))
    assert (status(r, 1), r.exit_code()) == (FAILED, 5)
    assert "trust.version" in r.steps[1].detail


def test_the_bundle_and_the_trust_file_swapped_or_doubled_say_which_is_which(ship: Shipment) -> None:
    """A buyer who passes the bundle as the trust file (or the reverse) is told what the file is, not only that
    its version is unknown."""
    bundle, trust = ship.bundle(), ship.trust()
    for given_bundle, given_trust, code in (
        (bundle, bundle, "trust.is_a_bundle"),
        (trust, trust, "bundle.is_a_trust_file"),
        (trust, bundle, "trust.is_a_bundle"),  # swapped: the trust file is read first
    ):
        r = run(given_bundle, given_trust)
        assert (status(r, 1), r.exit_code()) == (FAILED, 5)
        assert code in r.steps[1].detail


def _label_item(doc: dict) -> dict:
    return next(e for e in doc["entries"] if e["index"] == 3)


def test_step2_tampered_label_byte(ship: Shipment) -> None:
    def tamper(doc: dict) -> None:
        item = _label_item(doc)
        env = json.loads(base64.b64decode(item["envelope"]))
        body = json.loads(base64.b64decode(env["payload"]))
        body["label"]["footprint"]["pcf"]["value"] = "1.0"
        env["payload"] = base64.b64encode(canonicalize(body)).decode()
        item["envelope"] = base64.b64encode(canonicalize(env)).decode()
        doc["label_entry"] = __import__("hashlib").sha256(canonicalize(body)).hexdigest()

    r = run(edit_bundle(ship.bundle(), tamper), ship.trust())
    assert status(r, 2) == FAILED and status(r, 5) == FAILED and r.exit_code() == 3


def test_step3_key_authorized_after_the_label(ship: Shipment) -> None:
    def move(doc: dict) -> None:
        auth = next(e for e in doc["entries"] if e["index"] == 2)
        auth["index"] = 9

    r = run(edit_bundle(ship.bundle(), move), ship.trust())
    assert status(r, 3) == FAILED and "comes after" in r.steps[3].detail and r.exit_code() == 3


def test_step3_revoked_key(ship: Shipment) -> None:
    ship.log.submit(
        ship.gd.sign(
            "key.revoke", {"scheme": GD, "key_id": ship.cqc.key_id, "reason": "key leaked", "effective_from_index": 0}
        )
    )
    r = run(ship.bundle(), ship.trust())
    assert status(r, 3) == FAILED and "revoked" in r.steps[3].detail and r.exit_code() == 3


def test_step3_revocation_after_the_label_without_compromise_keeps_it(ship: Shipment) -> None:
    ship.log.submit(ship.gd.sign("key.revoke", {"scheme": GD, "key_id": ship.cqc.key_id, "reason": "retired"}))
    assert run(ship.bundle(), ship.trust()).exit_code() == 0


def test_step4_untrusted_scheme_root(ship: Shipment) -> None:
    trust = json.loads(ship.trust())
    for s in trust["schemes"]:
        if s["id"] == GD:
            s["root_keys"] = [base64.b64encode(SigningKey.generate().public_key).decode()]
    r = run(ship.bundle(), json.dumps(trust).encode())
    assert status(r, 4) == FAILED and r.exit_code() == 3
    trust["schemes"] = [s for s in trust["schemes"] if s["id"] != GD]
    r = run(ship.bundle(), json.dumps(trust).encode())
    assert status(r, 4) == FAILED and "not in the trust file" in r.steps[4].detail


def test_step5_proof_for_another_index(ship: Shipment) -> None:
    other = json.loads(ship.bundle("GD-2"))
    other_proof = next(e for e in other["entries"] if e["index"] == 4)["proof"]
    r = run(edit_bundle(ship.bundle(), lambda d: _label_item(d).update(proof=other_proof)), ship.trust())
    assert status(r, 5) == FAILED and r.exit_code() == 3


def test_step5_proofs_against_a_root_the_checkpoint_does_not_state(ship: Shipment) -> None:
    old = json.loads(ship.bundle())
    ship.log.submit(ship.cqc.issue(label_for(GD, "GD-3")))
    newer = json.loads(ship.bundle())
    old["entries"] = newer["entries"]  # proofs for the bigger tree, checkpoint of the smaller one
    r = run(canonicalize(old), ship.trust())
    assert status(r, 5) == FAILED and r.exit_code() == 3


def test_step6_checkpoint_signed_by_a_wrong_key(ship: Shipment) -> None:
    impostor = encode_vkey(ship.log.origin, SigningKey.generate().public_key, 0x01)
    trust = json.loads(ship.trust())
    trust["log"]["vkey"] = impostor
    r = run(ship.bundle(), json.dumps(trust).encode())
    assert status(r, 6) == FAILED and r.exit_code() == 3


def _witness(name: str) -> tuple[SigningKey, str]:
    key = SigningKey.generate()
    return key, encode_vkey(name, key.public_key, COSIGNATURE_KEY_TYPE)


def _cosigned(bundle: bytes, *witnesses: tuple[str, SigningKey], ts: int = 1_795_000_000) -> bytes:
    def add(doc: dict) -> None:
        note = doc["checkpoint"]
        for name, key in witnesses:
            note = note + cosign_checkpoint(note, name, key, ts)
        doc["checkpoint"] = note

    return edit_bundle(bundle, add)


def test_step6_witness_threshold(ship: Shipment) -> None:
    (k1, v1), (k2, v2) = _witness("w1.example"), _witness("w2.example")
    trust = json.loads(ship.trust())
    trust["witnesses"] = {"threshold": 2, "vkeys": [v1, v2]}
    tb = json.dumps(trust).encode()
    assert status(run(ship.bundle(), tb), 6) == FAILED  # none
    twice = _cosigned(ship.bundle(), ("w1.example", k1), ("w1.example", k1))
    r = run(twice, tb)
    assert status(r, 6) == FAILED, "a witness must count once"
    both = _cosigned(ship.bundle(), ("w1.example", k1), ("w2.example", k2))
    r = run(both, tb)
    assert status(r, 6) == PASSED and r.exit_code() == 0


def test_step7_inconsistent_with_the_kept_checkpoint(ship: Shipment) -> None:
    first = run(ship.bundle(), ship.trust())
    kept = KeptCheckpoint.from_dict(first.keep_checkpoint)  # type: ignore[arg-type]
    forged = KeptCheckpoint(kept.origin, kept.size, b"\x11" * 32)
    r = run(ship.bundle(), ship.trust(), kept=forged)
    assert status(r, 7) == FAILED and r.exit_code() == 7
    ship.log.submit(ship.cqc.issue(label_for(GD, "GD-3")))
    r = run(ship.bundle(), ship.trust(), kept=kept)
    assert status(r, 7) == NOT_APPLICABLE and "offline" in r.steps[7].detail
    proof = ship.log.consistency_proof(kept.size, ship.log.size)
    r = run(ship.bundle(), ship.trust(), kept=kept, consistency_proof=proof)
    assert status(r, 7) == PASSED and r.keep_checkpoint["size"] == ship.log.size  # type: ignore[index]
    bad = [bytes(32)] * len(proof)
    assert status(run(ship.bundle(), ship.trust(), kept=kept, consistency_proof=bad), 7) == FAILED


def test_step8_label_proven_revoked(ship: Shipment) -> None:
    rec = ship.receipts["GD-1"]
    ship.log.submit(
        ship.cqc.sign(
            "label.revoke", {"scheme": GD, "label_id": "GD-1", "label_entry": rec.entry_id, "reason": "recalled"}
        )
    )
    r = run(ship.bundle(), ship.trust())
    assert status(r, 8) == FAILED and "revoked" in r.steps[8].detail and r.exit_code() == 6


def test_step9_expired_and_not_yet_issued(ship: Shipment) -> None:
    assert status(run(ship.bundle(), ship.trust(), at=date(2025, 6, 28)), 9) == FAILED
    r = run(ship.bundle(), ship.trust(), at=date(2021, 1, 1))
    assert status(r, 9) == FAILED and r.exit_code() == 6


def test_step9_maximum_checkpoint_age(ship: Shipment) -> None:
    k1, v1 = _witness("w1.example")
    trust = json.loads(ship.trust())
    trust["witnesses"] = {"threshold": 1, "vkeys": [v1]}
    trust["max_checkpoint_age_s"] = 3600
    tb = json.dumps(trust).encode()
    fresh = _cosigned(ship.bundle(), ("w1.example", k1), ts=int(NOW.timestamp()) - 60)
    stale = _cosigned(ship.bundle(), ("w1.example", k1), ts=int(NOW.timestamp()) - 7200)
    assert status(run(fresh, tb), 9) == PASSED
    assert status(run(stale, tb), 9) == FAILED


def test_step10_no_agreement_and_same_scheme(ship: Shipment) -> None:
    r = run(ship.bundle(), ship.trust(), target_scheme=HK)
    assert status(r, 10) == FAILED and r.equivalence["verdict"] == "no_evidence" and r.exit_code() == 4  # type: ignore
    r = run(ship.bundle(), ship.trust(), target_scheme=GD)
    assert status(r, 10) == PASSED and r.exit_code() == 0


def test_cache_shares_checkpoint_work_across_bundles(ship: Shipment) -> None:
    cache = VerifierCache()
    for lid in ("GD-1", "GD-2"):
        assert run(ship.bundle(lid), ship.trust(), cache=cache).exit_code() == 0
    assert len(cache.checkpoints) == 1


def test_warm_cache_never_vouches_for_a_changed_bundle(ship: Shipment) -> None:
    """Items a shipment shares are parsed once; a later bundle that differs from them in any way is judged
    afresh: an extra member, a float index, a non-object item, a changed proof hash."""
    cache = VerifierCache()
    good = ship.bundle("GD-1")
    assert run(good, ship.trust(), cache=cache).exit_code() == 0
    assert cache.items  # the scheme's registration and the key's authorization
    shared = 0  # the registration of GD, remembered from the good bundle

    def extra_member(d: dict) -> None:
        d["entries"][shared]["note"] = "x"

    def bad_hash(d: dict) -> None:
        d["entries"][shared]["proof"][0] = "00" * 32

    unusable = {
        "extra member": edit_bundle(good, extra_member),
        "float index": canonicalize(json.loads(good)).replace(b'"index":0,', b'"index":0.0,', 1),
        "string item": edit_bundle(good, lambda d: d["entries"].insert(0, "x")),
        "unsorted item": good.replace(b'{"envelope"', b'{"proof":[],"envelope"', 1),
    }
    for name, bad in unusable.items():
        assert bad != good, name
        r = run(bad, ship.trust(), cache=cache)
        assert (status(r, 1), r.exit_code()) == (FAILED, 5), (name, r.steps[1].detail)
    r = run(edit_bundle(good, bad_hash), ship.trust(), cache=cache)
    assert status(r, 5) == FAILED and r.exit_code() == 3
    assert run(good, ship.trust(), cache=cache).exit_code() == 0  # the cache still serves the real bundle


def test_a_shipment_verified_phase_by_phase_gets_each_bundle_its_own_report(ship: Shipment) -> None:
    """verify_shipment runs the steps phase by phase across the bundles; each report is verify_bundle's, in
    order, whatever the others hold (good, tampered, unusable, expired, a target scheme)."""
    good, other = ship.bundle("GD-1"), ship.bundle("GD-2")
    tampered = edit_bundle(good, lambda d: d["entries"][0]["proof"].reverse())
    bundles = [good, tampered, b"{}", other, good[:-1], other]
    for kw in ({}, {"at": date(2040, 1, 1)}, {"target_scheme": HK}):
        args = {"at": AT, "now": NOW, **kw}
        alone = [verify_bundle(b, ship.trust(), **args).to_dict() for b in bundles]  # type: ignore[arg-type]
        together = verify_shipment(bundles, ship.trust(), cache=VerifierCache(), **args)  # type: ignore[arg-type]
        assert [r.to_dict() for r in together] == alone
    assert [r["exit_code"] for r in alone] == [4, 3, 5, 4, 5, 4]
    assert verify_shipment([], ship.trust(), at=AT, now=NOW) == []


def test_bundles_and_trust_files_are_read_as_bytes(ship: Shipment) -> None:
    """Bytes-like input verifies; text is reported as unusable input (step 1), compiled or not, never raised."""
    good, trust = ship.bundle(), ship.trust()
    assert run(bytearray(good), memoryview(trust)).exit_code() == 0  # type: ignore[arg-type]
    for bundle, trust_file in ((good.decode(), trust), (good, trust.decode())):
        r = run(bundle, trust_file)  # type: ignore[arg-type]
        assert r.exit_code() == 5 and "[input.type]" in r.steps[1].detail, r.steps[1].detail
    together = verify_shipment([good, good.decode()], trust, at=AT, now=NOW)
    assert [r.exit_code() for r in together] == [0, 5]


BLOCKER = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'ledger', 'cli', 'fastapi', 'sqlalchemy', 'sqlmodel', 'uvicorn', 'starlette'}:
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import verifier.verify, verifier.bundle, verifier.trust, verifier.note, verifier.merkle, verifier.envelope
print('verifier imports alone')
"""


def test_verifier_imports_without_ledger_cli_or_servers() -> None:
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", BLOCKER], cwd=root, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "verifier imports alone" in out.stdout
