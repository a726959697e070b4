"""Request lines and headers past every limit answer in the envelope, over a real `serve` socket (issue 21, item 6).

The attack: a request line of ~70,000 characters got no answer at all from `serve` (uvicorn's h11 buffer limit:
a plain-text 400 and a reset connection while the client was still sending). Now a URL past the app's limit
(8 KiB) is the app's 414, one past h11's buffer (ledger/api/wire.py) the protocol's 414, headers past it a 431,
and a request that is not HTTP a 400 — each a JSON envelope the client reads in full, and the server goes on.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.api import create_app
from ledger.api.wire import MAX_REQUEST_HEAD_BYTES, unparsable_answer
from ledger.bench_crash import ServeProcess
from ledger.home import init_home
from ledger.log import Log
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW

pytestmark = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="runs `serve` as a process (POSIX)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    tmp = tmp_path_factory.mktemp("long-lines")
    init_home(tmp / "home", origin="long.test/log")
    proc = ServeProcess(tmp / "home", tmp / "serve.log")
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.kill()


def _raw_request(port: int, head: bytes, chunk: int = 4096) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` in ``chunk``-byte segments (as a slow client does), then read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            for at in range(0, len(head), chunk):
                s.sendall(head[at : at + chunk])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and shut its side before the client finished: the answer is still there
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + _length(data):
            got = s.recv(65536)
            if not got:
                break
            data += got
    status_line, _, rest = data.partition(b"\r\n")
    header_block, _, body = rest.partition(b"\r\n\r\n")
    headers = dict(line.decode().lower().split(": ", 1) for line in header_block.split(b"\r\n") if line)
    return int(status_line.split()[1]), headers, body


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


def _get(path_len: int) -> bytes:
    return b"GET /v1/" + b"a" * path_len + b" HTTP/1.1\r\nHost: x\r\n\r\n"


CASES = [
    ("url_9k_app_limit", _get(9_000), 414, "input.uri_too_long"),
    ("url_70k", _get(70_000), 414, "input.uri_too_long"),
    ("url_200k", _get(200_000), 414, "input.uri_too_long"),
    ("url_2m_no_end", b"GET /" + b"a" * 2_000_000, 414, "input.uri_too_long"),
    (
        "query_70k",
        b"GET /v1/checkpoint?q=" + b"b" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        414,
        "input.uri_too_long",
    ),
    (
        "headers_100k",
        b"GET /v1/log HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"c" * 100_000 + b"\r\n\r\n",
        431,
        "http.headers_too_large",
    ),
    ("not_http", b"\x16\x03\x01\x02\x00 hello\r\n\r\n", 400, "http.bad_request"),
]


@pytest.mark.parametrize(("name", "head", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_attack_long_request_line_over_a_real_serve_socket(
    server: ServeProcess, name: str, head: bytes, status: int, code: str
) -> None:
    got, headers, body = _raw_request(server.port, head)
    assert got == status, (name, body[:200])
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == code
    # the server is still there and answers the next request
    assert _raw_request(server.port, b"GET /v1/log HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 200


def test_unparsable_head_is_classified_by_what_is_buffered() -> None:
    assert unparsable_answer(b"GET /" + b"a" * MAX_REQUEST_HEAD_BYTES)[:2] == (414, "input.uri_too_long")
    assert unparsable_answer(b"GET / HTTP/1.1\r\nX: " + b"a" * MAX_REQUEST_HEAD_BYTES)[:2] == (
        431,
        "http.headers_too_large",
    )
    assert unparsable_answer(b"\x16\x03")[:2] == (400, "http.bad_request")


def test_attack_60k_url_in_process_is_a_414_in_the_envelope(sqlite_url: str) -> None:
    """In process (httpx refuses to send URLs past 65,536 characters): the app's own check."""
    store = Store(sqlite_url)
    app = create_app(Log(store, SigningKey.generate(), "long.test/log", Policy(frozenset()), lambda: NOW))
    try:
        r = TestClient(app).get("/v1/" + "a" * 60_000)
        assert r.status_code == 414 and r.json()["error"]["code"] == "input.uri_too_long"
    finally:
        app.state.deps.sequencer.close()
        store.close()
