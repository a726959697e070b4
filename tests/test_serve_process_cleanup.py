"""`carbonledger serve` leaves no process behind: its check workers (ledger/precheck.py) and the multiprocessing
resource tracker end with it — on SIGTERM (a graceful stop that shuts the workers down), and even on ``kill -9``
(each worker sees that its parent is gone and exits by itself; the tracker then reads end-of-file and exits).

Linux only: child processes are read from /proc. Both servers start at once, so the file takes a few seconds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.home import init_home

from .helpers import CLI_COMMAND, Cli

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads child processes from /proc")

EXIT_WITHIN_S = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    return fields[0], int(fields[19])


def _children(pid: int) -> dict[int, int]:
    """The live child processes of ``pid``: child pid -> its start time (so a reused pid is not mistaken for it)."""
    kids: dict[int, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "children").read_text()
        except OSError:
            continue
        for child in map(int, text.split()):
            st = _stat(child)
            if st is not None and st[0] != "Z":
                kids[child] = st[1]
    return kids


def _alive(procs: dict[int, int]) -> dict[int, int]:
    """Those of ``procs`` still running: the same start time and not a zombie (exited, not yet reaped)."""
    out = {}
    for pid, started in procs.items():
        st = _stat(pid)
        if st is not None and st[1] == started and st[0] != "Z":
            out[pid] = started
    return out


class Server:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.kids: dict[int, int] = {}
        self.log = (home.parent / f"serve-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [*CLI_COMMAND, "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parent.parent,
        )

    def wait_ready(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.proc.poll() is None, f"serve exited with {self.proc.returncode}: {self.output()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/log", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"serve did not answer: {self.output()}"
            time.sleep(0.1)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.log.close()
        for pid in _alive(self.kids):  # a failed test leaves no orphans behind either
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    """Two servers, each with its own home, started at once: one to stop with SIGTERM, one to kill -9."""
    clis = [Cli(tmp_path_factory.mktemp("serve") / "home") for _ in range(2)]
    for cli in clis:
        init_home(cli.home, origin="serve.test/log")  # as `carbonledger init` does, without another interpreter
    pair = (Server(clis[0].home, clis[0].env), Server(clis[1].home, clis[1].env))
    try:
        for s in pair:
            s.wait_ready()
        yield pair
    finally:
        for s in pair:
            s.stop()


def _wait_gone(procs: dict[int, int], what: str) -> None:
    deadline = time.monotonic() + EXIT_WITHIN_S
    while (left := _alive(procs)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"{what}: processes still running after {EXIT_WITHIN_S} s: {sorted(left)}"


def _workers_of(server: Server) -> dict[int, int]:
    from ledger import precheck

    kids = server.kids = _children(server.proc.pid)
    # serve starts every check worker before it answers; the resource tracker is one more child
    assert len(kids) >= precheck.workers() + 1, f"expected the check workers as children of serve, got {kids}"
    return kids


def test_sigterm_stops_serve_with_its_workers_and_resource_tracker(servers: tuple[Server, Server]) -> None:
    server = servers[0]
    kids = _workers_of(server)
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=EXIT_WITHIN_S) == 128 + signal.SIGTERM, server.output()
    assert "Shutting down" in server.output()  # uvicorn's graceful stop ran first
    _wait_gone(kids, "after SIGTERM")


def test_workers_and_resource_tracker_exit_when_serve_is_killed(servers: tuple[Server, Server]) -> None:
    server = servers[1]
    kids = _workers_of(server)
    os.kill(server.proc.pid, signal.SIGKILL)
    assert server.proc.wait(timeout=EXIT_WITHIN_S) == -signal.SIGKILL
    _wait_gone(kids, "after kill -9")
