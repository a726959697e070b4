"""`carbonledger bench crash`: kill -9 a real `serve` under concurrent submitters, restart it, and check that no
acknowledged entry was lost or moved.

Each cycle starts ``carbonledger serve`` on a free port over one home (SQLite, or ``--database-url``), lets
several submitters — each an issuer key with its own hash chain — post labels over HTTP, and kills the server
with SIGKILL after a random moment. A submission the crash left unanswered is settled after the restart: looked
up by its entry id (``GET /v1/entries/by-id/{id}``) and, when absent, submitted again with the same bytes. At the
end the store is opened directly and every receipt is checked: its entry still at its index (else it counts in
``lost_acked``), its checkpoint's root the root of the final tree at that size, and the whole store re-verified
by ``ledger.fsck`` (else ``inconsistent``).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from verifier.envelope import ZERO_ENTRY_ID, public_key_to_b64
from verifier.keys import SigningKey
from verifier.note import parse_checkpoint

from .bench import realistic_label
from .fsck import fsck
from .home import init_home, load_settings, open_log
from .http_client import new_client
from .issuer import build_and_sign

__all__ = ["CRASH_SCHEME", "IssuerChain", "ServeProcess", "bench_crash", "register_issuers", "submit_until_stopped"]

CRASH_SCHEME = "crash-carbon-label"
_SERVE = [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main())", "serve"]
_JSON = {"content-type": "application/json"}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class IssuerChain:
    """One issuer key's hash chain, and what the crash left unanswered."""

    key: SigningKey
    seq: int = 0
    prev: str = ZERO_ENTRY_ID
    unanswered: tuple[bytes, str] | None = None  # (envelope, entry id) sent, no answer
    receipts: list[dict[str, Any]] = field(default_factory=list)

    def next_label(self, n: int) -> tuple[bytes, str]:
        label = realistic_label(n)
        label["scheme"] = CRASH_SCHEME
        label["label_id"] = f"CR-{self.key.key_id[:8]}-{self.seq}"
        return build_and_sign("label.issue", {"label": label}, self.key, self.seq, self.prev, _now())

    def advance(self, eid: str) -> None:
        self.seq, self.prev, self.unanswered = self.seq + 1, eid, None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServeProcess:
    """`carbonledger serve` on a free port of this host, as a process; ``preexec_fn`` runs in the child before it
    starts (a test binds it by file modes)."""

    def __init__(self, home: Path, log_path: Path, preexec_fn: Callable[[], None] | None = None) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CARBONLEDGER_HOME": str(home), "NO_COLOR": "1"}
        self.out = log_path.open("ab")
        self.proc = subprocess.Popen(
            [*_SERVE, "--port", str(self.port)], env=env, stdout=self.out, stderr=self.out, preexec_fn=preexec_fn
        )

    def answering(self, timeout_s: float = 60) -> bool:
        """True once it answers ``/v1/log``, False if it exited first; RuntimeError if neither within the time."""
        deadline = time.monotonic() + timeout_s
        with new_client(timeout=1) as client:  # one client for the whole poll (each new one costs ~86 ms of CPU)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    return False
                try:
                    if client.get(self.base + "/v1/log").status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"serve did not answer within {timeout_s} s (see {self.out.name})")

    def wait_ready(self, timeout_s: float = 60) -> None:
        if not self.answering(timeout_s):
            raise RuntimeError(f"serve exited with {self.proc.returncode} (see {self.out.name})")

    def stop(self) -> int:
        """SIGTERM (a graceful stop) and its exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=30)
        self.out.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.out.close()


def _settle(client: httpx.Client, chain: IssuerChain) -> bool:
    """After a restart: the unanswered submission is in the log, or is submitted again. True if resubmitted."""
    if chain.unanswered is None:
        return False
    envelope, eid = chain.unanswered
    found = client.get(f"/v1/entries/by-id/{eid}")
    if found.status_code == 200:
        chain.advance(eid)
        return False
    r = client.post("/v1/entries", content=envelope, headers=_JSON)
    if r.status_code == 201:
        chain.receipts.append(r.json())
        chain.advance(eid)
    return True


def submit_until_stopped(base: str, chain: IssuerChain, stop: threading.Event, counter: list[int]) -> None:
    with new_client(base_url=base, timeout=30) as client:
        while not stop.is_set() and chain.unanswered is None:
            envelope, eid = chain.next_label(counter[0])
            counter[0] += 1
            chain.unanswered = (envelope, eid)
            try:
                r = client.post("/v1/entries", content=envelope, headers=_JSON)
            except httpx.HTTPError:
                return  # the server died: settled after the restart
            if r.status_code == 201:
                chain.receipts.append(r.json())
                chain.advance(eid)
            elif r.status_code != 503:
                raise RuntimeError(f"submission refused: {r.status_code} {r.text[:200]}")
            else:
                return  # no receipt in time: settled after the restart


def register_issuers(client: httpx.Client, root: SigningKey, chains: list[IssuerChain]) -> None:
    reg, reg_id = build_and_sign(
        "scheme.register",
        {
            "scheme": {"id": CRASH_SCHEME, "name": "Crash bench", "role": "scheme"},
            "public_key": public_key_to_b64(root.public_key),
        },
        root,
        0,
        ZERO_ENTRY_ID,
        _now(),
    )
    prev, entries = reg_id, [reg]
    for i, chain in enumerate(chains, start=1):
        auth, prev = build_and_sign(
            "key.authorize",
            {
                "scheme": CRASH_SCHEME,
                "public_key": public_key_to_b64(chain.key.public_key),
                "kinds": ["label.issue"],
                "holder": {"name": f"Crash CB {i}", "role": "certification-body"},
            },
            root,
            i,
            prev,
            _now(),
        )
        entries.append(auth)
    for env in entries:
        r = client.post("/v1/entries", content=env, headers=_JSON)
        if r.status_code != 201:
            raise RuntimeError(f"setup entry refused: {r.status_code} {r.text[:200]}")


def bench_crash(
    cycles: int,
    database_url: str | None = None,
    *,
    submitters: int = 4,
    max_run_s: float = 1.5,
    workdir: Path | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """Requires ``cycles`` >= 1 and, with ``database_url``, a database holding no log yet. Runs the cycles and
    returns the figures (``cycles``, ``receipts``, ``lost_acked``, ``inconsistent``, ...)."""
    rng = random.Random(seed)
    tmp = Path(workdir or tempfile.mkdtemp(prefix="carbonledger-crash-"))
    home = tmp / "home"
    init_home(home, origin="crash.bench/log", allowed_schemes=[CRASH_SCHEME], database_url=database_url)
    root = SigningKey.generate()
    chains = [IssuerChain(SigningKey.generate()) for _ in range(submitters)]
    counter, resubmitted, started = [0], 0, time.monotonic()
    for cycle in range(cycles):
        server = ServeProcess(home, tmp / "serve.log")
        try:
            server.wait_ready()
            with new_client(base_url=server.base, timeout=30) as client:
                if cycle == 0:
                    register_issuers(client, root, chains)
                resubmitted += sum(_settle(client, c) for c in chains)
            stop = threading.Event()
            threads = [
                threading.Thread(target=submit_until_stopped, args=(server.base, c, stop, counter), daemon=True)
                for c in chains
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, max_run_s))
        finally:
            server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=60)
    figures = _check(home, chains)
    if workdir is None:  # a run of the command: its temporary home goes with it
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        **figures,
        "cycles": cycles,
        "resubmitted": resubmitted,
        "seconds": round(time.monotonic() - started, 1),
        "store": "sqlite" if database_url is None else "postgresql",
    }


def _check(home: Path, chains: list[IssuerChain]) -> dict[str, Any]:
    """Every receipt against the store as it stands, and the whole store re-verified."""
    log = open_log(load_settings(home), precheck_workers=False)
    try:
        receipts = [r for c in chains for r in c.receipts]
        lost = inconsistent = 0
        for r in receipts:
            row = log.store.entry(r["index"])
            if row is None or row.entry_id != r["entry_id"]:
                lost += 1
                continue
            cp = parse_checkpoint(r["checkpoint"].split("\n\n")[0] + "\n")
            if cp.size > log.size or log.root(cp.size) != cp.root_hash:
                inconsistent += 1
        report = fsck(log.store, log.origin, log.vkey)
        return {
            "receipts": len(receipts),
            "lost_acked": lost,
            "inconsistent": inconsistent + (0 if report.ok else 1),
            "fsck_ok": report.ok,
            "tree_size": log.size,
        }
    finally:
        log.store.close()
