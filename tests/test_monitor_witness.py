"""The monitor and a real witness (``ledger/witness_app.py``, C2SP tlog-witness plus ``GET /checkpoints/{origin}``):
the monitor reads the checkpoint the witness cosigned, names the trusted witness that cosigned it, and a witness
that cosigned the other side of a fork (before it saw this one) is a split view with the witness's note — the
log's signature and the witness's cosignature — as evidence."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.api import create_app
from ledger.witness_app import create_witness_app
from ledger.witness_client import WitnessConfig, request_cosignature
from ledger.witness_core import trusted_logs
from ledger.witness_state import WitnessStore

from .test_attack_monitor_split_view import Fork, fork
from .test_monitor import ORIGIN, client_for, monitor_args, run_monitor, write_trust
from .test_witness_core import WITNESS

__all__ = ["fork"]  # the fixture, shared with tests/test_attack_monitor_split_view.py

WITNESS_URL = "http://w1.test"


def _cosign(app: object, note: str, proof: object) -> None:
    with TestClient(app, base_url=WITNESS_URL) as client:  # type: ignore[arg-type]
        got = request_cosignature(WitnessConfig(WITNESS_URL, WITNESS.vkey), note, 0, proof, client, 5.0)
    assert got.line is not None, got.error


def test_the_monitor_reads_what_a_real_witness_cosigned(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = WitnessStore(tmp_path / "witness", WITNESS.vkey)
    try:
        witness = create_witness_app(WITNESS, trusted_logs([fork.a.log.vkey]), store, clock=time.time)
        _cosign(witness, fork.a.log.checkpoint(), fork.a.log.consistency_proof)
        write_trust(tmp_path / "trust.json", fork.a.log, (WITNESS.vkey,))
        apps = {"log.test": create_app(fork.a.log), "w1.test": witness}
        rc, out = run_monitor(
            client_for(apps), *monitor_args(tmp_path, fork.a, "--witness", WITNESS_URL), capsys=capsys
        )
        assert rc == 0, out
        (seen,) = out["witnesses"]
        assert seen["size"] == fork.a.log.size and seen["cosigned_by"] == [WITNESS.name] and seen["error"] is None
    finally:
        store.close()


def test_attack_a_real_witness_cosigned_the_other_side_of_a_fork(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fork.diverge()
    store = WitnessStore(tmp_path / "witness", WITNESS.vkey)
    try:
        witness = create_witness_app(WITNESS, trusted_logs([fork.a.log.vkey]), store, clock=time.time)
        _cosign(witness, fork.b.checkpoint(), fork.b.consistency_proof)  # the witness saw b's view first
        write_trust(tmp_path / "trust.json", fork.a.log, (WITNESS.vkey,))
        apps = {"log.test": create_app(fork.a.log), "w1.test": witness}
        rc, out = run_monitor(
            client_for(apps), *monitor_args(tmp_path, fork.a, "--witness", WITNESS_URL), capsys=capsys
        )
        assert rc == 10, out
        (finding,) = out["findings"]
        assert finding["source"] == WITNESS_URL and ORIGIN in finding["notes"][1]
        assert finding["notes"][0] == fork.a.log.checkpoint()
        assert out["witnesses"][0]["cosigned_by"] == [WITNESS.name]
    finally:
        store.close()
