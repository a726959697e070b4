"""The witness's state (ledger/witness_state.py): durable, one witness per state, and check-and-persist as one
step — concurrent requests in threads, and two processes on one state directory, never roll it back (the
race tlog-witness describes: two requests pass the check, the older one is stored last)."""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ledger.witness_core import OriginState, decide, parse_add_checkpoint, precheck, trusted_logs
from ledger.witness_state import WitnessStore
from mapping.errors import ConfigError

from .test_witness_core import NOW_S, WITNESS, SimLog, witness_identity

ROOT = Path(__file__).resolve().parent.parent


def submit(store: WitnessStore, log: SimLog, body: bytes, now_s: int = NOW_S, on_decide=None):
    request = parse_add_checkpoint(body)
    logs = trusted_logs([log.vkey])
    refusal = precheck(request, logs)
    if refusal is not None:
        return refusal

    def decided(state: OriginState | None):
        result = decide(request, state, WITNESS, now_s, logs)
        if on_decide is not None:
            on_decide(request, result)
        return result

    return store.check_and_store(log.origin, decided, body, lambda: now_s)


def test_the_state_survives_a_reopen_and_keeps_the_cosigned_note(tmp_path: Path) -> None:
    log = SimLog()
    log.grow(4)
    store = WitnessStore(tmp_path, WITNESS.vkey)
    r = submit(store, log, log.body(0))
    assert r.status == 200
    store.close()
    again = WitnessStore(tmp_path, WITNESS.vkey)
    state = again.latest(log.origin)
    assert state is not None and (state.size, state.root_hash) == (4, log.tree.root(4))
    assert state.note == log.note() + r.body
    assert again.origins() == {log.origin: 4}
    assert again.latest("nobody.example/log") is None
    again.close()


def test_a_state_directory_belongs_to_one_witness_key(tmp_path: Path) -> None:
    WitnessStore(tmp_path, WITNESS.vkey).close()
    with pytest.raises(ConfigError) as e:
        WitnessStore(tmp_path, witness_identity(seed=8).vkey)
    assert e.value.code == "witness.state_other_key"


def test_refused_inconsistent_checkpoints_are_kept_as_evidence(tmp_path: Path) -> None:
    log, fork = SimLog(), SimLog(salt="fork ")
    log.grow(3)
    fork.grow(3)
    store = WitnessStore(tmp_path, WITNESS.vkey)
    assert submit(store, log, log.body(0)).status == 200
    body = fork.body(3)
    assert submit(store, fork, body).status == 409
    assert store.evidence(log.origin) == [(409, "witness.root_mismatch", body.decode())]
    assert store.latest(log.origin).size == 3  # type: ignore[union-attr]
    store.close()


def test_threads_racing_never_roll_the_state_back(tmp_path: Path) -> None:
    """Eight threads each read the witness's size and submit a random larger checkpoint from it, with its
    proof: the committed 200s form one chain (each one's old size is the size the previous one stored)."""
    log = SimLog()
    log.grow(200)
    store = WitnessStore(tmp_path, WITNESS.vkey)
    committed: list[tuple[int, int]] = []  # (old, new) of each 200, in commit order (decide runs under the lock)

    def record(request, result) -> None:
        if result.status == 200:
            committed.append((request.old_size, request.checkpoint.size))

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(25):
            seen = store.latest(log.origin)
            old = 0 if seen is None else seen.size
            if old >= 200:
                return
            target = rng.randint(old + 1, min(200, old + 30))
            submit(store, log, log.body(old, target), on_decide=record)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert committed, "no request was cosigned"
    assert committed[0][0] == 0
    for (_, before), (old, after) in itertools.pairwise(committed):
        assert old == before and after > before
    assert store.latest(log.origin).size == committed[-1][1]  # type: ignore[union-attr]
    store.close()


WORKER = """
import json, random, sys, time
from pathlib import Path
from ledger.witness_core import decide, parse_add_checkpoint, precheck, trusted_logs
from ledger.witness_state import WitnessStore
from tests.test_witness_core import WITNESS, SimLog

state_dir, seed, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
log = SimLog()
log.grow(300)
logs = trusted_logs([log.vkey])
store = WitnessStore(state_dir, WITNESS.vkey)
rng = random.Random(seed)
cosigned = []
(state_dir / f"ready{seed}").touch()
while not all((state_dir / f"ready{i}").exists() for i in range(2)):  # start together
    time.sleep(0.001)
for _ in range(400):
    seen = store.latest(log.origin)
    old = 0 if seen is None else seen.size
    if old >= 300:
        break
    body = log.body(old, rng.randint(old + 1, min(300, old + 3)))
    request = parse_add_checkpoint(body)
    assert precheck(request, logs) is None
    result = store.check_and_store(log.origin, lambda s: decide(request, s, WITNESS, 1, logs), body, lambda: 1)
    if result.status == 200:
        cosigned.append([request.old_size, request.checkpoint.size])
    time.sleep(rng.random() * 0.003)  # the network between requests: lets the other process take the lock
out.write_text(json.dumps(cosigned))
"""


def test_two_processes_on_one_state_directory_never_roll_it_back(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    state = tmp_path / "state"
    WitnessStore(state, WITNESS.vkey).close()
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(state), str(i), str(tmp_path / f"out{i}.json")],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for i in range(2)
    ]
    for p in procs:
        assert p.wait(timeout=300) == 0
    cosigned = sorted(tuple(x) for i in range(2) for x in json.loads((tmp_path / f"out{i}.json").read_text()))
    mine = [len(json.loads((tmp_path / f"out{i}.json").read_text())) for i in range(2)]
    assert all(mine), f"both processes must have cosigned something: {mine}"
    # One chain over both processes: no two 200s started from the same old size (both would have passed the
    # check), and each started where the previous one ended.
    assert cosigned[0][0] == 0
    for (_, before), (old, after) in itertools.pairwise(cosigned):
        assert old == before and after > before, cosigned
    store = WitnessStore(state, WITNESS.vkey)
    assert store.latest(SimLog().origin).size == cosigned[-1][1]  # type: ignore[union-attr]
    store.close()
