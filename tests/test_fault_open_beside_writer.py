"""Opening a log beside a live writer: one consistent snapshot, never a false ``store.corrupt``.

The attack (issue 21): a CLI command or a second server opened while another process appends read the tree
size, the Merkle edge and the newest checkpoint in separate reads, saw two different states and reported a
healthy store as corrupt. Here a writer (its own store object, as another process has) appends batch after
batch while the log is opened and reloaded again and again; a real inconsistency is still reported.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import delete, insert, select

from ledger.log import Log
from ledger.store import Store
from ledger.tables import CheckpointRow
from mapping.errors import ConfigError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for

GD = "gd-carbon-label"
ORIGIN = "open.test/log"


def _writer(url: str, key: SigningKey, stop: threading.Event, failures: list[BaseException]) -> None:
    store = Store(url)
    try:
        log = Log(store, key, ORIGIN, Policy(frozenset({GD})), lambda: NOW)
        gd, issuer = Signer(), Signer()
        log.submit(gd.register(GD))
        log.submit(gd.authorize(GD, issuer))
        n = 0
        while not stop.is_set():
            results = log.submit_many([issuer.issue(label_for(GD, f"W-{n}-{i}")) for i in range(3)])
            assert all(not isinstance(r, Exception) for r in results), results
            n += 1
    except BaseException as e:  # reported to the test's thread
        failures.append(e)
    finally:
        store.close()


def test_opening_and_reloading_beside_a_live_writer_never_reports_corruption(db_url: str) -> None:
    key = SigningKey.generate()
    Store(db_url).close()  # the tables exist before either side starts
    stop, failures = threading.Event(), []
    writer = threading.Thread(target=_writer, args=(db_url, key, stop, failures))
    writer.start()
    reader_store = Store(db_url)
    try:
        sizes = []
        opened = Log(reader_store, key, ORIGIN, Policy(frozenset({GD})), lambda: NOW)
        deadline = time.monotonic() + 60
        # At least 40 reloads, and on until the writer has appended (a loaded machine may start it late).
        while len(sizes) < 40 or (sizes[-1] <= 2 and time.monotonic() < deadline):
            opened.reload()  # what a restarted `serve` and every CLI command do
            sizes.append(opened.size)
            fresh = Log(reader_store, key, ORIGIN, Policy(frozenset({GD})), lambda: NOW)
            assert fresh.size >= sizes[-1]
        assert sizes == sorted(sizes)
    finally:
        stop.set()
        writer.join()
    assert not failures, failures
    assert sizes[-1] > 2, "the writer never appended while the log was opened"
    opened.reload()
    assert opened.root() == opened.tree.root(opened.size)
    reader_store.close()


@pytest.mark.tampers_store
def test_a_real_inconsistency_is_still_reported_with_its_evidence(db_url: str) -> None:
    store = Store(db_url)
    log = Log(store, SigningKey.generate(), ORIGIN, Policy(frozenset({GD})), lambda: NOW)
    gd = Signer()
    log.submit(gd.register(GD))
    log.submit(gd.authorize(GD, Signer()))
    with store.write() as conn:  # the newest checkpoint disappears: the tree is ahead of every checkpoint
        newest = conn.execute(select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1)).one()._mapping
        conn.execute(delete(CheckpointRow).where(CheckpointRow.size == newest["size"]))
    with pytest.raises(ConfigError) as e:
        log.reload()
    assert e.value.code == "store.corrupt"
    assert "tree size 2" in e.value.message and "newest checkpoint 1" in e.value.message
    with store.write() as conn:  # put back, so that the suite's replay of every log finds it whole
        conn.execute(insert(CheckpointRow), [dict(newest)])
    log.reload()
    store.close()
