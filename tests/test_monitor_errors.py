"""`carbonledger monitor` when it cannot do its job: a log that answers garbage, a log that cannot be reached, a
bad trust file, a bad command line — each a precise error (the project's error envelope, exit 1 or 2), never a
traceback and never a verdict about the log; and a monitor killed with SIGKILL while polling resumes where it
stopped (a real process: the process boundary is the point)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from cli.main import main
from ledger.api import create_app

from .helpers import CLI_COMMAND
from .test_monitor import LOG_URL, World, client_for, monitor_args, run_monitor, world

__all__ = ["world"]  # the fixture, shared with tests/test_monitor.py


def _lying_log(w: World, **answers: Callable[[Request], Response]) -> Starlette:
    """The log's real checkpoint, and for each of ``entries``, ``consistency``, ``inclusion``, ``checkpoint`` the
    answer given (default: the real log's)."""
    real = create_app(w.log)

    async def forward(request: Request) -> Response:
        name = {
            "/v1/entries": "entries",
            "/v1/checkpoint": "checkpoint",
            "/v1/proofs/consistency": "consistency",
            "/v1/proofs/inclusion": "inclusion",
        }.get(request.url.path)
        if name in answers:
            return answers[name](request)
        return await _asgi_call(real, request)

    return Starlette(routes=[Route("/{path:path}", forward)])


async def _asgi_call(app: Any, request: Request) -> Response:
    sent: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"], sent["headers"] = message["status"], message["headers"]
        elif message["type"] == "http.response.body":
            sent["body"] += message.get("body", b"")

    await app(request.scope, request.receive, send)
    headers = {k.decode(): v.decode() for k, v in sent["headers"] if k.lower() != b"content-length"}
    return Response(sent["body"], sent["status"], headers=headers)


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"checkpoint": lambda r: PlainTextResponse("not a signed note")}, "note.malformed"),
        ({"checkpoint": lambda r: PlainTextResponse("down", 500)}, "source.error"),
        ({"entries": lambda r: PlainTextResponse("[not json")}, "source.malformed"),
        ({"entries": lambda r: JSONResponse([1, 2])}, "source.malformed"),
        ({"entries": lambda r: JSONResponse({"start": 1, "entries": []})}, "source.malformed"),
        ({"entries": lambda r: JSONResponse({"start": 0, "entries": ["AAAA"]})}, "source.malformed"),
        ({"entries": lambda r: JSONResponse({"start": 0, "entries": ["!!", "x", "y", "z"]})}, "source.malformed"),
        ({"entries": lambda r: JSONResponse({"start": 0, "entries": [1, 2, 3, 4]})}, "source.malformed"),
        ({"entries": lambda r: JSONResponse({"start": 0, "entries": ["AA==="] * 4})}, "source.malformed"),
        ({"entries": lambda r: JSONResponse({"error": {"code": "x", "message": "y"}}, 503)}, "source.error"),
    ],
)
def test_malformed_answers_from_the_log_are_clear_errors(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], answers: dict[str, Any], code: str
) -> None:
    world.issue("GD-E-1", "GD-E-2")
    client = client_for({"log.test": _lying_log(world, **answers)})
    rc, out = run_monitor(client, *monitor_args(tmp_path, world), capsys=capsys)
    assert rc == 1, out
    assert out["error"]["code"] == code and out["error"]["message"]


def test_a_malformed_consistency_proof_is_an_error_not_a_split_view(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-E-1")
    args = monitor_args(tmp_path, world)
    assert run_monitor(client_for({"log.test": create_app(world.log)}), *args, capsys=capsys)[0] == 0
    world.issue("GD-E-2")
    for bad in ({"proof": "nope"}, {"proof": ["zz"]}, {"proof": ["00" * 31]}, {}):
        lying = _lying_log(world, consistency=lambda r, bad=bad: JSONResponse(bad))
        rc, out = run_monitor(client_for({"log.test": lying}), *args, capsys=capsys)
        assert rc == 1 and out["error"]["code"] == "source.malformed", (bad, out)
    assert run_monitor(client_for({"log.test": create_app(world.log)}), *args, capsys=capsys)[0] == 0


def test_an_unreachable_log_is_an_error(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = list(monitor_args(tmp_path, world))
    args[1] = f"http://127.0.0.1:{port}"
    rc, out = run_monitor(None, *args, capsys=capsys)
    assert rc == 1 and out["error"]["code"] == "source.unreachable"


def test_bad_trust_files_and_command_lines(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = client_for({"log.test": create_app(world.log)})
    bad = tmp_path / "bad-trust.json"
    bad.write_text('{"version": "carbonledger.trust/v1"}')
    state = str(tmp_path / "state")
    cases = [
        (["--log", LOG_URL, "--trust", str(bad), "--state", state], 1, "trust.invalid"),
        (["--log", LOG_URL, "--trust", str(tmp_path / "missing.json"), "--state", state], 1, "input.unreadable"),
        (["--trust", str(tmp_path / "trust.json"), "--state", state], 2, "input.missing"),
        (["--log", "ftp://log.test", "--trust", str(tmp_path / "trust.json"), "--state", state], 1, "monitor.bad_url"),
    ]
    monitor_args(tmp_path, world)  # writes trust.json
    for args, exit_code, code in cases:
        rc, out = run_monitor(client, *args, capsys=capsys)
        assert (rc, out["error"]["code"]) == (exit_code, code), args


def test_two_monitors_on_one_state_are_refused(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ledger.monitor_state import MonitorFiles

    held = MonitorFiles(tmp_path / "state")
    try:
        rc, out = run_monitor(
            client_for({"log.test": create_app(world.log)}), *monitor_args(tmp_path, world), capsys=capsys
        )
        assert rc == 1 and out["error"]["code"] == "monitor.state_locked"
    finally:
        held.close()


# ---- kill -9 while polling ---------------------------------------------------------------------------------
@pytest.fixture
def served(world: World) -> Iterator[str]:
    """The world's log on a real socket (uvicorn in a thread of this process), for a monitor process."""
    server = uvicorn.Server(uvicorn.Config(create_app(world.log), host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not (server.started and server.servers):
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_monitor_killed_while_polling_resumes(
    world: World, served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue(*(f"GD-K-{i}" for i in range(20)))
    args = list(monitor_args(tmp_path, world))
    args[1] = served
    env = os.environ | {"NO_COLOR": "1"}
    proc = subprocess.Popen(
        [*CLI_COMMAND, "monitor", *args, "--json", "--interval", "0.05", "--no-workers"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    guard = threading.Timer(120, proc.kill)  # a monitor that hangs fails the test instead of hanging it
    guard.start()
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # one JSON object per poll
        assert first["verdict"] == "consistent" and first["size"] == 22
        world.issue("GD-K-20")
        while json.loads(proc.stdout.readline())["size"] != 23:
            pass
    finally:
        guard.cancel()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    world.issue("GD-K-21", "GD-K-22")
    capsys.readouterr()
    assert main(["monitor", *args, "--once", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["size"], out["fetched"], out["replayed"]) == (25, 2, 25), out
