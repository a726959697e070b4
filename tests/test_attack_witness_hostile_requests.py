"""Hostile requests to the witness (review of ledger/witness_*.py against C2SP tlog-witness, tlog-cosignature
and signed-note): each ``test_attack_`` test is named after the attack or defect it defeats; the other tests
are probes that found the witness sound, kept as a record.

Defeated: (a) a legal note of 16 post-quantum-sized signatures refused as too large; (b) replays of the
witness's own public checkpoint with junk proof lines evicting a split view's evidence; (c) a larger tree
cosigned with an earlier time than a smaller one (two requests racing, or the clock stepping back);
(d) a Content-Length that is no number answered 500; (e) a client hanging up mid-body escaping the app as an
exception; (f) a body that never finishes holding its connection forever.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.requests import ClientDisconnect

import ledger.witness_app as witness_app
import ledger.witness_requests as witness_requests
import ledger.witness_state as witness_state
from ledger.witness_app import create_witness_app
from ledger.witness_core import SIZE_CONTENT_TYPE, OriginState, answer, decide, parse_add_checkpoint, trusted_logs
from ledger.witness_state import EVIDENCE_PER_ORIGIN, WitnessStore
from verifier.keys import SigningKey
from verifier.note import cosign_checkpoint, format_checkpoint, sign_note, split_note, witness_report

from .helpers import Cli, b64
from .test_witness_core import NOW_S, ORIGIN, WITNESS, SimLog
from .test_witness_http import world

__all__ = ["world"]  # the fixture (tests/test_witness_http.py), used by name


def _timestamp(line: str) -> int:
    """The time a cosignature/v1 line carries (after its 4-byte key ID)."""
    return int.from_bytes(base64.b64decode(line.split(" ")[2])[4:12], "big")


async def _asgi_post(app, headers: list[tuple[bytes, bytes]], receive, wait_s: float) -> list[dict]:
    """POST /add-checkpoint straight to the ASGI app (no test client in between); the messages it sent."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/add-checkpoint", "raw_path": b"/add-checkpoint",
             "query_string": b"", "headers": headers, "http_version": "1.1", "scheme": "http",
             "server": ("test", 80), "client": ("test", 1), "root_path": ""}  # fmt: skip
    await asyncio.wait_for(app(scope, receive, send), wait_s)
    return sent


def _then_silence(messages: list[dict]):
    """An ASGI receive() that hands out ``messages``, then waits forever (a client that neither sends more
    nor hangs up)."""
    queue = iter(messages)

    async def receive() -> dict:
        try:
            return next(queue)
        except StopIteration:
            await asyncio.sleep(3600)
            raise AssertionError("unreachable") from None

    return receive


def _status(sent: list[dict]) -> int:
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


# ---- (a) the body limit ------------------------------------------------------------------------------
def test_attack_sixteen_post_quantum_sized_signatures_are_cosigned(world) -> None:
    """signed-note: verifiers "MUST accept at least up to 16 signatures", and post-quantum signatures "can be up
    to nearly 5kB". The log's line and 15 unknown ML-DSA-87-sized ones (4,627 bytes) with 63 proof lines: a
    legal request (unknown signatures ignored) that the old 64 KiB limit answered 413."""
    log, client, _ = world
    log.grow(100)
    assert client.post("/add-checkpoint", content=log.body(0, 1)).status_code == 200
    unknown = "".join(f"— pq{i}.example/key {b64(bytes([i]) * (4 + 4627))}\n" for i in range(15))
    note = log.note() + unknown
    assert len(split_note(note)[1]) == 16
    body = log.body(1, note=note, proof=[bytes([i]) * 32 for i in range(63)])  # 63 lines: 422, but not 413
    assert client.post("/add-checkpoint", content=body).status_code == 422
    r = client.post("/add-checkpoint", content=log.body(1, note=note))
    assert r.status_code == 200, (r.status_code, r.text)
    assert witness_report(log.note() + r.text, [WITNESS.vkey], now_s=NOW_S).names == [WITNESS.name]


# ---- (b) evidence ------------------------------------------------------------------------------------
def _split_view(client: TestClient, log: SimLog) -> SimLog:
    log.grow(3)
    assert client.post("/add-checkpoint", content=log.body(0)).status_code == 200
    fork = SimLog(salt="fork ")
    fork.grow(3)
    assert client.post("/add-checkpoint", content=fork.body(3)).status_code == 409
    return fork


def test_attack_replaying_the_cosigned_checkpoint_with_junk_proofs_keeps_the_split_view_evidence(world) -> None:
    """A split view (same size, other root: 409) is kept; then anyone replays the witness's own public
    checkpoint with junk proof lines, more times than the cap: the old store kept each 422 as evidence and
    evicted the split view's. The witness's own checkpoint proves nothing: not kept at all now."""
    log, client, store = world
    _split_view(client, log)
    for i in range(EVIDENCE_PER_ORIGIN + 1):
        assert client.post("/add-checkpoint", content=log.body(3, proof=[bytes([i % 256]) * 32])).status_code == 422
    assert [c for _, c, _ in store.evidence(ORIGIN)] == ["witness.root_mismatch"]


def test_attack_the_same_refusal_is_kept_once_and_warned_once(world, caplog: pytest.LogCaptureFixture) -> None:
    """The fork's checkpoint sent again and again — other junk proof lines, unknown signature lines added — is
    one piece of evidence: kept once (its code, old size and signed text are the same), logged at WARNING once."""
    log, client, store = world
    fork = _split_view(client, log)
    caplog.clear()  # drop the 409's warning (its first time, in _split_view)
    with caplog.at_level(logging.INFO, logger="carbonledger.witness"):
        for i in range(5):
            extra = f"— junk.example/{i} {b64(bytes(68))}\n"
            assert client.post("/add-checkpoint", content=fork.body(3, note=fork.note() + extra)).status_code == 409
            assert client.post("/add-checkpoint", content=fork.body(3, proof=[bytes([i]) * 32])).status_code == 422
    assert [(s, c) for s, c, _ in store.evidence(ORIGIN)] == [
        (409, "witness.root_mismatch"),
        (422, "witness.bad_proof"),
    ]
    warnings = [r for r in caplog.records if r.name == "carbonledger.witness" and r.levelno == logging.WARNING]
    assert [w.args[1] for w in warnings] == ["witness.bad_proof"]  # its first time only


def test_attack_a_flood_of_bad_proofs_never_evicts_a_split_view(world, monkeypatch: pytest.MonkeyPatch) -> None:
    """Distinct trusted-signed checkpoints with junk proofs, more than the cap: bad_proof rows make room among
    themselves (newest kept), never by evicting root_mismatch rows — the cap is per answer code."""
    monkeypatch.setattr(witness_state, "EVIDENCE_PER_ORIGIN", 4)
    log, client, store = world
    _split_view(client, log)
    log.grow(20)
    for size in range(4, 14):
        assert client.post("/add-checkpoint", content=log.body(3, size, proof=[bytes(32)])).status_code == 422
    kept = store.evidence(ORIGIN)
    assert [c for _, c, _ in kept] == ["witness.root_mismatch"] + ["witness.bad_proof"] * 4
    assert [parse_add_checkpoint(b.encode()).checkpoint.size for _, _, b in kept[1:]] == [10, 11, 12, 13]


def test_attack_evidence_kept_by_an_older_witness_is_not_kept_twice(tmp_path: Path) -> None:
    """A state file from before the evidence keys (one 409 kept, no evidence_key table): opened, its row gets
    its key, and the same refusal sent again is not stored a second time."""
    log, fork = SimLog(), SimLog(salt="fork ")
    log.grow(3)
    fork.grow(3)

    def post(body: bytes) -> int:
        store = WitnessStore(tmp_path, WITNESS.vkey)
        with TestClient(create_witness_app(WITNESS, trusted_logs([log.vkey]), store, clock=lambda: NOW_S)) as c:
            status = c.post("/add-checkpoint", content=body).status_code
        store.close()
        return status

    assert post(log.body(0)) == 200
    db = sqlite3.connect(tmp_path / witness_state.STATE_FILE)
    db.execute("DROP TABLE IF EXISTS evidence_key")  # as an older witness left the file
    db.execute(
        "INSERT INTO evidence (origin, status, code, body, received_s) VALUES (?, 409, 'witness.root_mismatch', ?, ?)",
        (ORIGIN, fork.body(3).decode(), NOW_S),
    )
    db.commit()
    db.close()
    assert post(fork.body(3)) == 409
    store = WitnessStore(tmp_path, WITNESS.vkey)
    assert [c for _, c, _ in store.evidence(ORIGIN)] == ["witness.root_mismatch"]
    store.close()


# ---- (c) cosignature times ------------------------------------------------------------------------------
def test_attack_a_larger_tree_never_gets_an_older_cosignature_time(tmp_path: Path, monkeypatch) -> None:
    """tlog-cosignature: a v1 cosignature states that, "as of the specified time", the largest consistent tree
    the cosigner has observed has this root. Request D (10 -> 20) was stamped when it arrived and then
    descheduled in its signature check while A (5 -> 10) arrived later and committed: D cosigned size 20 at an
    earlier time than size 10. The clock is read under the state's lock now: D is stamped after A."""
    log = SimLog()
    log.grow(5)
    store = WitnessStore(tmp_path / "state", WITNESS.vkey)
    ticks = iter(range(NOW_S, NOW_S + 100))
    clock_lock = threading.Lock()

    def clock() -> float:
        with clock_lock:
            return next(ticks)

    app = create_witness_app(WITNESS, trusted_logs([log.vkey]), store, clock=clock)
    with TestClient(app) as client:
        assert client.post("/add-checkpoint", content=log.body(0)).status_code == 200
        log.grow(5)
        body_a = log.body(5, 10)
        log.grow(10)
        body_d = log.body(10, 20)
        d_checking, a_done = threading.Event(), threading.Event()
        real_precheck = witness_requests.precheck

        def precheck(request, logs):  # D is descheduled before the state's lock
            if request.checkpoint.size == 20:
                d_checking.set()
                assert a_done.wait(10)
            return real_precheck(request, logs)

        monkeypatch.setattr(witness_requests, "precheck", precheck)
        out: dict[str, object] = {}
        t = threading.Thread(target=lambda: out.setdefault("d", client.post("/add-checkpoint", content=body_d)))
        t.start()
        assert d_checking.wait(10)
        r_a = client.post("/add-checkpoint", content=body_a)
        a_done.set()
        t.join(10)
        r_d = out["d"]
    store.close()
    assert r_a.status_code == 200 and r_d.status_code == 200  # type: ignore[attr-defined]
    assert _timestamp(r_d.text) > _timestamp(r_a.text)  # type: ignore[attr-defined]


def test_attack_the_clock_stepping_back_never_dates_a_larger_tree_earlier(tmp_path: Path) -> None:
    """An NTP step back of a minute between two cosignatures: the second carries the first's time, not an
    earlier one — and so does a third after the witness restarted (the time is in the state)."""
    log = SimLog()
    log.grow(5)
    times = iter([NOW_S, NOW_S - 60, NOW_S - 30])
    store = WitnessStore(tmp_path, WITNESS.vkey)
    app = create_witness_app(WITNESS, trusted_logs([log.vkey]), store, clock=lambda: next(times))
    with TestClient(app) as client:
        first = client.post("/add-checkpoint", content=log.body(0))
        log.grow(4)
        second = client.post("/add-checkpoint", content=log.body(5))
    store.close()
    assert first.status_code == second.status_code == 200
    assert _timestamp(second.text) == _timestamp(first.text) == NOW_S
    store = WitnessStore(tmp_path, WITNESS.vkey)
    log.grow(1)
    third = witness_requests.add_checkpoint(log.body(9), WITNESS, trusted_logs([log.vkey]), store, lambda: next(times))
    store.close()
    assert third.status == 200 and _timestamp(third.body) == NOW_S


def test_attack_decide_never_stamps_before_the_stored_cosignature() -> None:
    log = SimLog()
    log.grow(4)
    request = parse_add_checkpoint(log.body(2))
    state = OriginState(2, log.tree.root(2), log.note(2), cosigned_s=NOW_S + 5)
    result = decide(request, state, WITNESS, NOW_S, trusted_logs([log.vkey]))
    assert result.status == 200 and _timestamp(result.body) == NOW_S + 5 == result.new_state.cosigned_s  # type: ignore[union-attr]


# ---- (d, e, f) reading the body ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("declared", "status"), [("²".encode("latin-1"), 400), (b"9" * 5000, 413)], ids=["superscript-two", "5000-digits"]
)
def test_attack_a_content_length_that_is_no_number_is_a_4xx_not_500(world, declared: bytes, status: int) -> None:
    """ "²".isdigit() is True and int("²") raises; int() of 5000 digits raises (Python's 4300-digit limit): the
    witness's own body reader let both out as ValueError (500). It reads with ledger/http_inputs now."""
    log, client, _ = world
    log.grow(1)
    receive = _then_silence([{"type": "http.request", "body": log.body(0), "more_body": False}])
    assert _status(asyncio.run(_asgi_post(client.app, [(b"content-length", declared)], receive, 10))) == status


def test_attack_a_client_hanging_up_mid_body_is_no_unhandled_exception(world, caplog) -> None:
    """Starlette raises ClientDisconnect out of the body read; it escaped the app, and uvicorn logged
    'Exception in ASGI application' with a traceback at ERROR for every such client."""
    _, client, _ = world
    receive = _then_silence([
        {"type": "http.request", "body": b"old 0\n", "more_body": True}, {"type": "http.disconnect"}
    ])  # fmt: skip
    with caplog.at_level(logging.INFO, logger="carbonledger.witness"):
        try:
            asyncio.run(_asgi_post(client.app, [], receive, 10))
        except ClientDisconnect:
            pytest.fail("ClientDisconnect escaped the witness app")
    assert any("POST /add-checkpoint 400 input.client_disconnected" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_attack_a_body_that_never_finishes_is_cut_off(world, monkeypatch: pytest.MonkeyPatch) -> None:
    """'old 0\\n' of a declared 1000 bytes, then nothing: the connection (and its coroutine) was held forever
    — uvicorn has no body-read deadline. Answered 408 with Connection: close once the deadline passes."""
    monkeypatch.setattr(witness_app, "BODY_TIMEOUT_S", 0.5)
    _, client, _ = world
    receive = _then_silence([{"type": "http.request", "body": b"old 0\n", "more_body": True}])
    started = time.monotonic()
    sent = asyncio.run(_asgi_post(client.app, [(b"content-length", b"1000")], receive, 10))
    assert _status(sent) == 408 and time.monotonic() - started < 5
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert (b"connection", b"close") in start["headers"]


def test_attack_a_body_trickled_a_byte_at_a_time_is_cut_off_too(world, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline is for the whole body, not between chunks: a byte every 50 ms never idles long enough for
    an idle timeout, and is cut off all the same."""
    monkeypatch.setattr(witness_app, "BODY_TIMEOUT_S", 0.5)
    _, client, _ = world

    async def receive() -> dict:
        await asyncio.sleep(0.05)
        return {"type": "http.request", "body": b"o", "more_body": True}

    started = time.monotonic()
    assert _status(asyncio.run(_asgi_post(client.app, [], receive, 10))) == 408
    assert time.monotonic() - started < 5


def test_attack_witness_serve_bounds_its_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.append(kw))
    cli = Cli(tmp_path / "home")
    cli.json("witness", "keygen", "--name", "w.example/1", "--out", str(tmp_path / "w.pem"))
    args = ["witness", "serve", "--key", str(tmp_path / "w.pem"), "--log", SimLog().vkey, "--state", str(tmp_path)]
    cli.run(*args)
    cli.run(*args, "--limit-concurrency", "8")
    assert [kw["limit_concurrency"] for kw in seen] == [256, 8]


# ---- probes that held ---------------------------------------------------------------------------------
def _run(body: bytes, state=None, log: SimLog | None = None):
    return answer(body, trusted_logs([(log or SimLog()).vkey]), state, WITNESS, NOW_S)


def test_rollback_attempts_are_refused_and_the_state_kept(world) -> None:
    log, client, store = world
    log.grow(9)
    assert client.post("/add-checkpoint", content=log.body(0)).status_code == 200
    assert client.post("/add-checkpoint", content=log.body(9, 5, proof=[])).status_code == 400  # old > size
    r = client.post("/add-checkpoint", content=log.body(5, 5))  # old == size < stored
    assert (r.status_code, r.text, r.headers["content-type"]) == (409, "9\n", SIZE_CONTENT_TYPE)
    assert client.post("/add-checkpoint", content=log.body(0, 5)).status_code == 409
    assert store.latest(ORIGIN).size == 9  # type: ignore[union-attr]


def test_checkpoint_syntax_edges_are_400() -> None:
    log = SimLog()
    log.grow(3)
    good = log.note()
    text, lines = split_note(good)
    origin, _, root = text[:-1].split("\n")

    def signed(body: str) -> bytes:
        return b"old 0\n\n" + sign_note(body, ORIGIN, log.key).encode()

    bad = {
        "size +3": signed(f"{origin}\n+3\n{root}\n"),
        "size 03": signed(f"{origin}\n03\n{root}\n"),
        "size 2**64": signed(f"{origin}\n{2**64}\n{root}\n"),
        "root non-canonical pad bits": signed(f"{origin}\n3\n{root[:-2]}{chr(ord(root[-2]) ^ 1)}=\n"),
        "empty extension": signed(f"{origin}\n3\n{root}\n\next\n"),
        "trailing data": b"old 0\n\n" + good.encode() + b"junk\n",
        "second signature block": b"old 0\n\n" + (good + "\n" + lines[0] + "\n").encode(),
        "no blank line": b"old 0\n" + good.encode(),
        "CR in note": b"old 0\n\n" + good.replace("\n\n", "\r\n\n").encode(),
        "sig non-canonical b64": b"old 0\n\n" + (good[:-3] + chr(ord(good[-3]) ^ 1) + "=\n").encode(),
        "old +0": b"old +0\n\n" + good.encode(),
        "old unicode digit": "old ٣\n\n".encode() + good.encode(),
    }
    for name, body in bad.items():
        r = _run(body, None, log)
        assert r.status == 400, (name, r.status, r.body)


def test_a_trusted_name_with_another_key_or_the_witness_own_line_is_no_log_signature() -> None:
    log = SimLog()
    log.grow(2)
    impostor = log.note(key=SigningKey(bytes([5]) * 32))
    assert _run(log.body(0, note=impostor), None, log).status == 403
    text = format_checkpoint(ORIGIN, 2, log.tree.root(2))
    own = text + "\n" + cosign_checkpoint(text, WITNESS.name, WITNESS.key, NOW_S)
    assert _run(b"old 0\n\n" + own.encode(), None, log).status == 403


def test_duplicate_log_signatures_are_cosigned_once() -> None:
    log = SimLog()
    log.grow(2)
    note = log.note()
    r = _run(log.body(0, note=note + split_note(note)[1][0] + "\n"), None, log)
    assert r.status == 200 and r.body.count("\n") == 1


def test_sizes_near_2_64_round_trip_through_the_state(tmp_path: Path) -> None:
    log = SimLog()
    big = 2**64 - 1
    note = sign_note(format_checkpoint(ORIGIN, big, bytes(32)), ORIGIN, log.key)
    store = WitnessStore(tmp_path, WITNESS.vkey)
    logs = trusted_logs([log.vkey])
    assert (
        witness_requests.add_checkpoint(b"old 0\n\n" + note.encode(), WITNESS, logs, store, lambda: NOW_S).status == 200
    )
    assert store.latest(ORIGIN).size == big  # type: ignore[union-attr]
    again = witness_requests.add_checkpoint(f"old {big}\n\n{note}".encode(), WITNESS, logs, store, lambda: NOW_S)
    assert again.status == 200
    store.close()


def test_a_cosignature_over_extension_lines_verifies() -> None:
    log = SimLog()
    log.grow(2)
    note = sign_note(format_checkpoint(ORIGIN, 2, log.tree.root(2), ["ext one", "— looks like a sig"]), ORIGIN, log.key)
    r = _run(b"old 0\n\n" + note.encode(), None, log)
    assert r.status == 200
    assert witness_report(note + r.body, [WITNESS.vkey], now_s=NOW_S).names == [WITNESS.name]


def test_two_stores_on_one_directory_interleaved(tmp_path: Path) -> None:
    log = SimLog()
    logs = trusted_logs([log.vkey])
    a, b = WitnessStore(tmp_path, WITNESS.vkey), WitnessStore(tmp_path, WITNESS.vkey)

    def add(store: WitnessStore, body: bytes) -> int:
        return witness_requests.add_checkpoint(body, WITNESS, logs, store, lambda: NOW_S).status

    log.grow(3)
    assert add(a, log.body(0)) == 200
    log.grow(3)
    assert (add(b, log.body(0)), add(b, log.body(3)), add(a, log.body(3))) == (409, 200, 409)
    assert a.latest(ORIGIN).size == b.latest(ORIGIN).size == 6  # type: ignore[union-attr]
    a.close()
    b.close()


def test_http_method_and_content_type(world) -> None:
    log, client, _ = world
    log.grow(1)
    assert client.get("/add-checkpoint").status_code == 405
    assert client.put("/add-checkpoint", content=log.body(0)).status_code == 405
    r = client.post("/add-checkpoint", content=log.body(0), headers={"content-type": "application/json"})
    assert r.status_code == 200  # the spec names no request content type
