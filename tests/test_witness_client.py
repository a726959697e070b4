"""The log's witness client (ledger/witness_client.py) against real witness apps in this process: the first
request, the 409 follow-up, forged or misdirected cosignature lines, witnesses down or silent (results, never
exceptions), and the gathered note."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ledger.witness_app import create_witness_app
from ledger.witness_client import CosignResult, WitnessConfig, gather_cosignatures, request_cosignature
from ledger.witness_core import trusted_logs
from ledger.witness_state import WitnessStore
from mapping.errors import NoteError
from verifier.note import cosign_checkpoint, witness_report

from .test_witness_core import NOW_S, WITNESS, SimLog, witness_identity


class Hosts(httpx.BaseTransport):
    """An HTTP transport to several in-process ASGI apps, by host name (each behind a TestClient)."""

    def __init__(self, apps: dict[str, TestClient]) -> None:
        self.apps = apps

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        client = self.apps.get(request.url.host)
        if client is None:
            raise httpx.ConnectError(f"no such host {request.url.host}", request=request)
        r = client.request(request.method, request.url.path, content=request.read(), headers=request.headers)
        return httpx.Response(r.status_code, headers=r.headers, content=r.content)


@pytest.fixture
def log() -> SimLog:
    return SimLog()


def _witness_app(tmp_path: Path, log: SimLog, identity=WITNESS) -> TestClient:
    store = WitnessStore(tmp_path / identity.name.replace("/", "_"), identity.vkey)
    return TestClient(create_witness_app(identity, trusted_logs([log.vkey]), store, clock=lambda: NOW_S))


def _fake(body: str, status: int = 200) -> TestClient:
    async def add(_request):
        return PlainTextResponse(body, status_code=status)

    return TestClient(Starlette(routes=[Route("/add-checkpoint", add, methods=["POST"])]))


@pytest.fixture
def http(tmp_path: Path, log: SimLog) -> Iterator[tuple[httpx.Client, dict[str, TestClient]]]:
    apps = {"w1.test": _witness_app(tmp_path, log)}
    with httpx.Client(transport=Hosts(apps)) as client:
        yield client, apps


W1 = WitnessConfig("http://w1.test", WITNESS.vkey)


def test_first_request_then_the_witness_size_is_remembered(http, log: SimLog) -> None:
    client, _ = http
    log.grow(4)
    r = request_cosignature(W1, log.note(), 0, log.proof, client, 5.0)
    assert (r.witness, r.size, r.error) == (WITNESS.name, 4, None) and r.line is not None
    assert witness_report(log.note() + r.line, [WITNESS.vkey]).names == [WITNESS.name]
    log.grow(3)
    r2 = request_cosignature(W1, log.note(), r.size, log.proof, client, 5.0)
    assert r2.size == 7 and r2.line is not None


def test_a_409_is_followed_once_with_the_proof_from_the_witness_size(http, log: SimLog) -> None:
    client, _ = http
    log.grow(5)
    assert request_cosignature(W1, log.note(), 0, log.proof, client, 5.0).size == 5
    log.grow(6)
    asked: list[tuple[int, int]] = []

    def proof(a: int, b: int) -> list[bytes]:
        asked.append((a, b))
        return log.proof(a, b)

    r = request_cosignature(W1, log.note(), 0, proof, client, 5.0)  # the log forgot: sends old 0, gets 409 "5"
    assert (r.size, r.error) == (11, None) and r.line is not None
    assert asked == [(5, 11)]


def test_a_witness_beyond_the_checkpoint_is_given_up_on(http, log: SimLog) -> None:
    client, _ = http
    log.grow(9)
    request_cosignature(W1, log.note(), 0, log.proof, client, 5.0)
    r = request_cosignature(W1, log.note(4), 0, log.proof, client, 5.0)
    assert r.line is None and r.size == 9 and "beyond this checkpoint's size 4" in (r.error or "")


def test_a_witness_that_cosigned_another_root_is_reported_as_such(http, log: SimLog) -> None:
    client, _ = http
    fork = SimLog(salt="fork ")
    log.grow(3)
    fork.grow(3)
    request_cosignature(W1, log.note(), 0, log.proof, client, 5.0)
    r = request_cosignature(W1, fork.note(), 3, fork.proof, client, 5.0)
    assert r.line is None and r.size == 3 and "another root hash at size 3" in (r.error or "")


def test_forged_and_misdirected_cosignature_lines_are_refused(log: SimLog) -> None:
    log.grow(2)
    note = log.note()
    good = cosign_checkpoint(note, WITNESS.name, WITNESS.key, NOW_S)
    raw = bytearray(base64.b64decode(good.split(" ")[2]))
    raw[-1] ^= 1
    forged = f"— {WITNESS.name} {base64.b64encode(bytes(raw)).decode()}\n"
    other_cp = log.note(1)
    over_another = cosign_checkpoint(other_cp, WITNESS.name, WITNESS.key, NOW_S)
    by_another_key = cosign_checkpoint(note, WITNESS.name, witness_identity(seed=9).key, NOW_S)
    cases = {
        "forged": (forged, "bad cosignature"),
        "over another checkpoint": (over_another, "bad cosignature"),
        "another key only": (by_another_key, "no cosignature by"),
        "not a signature line": ("hello\n", "not a note signature"),
        "a forged line after a good one": (good + forged, "bad cosignature"),
    }
    apps = {name.replace(" ", "-") + ".test": _fake(body) for name, (body, _) in cases.items()}
    with httpx.Client(transport=Hosts(apps)) as client:
        for name, (_, expected) in cases.items():
            cfg = WitnessConfig(f"http://{name.replace(' ', '-')}.test", WITNESS.vkey)
            r = request_cosignature(cfg, note, 0, log.proof, client, 5.0)
            assert r.line is None and expected in (r.error or ""), (name, r)
    ignored = {"mixed.test": _fake(by_another_key + good)}  # an unknown key's line is ignored, ours counts
    with httpx.Client(transport=Hosts(ignored)) as client:
        r = request_cosignature(WitnessConfig("http://mixed.test", WITNESS.vkey), note, 0, log.proof, client, 5.0)
        assert r.line == good


def test_other_statuses_are_results_with_the_status_and_body(log: SimLog) -> None:
    log.grow(1)
    apps = {"busy.test": _fake("the state is busy\n", 503), "odd.test": _fake("many\n", 409)}
    with httpx.Client(transport=Hosts(apps)) as client:
        busy = request_cosignature(WitnessConfig("http://busy.test", WITNESS.vkey), log.note(), 0, log.proof, client, 5)
        odd = request_cosignature(WitnessConfig("http://odd.test", WITNESS.vkey), log.note(), 0, log.proof, client, 5)
    assert busy.error == "HTTP 503: the state is busy" and busy.size is None
    assert "not a tree size" in (odd.error or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_witness_down_or_silent_is_a_result_not_an_exception(log: SimLog) -> None:
    log.grow(2)
    down = WitnessConfig(f"http://127.0.0.1:{_free_port()}", WITNESS.vkey)
    with httpx.Client() as client:
        r = request_cosignature(down, log.note(), 0, log.proof, client, 2.0)
    assert r.line is None and (r.error or "").startswith("unreachable")

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:  # accept and never answer
        silent.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    try:
        cfg = WitnessConfig(f"http://127.0.0.1:{silent.getsockname()[1]}", WITNESS.vkey)
        with httpx.Client() as client:
            r = request_cosignature(cfg, log.note(), 0, log.proof, client, 0.3)
        assert r.line is None and (r.error or "").startswith("timeout")
        note, results = gather_cosignatures([cfg, down], log.note(), {}, log.proof, timeout_s=0.3)
        assert note == log.note() and [x.line for x in results] == [None, None]
    finally:
        stop.set()
        t.join()
        silent.close()
        for s in accepted:
            s.close()


def test_gather_appends_verified_lines_in_witness_order(tmp_path: Path, log: SimLog) -> None:
    w2 = witness_identity("witness.example/w2", seed=11)
    apps = {"w1.test": _witness_app(tmp_path, log), "w2.test": _witness_app(tmp_path, log, w2)}
    apps["forger.test"] = _fake(cosign_checkpoint(log.note(0), "forger.example", witness_identity(seed=12).key, 1))
    witnesses = [
        WitnessConfig("http://w2.test", w2.vkey),
        WitnessConfig("http://forger.test", witness_identity("forger.example", seed=12).vkey),
        WitnessConfig("http://nowhere.test", witness_identity("nowhere.example", seed=13).vkey),
        W1,
    ]
    log.grow(6)
    with httpx.Client(transport=Hosts(apps)) as client:
        note, results = gather_cosignatures(witnesses, log.note(), {}, log.proof, timeout_s=5.0, http_client=client)
        assert [r.witness for r in results] == ["witness.example/w2", "forger.example", "nowhere.example", WITNESS.name]
        assert [r.line is not None for r in results] == [True, False, False, True]
        assert note == log.note() + results[0].line + results[3].line  # type: ignore[operator]
        report = witness_report(note, [w.vkey for w in witnesses], log_vkey=log.vkey)
        assert report.names == ["witness.example/w2", WITNESS.name]
        # Re-witnessing a cosigned note replaces each witness's older line instead of piling lines up.
        sizes = {r.witness: r.size for r in results if r.size is not None}
        renote, _ = gather_cosignatures(witnesses[:1], note, sizes, log.proof, timeout_s=5.0, http_client=client)
    assert renote.count("witness.example/w2 ") == 1 and renote.count(WITNESS.name + " ") == 1


def test_only_a_malformed_note_raises(http, log: SimLog) -> None:
    client, _ = http
    with pytest.raises(NoteError):
        request_cosignature(W1, "not a note", 0, log.proof, client, 1.0)
    with pytest.raises(NoteError):
        gather_cosignatures([W1], "hello\n\n— x AAAA\n", {}, log.proof, timeout_s=1.0, http_client=client)
    bad_key = WitnessConfig("http://w1.test", "garbage")
    log.grow(1)
    r = request_cosignature(bad_key, log.note(), 0, log.proof, client, 1.0)
    assert isinstance(r, CosignResult) and "bad witness verifier key" in (r.error or "")
