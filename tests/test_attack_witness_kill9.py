"""``kill -9`` of a witness process (`carbonledger witness serve`) in the middle of a load of add-checkpoint
requests: afterwards the state is a checkpoint the witness answered 200 for, or one in flight when it died
(persisted before the answer could go out) — never older than the newest answered one, never half-written.
The witness restarted on the same state directory goes on from there (the client follows its 409)."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest

from ledger.witness_client import WitnessConfig, request_cosignature
from ledger.witness_state import STATE_FILE, WitnessStore
from verifier.note import witness_report

from .helpers import CLI_COMMAND, Cli
from .test_witness_core import SimLog

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")

ROOT = Path(__file__).resolve().parent.parent
LOG_SIZE = 5000
THREADS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WitnessProcess:
    def __init__(self, tmp_path: Path, key: Path, log_vkey: str, state: Path, run: int) -> None:
        self.port = _free_port()
        self.out = (tmp_path / f"witness-{run}.log").open("wb")
        cmd = [*CLI_COMMAND, "witness", "serve", "--key", str(key), "--log", log_vkey, "--state", str(state)]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.proc.poll() is None, f"witness exited with {self.proc.returncode}"
            try:
                urllib.request.urlopen(f"{self.url}/checkpoints/none", timeout=1)
            except urllib.error.HTTPError as e:
                if e.code == 404:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, "the witness did not start"
            time.sleep(0.05)

    def kill9(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.out.close()


class Load:
    """Client threads, each asking the witness for ever larger checkpoints (following its 409s), recording every
    size sent and every size answered 200, until the witness is gone or :meth:`stop`."""

    def __init__(self, log: SimLog, witness: WitnessConfig, known: int, seed: int) -> None:
        self.log, self.witness, self.known, self.seed = log, witness, known, seed
        self.lock = threading.Lock()
        self.sent: set[int] = set()
        self.answered: list[int] = []
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(seed * 10 + i,)) for i in range(THREADS)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def running(self) -> bool:
        return all(t.is_alive() for t in self.threads)

    def stop(self) -> None:
        self.stopped.set()
        for t in self.threads:
            t.join(timeout=30)

    def _run(self, seed: int) -> None:
        r = random.Random(seed)
        mine = self.known
        with httpx.Client() as client:
            while not self.stopped.is_set():
                target = min(LOG_SIZE, mine + r.randint(1, 5))
                with self.lock:
                    self.sent.add(target)
                result = request_cosignature(self.witness, self.log.note(target), mine, self.log.proof, client, 5.0)
                if result.line is not None:
                    with self.lock:
                        self.answered.append(target)
                elif result.error and result.error.startswith(("unreachable", "timeout", "HTTP transport")):
                    return  # the witness is gone
                if result.size is not None:
                    mine = result.size


def test_kill_9_under_load_never_loses_an_answered_checkpoint(tmp_path: Path) -> None:
    log = SimLog()
    log.grow(LOG_SIZE)
    key = tmp_path / "witness.pem"
    vkey = Cli(tmp_path / "home").json("witness", "keygen", "--name", "kill.example/w", "--out", str(key))["vkey"]
    state_dir = tmp_path / "state"
    rng = random.Random(9)
    known = 0  # what the log remembers of the witness between runs
    for run in range(3):
        witness = WitnessProcess(tmp_path, key, log.vkey, state_dir, run)
        load = Load(log, WitnessConfig(witness.url, vkey), known, run)
        try:
            witness.wait_ready()
            load.start()
            want = rng.randint(10, 60)
            deadline = time.monotonic() + 120
            while len(load.answered) < want and time.monotonic() < deadline and load.running():
                time.sleep(0.002)
            witness.kill9()  # at whatever moment the load is in
        finally:
            load.stop()
            witness.kill9()
        answered, sent = load.answered, load.sent
        assert answered, f"run {run}: the witness answered nothing before the kill"

        with sqlite3.connect(state_dir / STATE_FILE) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        store = WitnessStore(state_dir, vkey)
        state = store.latest(log.origin)
        store.close()
        assert state is not None
        assert state.size >= max(answered), f"run {run}: rolled back below an answered size"
        assert state.size in sent, f"run {run}: state size {state.size} was never sent"
        assert state.root_hash == log.tree.root(state.size)
        assert witness_report(state.note, [vkey], log_vkey=log.vkey).names == ["kill.example/w"]
        known = max(answered)  # the log may lag behind the witness: the next run's first requests get a 409
