"""A log that signs two inconsistent views (one key, one origin, two stores): a witness cosigns the first view
it is shown and refuses every checkpoint of the other — same size with another root (409) and a larger size
whose proof cannot lead from the cosigned root (422) — so the log cannot get the fork witnessed. The refused
requests are kept as evidence."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from ledger.log import Log
from ledger.store import Store
from ledger.witness_app import create_witness_app
from ledger.witness_client import WitnessConfig, request_cosignature
from ledger.witness_core import trusted_logs
from ledger.witness_state import WitnessStore
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.note import witness_report

from .helpers import NOW, Signer
from .test_witness_core import NOW_S, WITNESS

ORIGIN = "split.test/log"
SCHEMES = frozenset({"scheme-a", "scheme-b", "scheme-c"})


def _log(tmp_path: Path, name: str, key: SigningKey) -> Log:
    return Log(Store("sqlite:///" + str(tmp_path / f"{name}.db")), key, ORIGIN, Policy(SCHEMES), lambda: NOW)


def test_a_forked_log_gets_only_one_view_witnessed(tmp_path: Path) -> None:
    key = SigningKey.generate()
    honest, forked = _log(tmp_path, "honest", key), _log(tmp_path, "forked", key)
    honest.submit(Signer().register("scheme-a"))
    forked.submit(Signer().register("scheme-a"))  # another key registers it: another leaf, same size
    assert honest.size == forked.size == 1 and honest.root() != forked.root()

    store = WitnessStore(tmp_path / "state", WITNESS.vkey)
    app = create_witness_app(WITNESS, trusted_logs([honest.vkey]), store, clock=lambda: NOW_S)
    witness = WitnessConfig("http://testserver", WITNESS.vkey)
    with TestClient(app) as client:
        first = request_cosignature(witness, honest.checkpoint(), 0, honest.consistency_proof, client, 5.0)
        assert first.line is not None and first.size == 1
        assert witness_report(honest.checkpoint() + first.line, [WITNESS.vkey], log_vkey=honest.vkey).names

        same_size = request_cosignature(witness, forked.checkpoint(), 1, forked.consistency_proof, client, 5.0)
        assert same_size.line is None and "another root hash at size 1" in (same_size.error or "")

        forked.submit(Signer().register("scheme-b"))
        forked.submit(Signer().register("scheme-c"))
        larger = request_cosignature(witness, forked.checkpoint(), 1, forked.consistency_proof, client, 5.0)
        assert larger.line is None and (larger.error or "").startswith("HTTP 422")

        # The honest view goes on being witnessed from where it was.
        honest.submit(Signer().register("scheme-b"))
        onward = request_cosignature(witness, honest.checkpoint(), 1, honest.consistency_proof, client, 5.0)
        assert onward.line is not None and onward.size == 2

        raw = client.post("/add-checkpoint", content=b"old 2\n\n" + forked.checkpoint().encode())
        assert raw.status_code == 422  # old 2 matches, the proof (empty) does not reach the fork's size 3
    assert [(s, c) for s, c, _ in store.evidence(ORIGIN)] == [
        (409, "witness.root_mismatch"),
        (422, "witness.bad_proof"),
        (422, "witness.bad_proof"),
    ]
    state = store.latest(ORIGIN)
    assert state is not None and (state.size, state.root_hash) == (2, honest.root())
    store.close()
    honest.store.close()
    forked.store.close()


def test_a_witness_never_trusts_a_checkpoint_it_cannot_check(tmp_path: Path) -> None:
    """Signed by the log's key but under another origin, or by another key under the log's origin: refused
    before any state is touched (404, 403)."""
    key = SigningKey.generate()
    log = _log(tmp_path, "log", key)
    log.submit(Signer().register("scheme-a"))
    impostor = _log(tmp_path, "impostor", SigningKey.generate())
    impostor.submit(Signer().register("scheme-a"))
    store = WitnessStore(tmp_path / "state", WITNESS.vkey)
    app = create_witness_app(WITNESS, trusted_logs([log.vkey]), store, clock=lambda: NOW_S)
    with TestClient(app) as client:
        assert client.post("/add-checkpoint", content=b"old 0\n\n" + impostor.checkpoint().encode()).status_code == 403
        other = Log(Store("sqlite:///" + str(tmp_path / "o.db")), key, "other.test/log", Policy(SCHEMES), lambda: NOW)
        other.submit(Signer().register("scheme-a"))
        assert client.post("/add-checkpoint", content=b"old 0\n\n" + other.checkpoint().encode()).status_code == 404
        other.store.close()
    assert store.latest(ORIGIN) is None and store.evidence(ORIGIN) == []
    store.close()
    log.store.close()
    impostor.store.close()
