"""A server-like log in a process of its own, driven line by line over stdin (tests/test_fault_read_only_files.py).

Run as ``python -m tests.fault_child SQLITE_URL``: it builds a log with a scheme and an issuer, serves it
in-process (the real app, the real sequencer) and answers each command with one JSON line:

- ``issue`` — submit the next label; ``{"status", "code", "retry_after", "index"}``
- ``read`` — ``GET /v1/checkpoint``; ``{"status", "code"}``
- ``drop`` — close the store's pooled connections (what a pool does when it grows and shrinks under load): the
  next request opens new ones; ``{"dropped": true}``
- ``quit`` — close everything and exit 0.

A process, because the fault this drives (SQLite's shared memory over read-only files) could kill one.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from fastapi.testclient import TestClient

from ledger.api import create_app
from ledger.log import Log
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for

GD = "gd-carbon-label"
ORIGIN = "faults.test/log"


def _answer(response: Any) -> dict[str, Any]:
    is_json = response.headers.get("content-type", "").startswith("application/json")
    body = response.json() if is_json else {}  # a checkpoint is a signed note (text/plain)
    error = body.get("error", {}) if isinstance(body, dict) else {}
    return {
        "status": response.status_code,
        "code": error.get("code"),
        "retry_after": response.headers.get("retry-after"),
        "index": body.get("index") if response.status_code == 201 else None,
    }


def main(url: str) -> int:
    store = Store(url, lock_wait_ms=200)
    log = Log(store, SigningKey.generate(), ORIGIN, Policy(frozenset({GD})), lambda: NOW)
    gd, issuer = Signer(), Signer()
    log.submit(gd.register(GD))
    log.submit(gd.authorize(GD, issuer))
    app = create_app(log)
    client = TestClient(app, raise_server_exceptions=False)
    print(orjson.dumps({"ready": True, "vkey": log.vkey}).decode(), flush=True)
    n = 0
    for line in sys.stdin:
        command = line.strip()
        if command == "issue":
            n += 1
            envelope = issuer.issue(label_for(GD, f"RO-{n}"), advance=False)
            answer = _answer(client.post("/v1/entries", content=envelope, headers={"content-type": "application/json"}))
            if answer["status"] == 201:
                issuer.issue(label_for(GD, f"RO-{n}"))  # the chain moves on only with a receipt
            else:
                n -= 1  # the same label again next time
        elif command == "read":
            answer = _answer(client.get("/v1/checkpoint"))
        elif command == "drop":
            store.engine.dispose()
            answer = {"dropped": True}
        elif command == "quit":
            break
        else:
            answer = {"unknown": command}
        print(orjson.dumps(answer).decode(), flush=True)
    app.state.deps.sequencer.close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
