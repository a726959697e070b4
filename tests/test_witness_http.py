"""The witness over HTTP (ledger/witness_app.py): the spec's answers as plain text, the monitors' read endpoint,
the body limit, access logs, and the `carbonledger witness` commands."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.witness_app import create_witness_app
from ledger.witness_core import MAX_BODY_BYTES, trusted_logs
from ledger.witness_state import WitnessStore
from verifier.keys import SigningKey
from verifier.note import witness_report

from .helpers import Cli
from .test_witness_core import NOW_S, WITNESS, SimLog


@pytest.fixture
def world(tmp_path: Path):
    log = SimLog()
    store = WitnessStore(tmp_path / "state", WITNESS.vkey)
    app = create_witness_app(WITNESS, trusted_logs([log.vkey]), store, clock=lambda: NOW_S)
    with TestClient(app, base_url="http://witness.test") as client:
        yield log, client, store
    store.close()


def test_add_checkpoint_answers_over_http(world) -> None:
    log, client, _ = world
    log.grow(3)
    r = client.post("/add-checkpoint", content=log.body(0))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith("— witness.example/w1 ") and r.text.endswith("\n") and r.text.count("\n") == 1
    assert witness_report(log.note() + r.text, [WITNESS.vkey], now_s=NOW_S).names == [WITNESS.name]

    log.grow(2)
    stale = client.post("/add-checkpoint", content=log.body(0))
    assert (stale.status_code, stale.text, stale.headers["content-type"]) == (409, "3\n", "text/x.tlog.size")
    assert client.post("/add-checkpoint", content=log.body(3, proof=[bytes(32)])).status_code == 422
    assert client.post("/add-checkpoint", content=b"old 1\n").status_code == 400
    assert client.post("/add-checkpoint", content=log.body(6, 5, proof=[])).status_code == 400
    other = SimLog("other.example/log")
    other.grow(1)
    assert client.post("/add-checkpoint", content=other.body(0)).status_code == 404
    untrusted = log.note(key=SigningKey(bytes([3]) * 32))
    assert client.post("/add-checkpoint", content=log.body(3, note=untrusted)).status_code == 403
    assert client.post("/add-checkpoint", content=log.body(3)).status_code == 200
    assert client.get("/add-checkpoint").status_code == 405


def test_monitors_read_the_newest_cosigned_note_with_the_witness_line(world) -> None:
    log, client, _ = world
    assert client.get(f"/checkpoints/{log.origin}").status_code == 404
    log.grow(7)
    line = client.post("/add-checkpoint", content=log.body(0)).text
    r = client.get(f"/checkpoints/{log.origin}")  # the origin has a slash: the route takes a path
    assert r.status_code == 200 and r.text == log.note() + line
    assert witness_report(r.text, [WITNESS.vkey], log_vkey=log.vkey).names == [WITNESS.name]


def test_a_body_over_the_limit_is_413_declared_or_streamed(world) -> None:
    _, client, _ = world
    assert client.post("/add-checkpoint", content=b"x" * (MAX_BODY_BYTES + 1)).status_code == 413

    def chunks():
        for _ in range(MAX_BODY_BYTES // 1000 + 2):
            yield b"y" * 1000

    assert client.post("/add-checkpoint", content=chunks()).status_code == 413


def test_every_request_is_access_logged(world, caplog: pytest.LogCaptureFixture) -> None:
    log, client, _ = world
    log.grow(1)
    with caplog.at_level(logging.INFO, logger="carbonledger.witness"):
        client.post("/add-checkpoint", content=log.body(0))
        client.get("/checkpoints/nobody")
    lines = [r.getMessage() for r in caplog.records if r.name == "carbonledger.witness"]
    assert any(m.startswith("POST /add-checkpoint 200 witness.cosigned") for m in lines), lines
    assert any(m.startswith("GET /checkpoints/nobody 404 witness.none_cosigned") for m in lines), lines


def test_keygen_writes_the_key_and_its_vkey_and_refuses_to_overwrite(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    out = cli.json("witness", "keygen", "--name", "w.example/1", "--out", str(tmp_path / "w.pem"))
    assert out["vkey"].startswith("w.example/1+") and (tmp_path / "w.pem.vkey").read_text() == out["vkey"] + "\n"
    again = cli.run("witness", "keygen", "--name", "w.example/1", "--out", str(tmp_path / "w.pem"), ok=False)
    assert again.returncode != 0 and "key.exists" in again.stderr
    bad = cli.run("witness", "keygen", "--name", "has space", "--out", str(tmp_path / "x.pem"), ok=False)
    assert bad.returncode != 0 and not (tmp_path / "x.pem").exists()


def test_serve_prints_the_vkey_and_runs_uvicorn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.append(kw))
    cli = Cli(tmp_path / "home")
    vkey = cli.json("witness", "keygen", "--name", "w.example/1", "--out", str(tmp_path / "w.pem"))["vkey"]
    log = SimLog()
    out = cli.run(
        "witness", "serve", "--key", str(tmp_path / "w.pem"), "--log", log.vkey,
        "--state", str(tmp_path / "state"), "--port", "8471",
    )  # fmt: skip
    assert vkey in out.stdout and log.origin in out.stdout
    assert seen and seen[0]["port"] == 8471 and (tmp_path / "state" / "witness.db").exists()
    wrong = cli.run(
        "witness", "serve", "--key", str(tmp_path / "w.pem"), "--log", vkey, "--state", str(tmp_path / "s2"), ok=False
    )
    assert wrong.returncode != 0 and "witness.bad_log_key" in wrong.stderr


def test_bench_witness_reports_a_ratio_against_raw_ed25519(tmp_path: Path) -> None:
    out = Cli(tmp_path / "home").json("bench", "witness", "--n", "5", "--rounds", "1")
    assert out["n"] == 5 and out["baseline_per_s"] > 0 and out["ratio"] > 0 and "ASGI" in out["mode"]
