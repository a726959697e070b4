"""ledger/log.py's public read API: what other modules (and cli/) read of the committed state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from ledger.log import Log
from ledger.store import Store
from mapping.errors import NotFoundError
from verifier.keys import SigningKey
from verifier.ledger_state import ROOT, Policy

from .helpers import NOW, Signer, label_for

GD = "gd-carbon-label"


@pytest.fixture
def log(db_url: str) -> Iterator[Log]:
    store = Store(db_url)
    yield Log(store, SigningKey.generate(), "reads.test/log", Policy(frozenset({GD})), lambda: NOW)
    store.close()


def test_the_committed_state_is_read_through_public_methods(log: Log) -> None:
    gd, cqc = Signer(), Signer()
    assert log.key(gd.key_id) is None and log.scheme(GD) is None and log.chain_head(gd.key_id) is None
    reg = log.submit(gd.register(GD))
    auth = log.submit(gd.authorize(GD, cqc))
    root = log.key(gd.key_id)
    assert root is not None and root.role == ROOT and root.scheme == GD
    assert log.chain_head(gd.key_id) == (1, auth.entry_id)
    assert log.chain_head(cqc.key_id) is None  # authorized, but it signed nothing yet
    label = log.submit(cqc.issue(label_for(GD, "GD-1")))
    assert log.chain_head(cqc.key_id) == (0, label.entry_id)
    scheme = log.scheme(GD)
    assert scheme is not None and scheme.root_key_id == gd.key_id and scheme.registered_index == reg.index
    assert set(log.key_records()) == {gd.key_id, cqc.key_id} and set(log.scheme_records()) == {GD}
    assert log.agreement_events() == []


def test_snapshots_are_copies(log: Log) -> None:
    gd = Signer()
    log.submit(gd.register(GD))
    log.key_records().clear()
    log.scheme_records().clear()
    log.agreement_events().append(None)  # type: ignore[arg-type]
    assert log.key(gd.key_id) is not None and log.scheme(GD) is not None and log.agreement_events() == []


def test_reload_reads_what_another_process_appended(db_url: str) -> None:
    store = Store(db_url)
    key = SigningKey.generate()
    first = Log(store, key, "reads.test/log", Policy(frozenset({GD})), lambda: NOW)
    second = Log(Store(db_url), key, "reads.test/log", Policy(frozenset({GD})), lambda: NOW)
    gd = Signer()
    first.submit(gd.register(GD))
    assert second.scheme(GD) is None
    second.reload()
    assert second.scheme(GD) is not None and second.size == 1 and second.root() == first.root()
    second.store.close()
    store.close()


def test_entries_carry_the_log_clock(db_url: str) -> None:
    """Integration times come from the injected clock, never from the machine's."""
    at = NOW - timedelta(days=400)
    store = Store(db_url)
    log = Log(store, SigningKey.generate(), "reads.test/log", Policy(frozenset({GD})), lambda: at)
    log.submit(Signer().register(GD, now=at))
    assert log.entry(0).integrated_ms == int(at.timestamp() * 1000)
    cp = store.latest_checkpoint()
    assert cp is not None and cp.timestamp_ms == int(at.timestamp() * 1000)
    store.close()


def test_entry_by_id(log: Log) -> None:
    gd = Signer()
    receipt = log.submit(gd.register(GD))
    assert log.entry_by_id(receipt.entry_id).idx == receipt.index
    for missing in ("ab" * 32, "not hex", ""):
        with pytest.raises(NotFoundError, match=r"^log\.no_such_entry:"):
            log.entry_by_id(missing)
