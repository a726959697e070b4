"""A SQLite store whose files are made read-only under a running log: a clean 503, no death, recovery by itself.

The attack (issue 21): with the database made read-only under load the server died of SIGBUS (SQLite's
memory-mapped ``-shm`` file) in 2 of 6 runs, and a server whose pool had opened connections while the files
were read-only never wrote again — those connections stay read-only, and in one process they share SQLite's
read-only mapping of the wal-index. Now the store refuses to open a connection it could not write with
(ledger/store_session.py): submissions answer 503 ``store.read_only`` with Retry-After, the process lives, and
once the files are writable again the same submission lands at the next index, with no restart; then the
whole log is checked again (``ledger.fsck``: every leaf, stored hash and checkpoint).

The log runs in a process of its own (the failure could kill one). As root, file modes bind nobody: the
child gives up the capabilities that override them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.bench_crash import CRASH_SCHEME, IssuerChain, ServeProcess, register_issuers
from ledger.fsck import fsck
from ledger.home import init_home
from ledger.http_client import new_client
from ledger.store import Store
from verifier.keys import SigningKey

from .helpers import assert_every_receipt_kept

_PR_CAPBSET_DROP = 24
_DAC_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
_CAP_SETPCAP = 8
REPO = Path(__file__).resolve().parents[1]


def _modes_can_bind_a_child() -> bool:
    """Linux, and either not root or root allowed to drop capabilities (CAP_SETPCAP)."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return False
    if os.geteuid() != 0:
        return True
    effective = next(line for line in status.read_text().splitlines() if line.startswith("CapEff:"))
    return bool(int(effective.split()[1], 16) >> _CAP_SETPCAP & 1)


pytestmark = pytest.mark.skipif(
    not _modes_can_bind_a_child(), reason="needs Linux, and as root the right to drop capabilities (CAP_SETPCAP)"
)


def _bound_by_file_modes() -> None:
    """In the child before exec: as root, drop the capabilities that let root write a read-only file."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _DAC_CAPS:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@contextlib.contextmanager
def read_only_files(db: Path) -> Iterator[None]:
    """The database, its -wal and -shm files and their directory may not be written, then may again."""
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    modes = {p: p.stat().st_mode & 0o777 for p in [*files, db.parent]}
    for p in files:
        p.chmod(0o444)
    db.parent.chmod(0o555)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


class Child:
    """tests/fault_child.py in its own process."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fault_child", url],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_bound_by_file_modes,
        )
        self.hello = self._line()

    def _line(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"the log's process died (exit {self.proc.wait(timeout=10)})"
        answer: dict[str, Any] = orjson.loads(line)
        return answer

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._line()

    def close(self) -> int:
        if self.proc.poll() is None and self.proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
        return self.proc.wait(timeout=30)


def test_attack_sqlite_files_made_read_only_under_a_running_log(sqlite_url: str) -> None:
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    child = Child(sqlite_url)
    try:
        assert child.ask("issue") == {"status": 201, "code": None, "retry_after": None, "index": 2}
        with read_only_files(db):
            child.ask("drop")  # the pool opens new connections (as it does when it grows under load)
            for _ in range(3):
                refused = child.ask("issue")
                assert refused["status"] == 503 and refused["code"] == "store.read_only", refused
                assert int(refused["retry_after"]) >= 1
            read = child.ask("read")  # a read needs a connection too: answered, or refused in the envelope
            assert read["status"] == 200 or (read["status"], read["code"]) == (503, "store.read_only"), read
            assert child.proc.poll() is None  # alive
        # writable again: no restart, the very same label lands at the next index, and the log goes on
        assert child.ask("issue")["index"] == 3
        assert child.ask("issue")["index"] == 4
        assert child.ask("read")["status"] == 200
        vkey = child.hello["vkey"]
    finally:
        assert child.close() == 0
    store = Store(sqlite_url)
    try:
        assert store.tree_size() == 5
        report = fsck(store, "faults.test/log", vkey)
        assert report.ok, report.to_dict()
    finally:
        store.close()


# ---- a real `serve` under load --------------------------------------------------------------------------------
def read_only_serve(home: Path, out: Path) -> ServeProcess:
    """`carbonledger serve` bound by file modes (a process: the point is that it does not die)."""
    return ServeProcess(home, out, preexec_fn=_bound_by_file_modes)


def _submit_loop(base: str, chain: IssuerChain, stop: threading.Event, seen: list[tuple[int, str | None]]) -> None:
    n = 0
    with new_client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            envelope, eid = chain.next_label(n)
            r = client.post("/v1/entries", content=envelope, headers={"content-type": "application/json"})
            code = r.json().get("error", {}).get("code") if r.status_code != 201 else None
            seen.append((r.status_code, code))
            if r.status_code == 201:
                chain.receipts.append(r.json())
                chain.advance(eid)
                n += 1
            else:
                assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1, r.text
                stop.wait(0.05)


def test_attack_serve_under_load_while_its_files_turn_read_only(tmp_path: Path) -> None:
    """Made read-only under load, `serve` lives (its open connections may still write: the files are open);
    restarted while they are read-only it stops cleanly with ``store.read_only``, never a signal; writable again,
    it serves every receipt it gave, and the store checks whole."""
    home = tmp_path / "home"
    init_home(home, origin="ro.test/log", allowed_schemes=[CRASH_SCHEME])
    chains = [IssuerChain(SigningKey.generate()) for _ in range(4)]
    server = read_only_serve(home, tmp_path / "serve.log")
    assert server.answering(30)
    with new_client(base_url=server.base, timeout=30) as client:
        register_issuers(client, SigningKey.generate(), chains)
    stop, seen = threading.Event(), []  # type: ignore[var-annotated]
    threads = [threading.Thread(target=_submit_loop, args=(server.base, c, stop, seen)) for c in chains]
    for t in threads:
        t.start()
    try:
        stop.wait(0.5)
        with read_only_files(home / "ledger.db"):
            stop.wait(1.5)
            assert server.proc.poll() is None  # alive under load with read-only files
            with new_client(timeout=10) as reader:
                for _ in range(20):  # reads go on meanwhile
                    assert reader.get(server.base + "/v1/checkpoint").status_code in (200, 503)
        stop.wait(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert server.stop() in (0, 128 + 15, -15), "serve ended by a signal other than the SIGTERM sent"
    assert all(status in (201, 503) for status, _ in seen)
    with read_only_files(home / "ledger.db"):
        again = read_only_serve(home, tmp_path / "again.log")
        assert not again.answering(30)
        assert again.proc.returncode == 1, again.proc.returncode  # a clean refusal, not SIGBUS (-7)
        assert "store.read_only" in (tmp_path / "again.log").read_text()
        again.stop()
    receipts = [r for c in chains for r in c.receipts]
    assert receipts
    assert_every_receipt_kept(home, receipts)
