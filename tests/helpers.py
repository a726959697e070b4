"""Test helpers: build and sign entries the way an issuer would."""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ledger.issuer import build_and_sign
from verifier.envelope import ZERO_ENTRY_ID
from verifier.keys import SigningKey

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "data"


def midea_label() -> dict[str, Any]:
    return json.loads((DATA / "label_gd_midea.json").read_text(encoding="utf-8"))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class Signer:
    """A key that keeps its own hash chain, like a careful issuer."""

    def __init__(self, key: SigningKey | None = None) -> None:
        self.key = key or SigningKey.generate()
        self.seq = 0
        self.prev = ZERO_ENTRY_ID

    @property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def public_b64(self) -> str:
        return b64(self.key.public_key)

    def sign(
        self,
        kind: str,
        fields: dict[str, Any],
        *,
        now: datetime = NOW,
        seq: int | None = None,
        prev: str | None = None,
        advance: bool = True,
    ) -> bytes:
        s = self.seq if seq is None else seq
        p = self.prev if prev is None else prev
        envelope, eid = build_and_sign(kind, fields, self.key, s, p, now)
        if advance:
            self.seq, self.prev = s + 1, eid
        return envelope

    def register(self, scheme_id: str, **kw: Any) -> bytes:
        return self.sign(
            "scheme.register",
            {
                "scheme": {"id": scheme_id, "name": scheme_id.replace("-", " ").title(), "role": "scheme"},
                "public_key": self.public_b64,
            },
            **kw,
        )

    def authorize(self, scheme_id: str, other: Signer, kinds: list[str] | None = None, **kw: Any) -> bytes:
        fields: dict[str, Any] = {
            "scheme": scheme_id,
            "public_key": other.public_b64,
            "kinds": kinds or ["label.issue"],
            "holder": {"name": "CQC Guangzhou", "role": "certification-body"},
        }
        fields.update(kw.pop("extra", {}))
        return self.sign("key.authorize", fields, **kw)

    def issue(self, label: dict[str, Any], **kw: Any) -> bytes:
        return self.sign("label.issue", {"label": copy.deepcopy(label)}, **kw)


def cite_electricity_factor(
    label: dict[str, Any], entry: str, value: str = "0.6205", version: int = 1
) -> dict[str, Any]:
    """``label`` citing cn-electricity-footprint (its CN/2023 value in dataset entry ``entry``) for its electricity:
    the ``cites`` list and the factor's citation both name it. Returns the label, changed in place."""
    cite = {"dataset": "cn-electricity-footprint", "version": version, "entry": entry, "key": "CN/2023"}
    label["cites"] = [cite]
    label["footprint"]["electricity"] = [
        {
            "kwh": "58.4",
            "basis": "location",
            "factor": {"value": value, "unit": "kgCO2e/kWh", "kind": "lifecycle-co2e", "citation": cite},
        }
    ]
    return label


def label_for(scheme_id: str, label_id: str) -> dict[str, Any]:
    label = midea_label()
    label["scheme"] = scheme_id
    label["label_id"] = label_id
    return label


# The `carbonledger` console script, as a process: what its entry point does (`sys.exit(main())`).
CLI_COMMAND = [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main())"]


class Cli:
    """The `carbonledger` command as a user runs it, with its own home and no colour.

    By default a command runs in the test's process — :func:`cli.main.main` with this home's environment
    applied for the call and its output captured — which is how most tests should run it. ``subprocess=True``
    runs a real process instead, for tests whose point is the process boundary (``serve``, signals, kills).
    ``http_client`` is the HTTP client of online mode (``verify --server``): give one bound to a service in
    this process (``TestClient(create_app(log))``) rather than starting a server to talk to."""

    def __init__(self, home: Path, *, subprocess: bool = False, http_client: httpx.Client | None = None) -> None:
        self.home = home
        self.subprocess = subprocess
        self.http_client = http_client
        self.overrides = {"CARBONLEDGER_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
        self.removed = ("CARBONLEDGER_DATABASE_URL",)
        self.env = {**os.environ, **self.overrides}  # a process's whole environment (subprocess mode)
        for name in self.removed:
            self.env.pop(name, None)

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        cp = self._in_a_process(args) if self.subprocess else self._in_this_process(args)
        if ok:
            assert cp.returncode == 0, f"{args}: rc {cp.returncode}\n{cp.stdout}\n{cp.stderr}"
        return cp

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def _in_a_process(self, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI_COMMAND, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).parent.parent,
        )

    def _in_this_process(self, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        from cli.main import main

        out, err = io.StringIO(), io.StringIO()
        with _environment(self.overrides, self.removed), redirect_stdout(out), redirect_stderr(err):
            rc = main(list(args), http_client=self.http_client)
        return subprocess.CompletedProcess(list(args), rc, out.getvalue(), err.getvalue())


@contextmanager
def _environment(overrides: dict[str, str], removed: tuple[str, ...]) -> Iterator[None]:
    """``os.environ`` with ``overrides`` set and ``removed`` unset, restored afterwards."""
    saved = {name: os.environ.get(name) for name in (*overrides, *removed)}
    os.environ.update(overrides)
    for name in removed:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def shared_log(log: Any) -> Iterator[Any]:
    """A log built once for a module whose tests only read it (a module-scoped fixture): when the module ends it
    is replayed through the rule book (``tests/replay_check.py``), as a test's own log is when the test ends, and
    closed. Each test reads it through :func:`read_only`."""
    from tests import replay_check

    try:
        yield log
        replay_check.check_log(log)
    finally:
        log.store.close()


@contextmanager
def read_only(log: Any) -> Iterator[Any]:
    """One test's use of a shared log: it must leave the log as it found it (a test that writes builds its own)."""
    before = log.store.tree_size()  # every change to a log is an entry appended to it
    yield log
    assert log.store.tree_size() == before, "this test wrote to the module's shared log: give it a log of its own"


def assert_every_receipt_kept(home: Path, receipts: list[dict[str, Any]]) -> None:
    """After a fault: each acknowledged receipt's entry is in the home's store at its index, and fsck re-derives
    every stored hash, leaf, entry id and the status map without a difference."""
    from ledger.fsck import fsck
    from ledger.home import load_settings, open_log

    log = open_log(load_settings(home), precheck_workers=False)
    try:
        for r in receipts:
            assert log.store.entry(r["index"]).entry_id == r["entry_id"]  # type: ignore[union-attr]
        report = fsck(log.store, log.origin, log.vkey)
        assert report.ok, report.to_dict()
    finally:
        log.store.close()


def drip_server(seconds: float) -> tuple[str, threading.Thread]:
    """An HTTP server on a free local port that answers one request with a chunked 200 sending one byte every
    0.2 s for ``seconds`` (each read well inside a client's timeout): its URL and its thread."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve() -> None:
        conn, _ = srv.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                conn.sendall(b"1\r\n \r\n")
                time.sleep(0.2)
            conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        conn.close()
        srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return f"http://127.0.0.1:{port}", t
