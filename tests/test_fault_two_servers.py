"""Two `serve` processes on one PostgreSQL database: one appends under load while the other restarts again and
again (issue 21, item 4). Before the opening read one snapshot, every restart beside a live writer failed with
``store.corrupt``. Both servers also take submissions: one sequencer at a time (the advisory lock), each
catching up with what the other appended. Processes, because two processes on one database are the point.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ledger.bench_crash import CRASH_SCHEME, IssuerChain, ServeProcess, register_issuers, submit_until_stopped
from ledger.home import init_home
from ledger.http_client import new_client
from verifier.keys import SigningKey

from .helpers import assert_every_receipt_kept

pytestmark = pytest.mark.postgres

RESTARTS = 2


def test_attack_second_server_restarts_beside_a_live_writer(pg_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home, origin="two.test/log", allowed_schemes=[CRASH_SCHEME], database_url=pg_url)
    chains = [IssuerChain(SigningKey.generate()) for _ in range(3)]
    writer = ServeProcess(home, tmp_path / "writer.log")
    stop, counter, threads = threading.Event(), [0], []
    try:
        writer.wait_ready()
        with new_client(base_url=writer.base, timeout=30) as client:
            register_issuers(client, SigningKey.generate(), chains)
        threads = [
            threading.Thread(target=submit_until_stopped, args=(writer.base, c, stop, counter)) for c in chains[:2]
        ]
        for t in threads:
            t.start()
        for restart in range(RESTARTS):
            second = ServeProcess(home, tmp_path / f"second-{restart}.log")
            try:
                second.wait_ready()  # its opening read the store while the writer appended
                with new_client(base_url=second.base, timeout=30) as client:
                    assert client.get("/v1/checkpoint").status_code == 200
                    # one submission through the second server's own sequencer
                    envelope, eid = chains[2].next_label(counter[0])
                    counter[0] += 1
                    r = client.post("/v1/entries", content=envelope, headers={"content-type": "application/json"})
                    assert r.status_code == 201, r.text
                    chains[2].receipts.append(r.json())
                    chains[2].advance(eid)
            finally:
                second.kill()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        writer.kill()
    receipts = [r for c in chains for r in c.receipts]
    assert len(chains[2].receipts) == RESTARTS and len(receipts) > RESTARTS
    assert_every_receipt_kept(home, receipts)
