"""``assert`` is not control flow: what stands between a damaged store and wrong behaviour is an explicit check.

``python -O`` strips asserts, so none may be the only guard against a state outside the code's control. Two
stood where a store's rows are read back: a dataset row whose entry the entries table lacks (read when a label
cites it) and a label whose log has no checkpoint (read when its bundle is built). Each is now
``store.corrupt`` (:class:`~mapping.errors.ConfigError`), with or without ``-O``, instead of an
``AssertionError`` (or, under ``-O``, whatever the missing row then breaks). The citation check runs inside the
rule book, which hands a check's error on as the entry's refusal; a damaged store is not the submitter's fault,
so ``store.corrupt`` passes through it as itself (HTTP 500, the operator's to mend), and the log is unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from sqlmodel import col

from ledger.bundles import build_bundle
from ledger.log import Log
from ledger.reference_data import shipped_datasets
from ledger.store import Store
from ledger.tables import CheckpointRow, EntryRow
from mapping.errors import ConfigError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, cite_electricity_factor, label_for

GD, MEE = "gd-carbon-label", "cn-mee-data"
DATASET = "cn-electricity-footprint"


@pytest.fixture
def log(sqlite_url: str) -> Iterator[Log]:
    store = Store(sqlite_url)
    yield Log(store, SigningKey.generate(), "asserts.test/log", Policy(frozenset({GD, MEE})), lambda: NOW)
    store.close()


def _citing_label(label_id: str, entry: str) -> dict:
    return cite_electricity_factor(label_for(GD, label_id), entry)


@pytest.mark.tampers_store
def test_attack_dataset_row_without_its_entry_is_store_corrupt(log: Log) -> None:
    """A label citing a dataset whose entry row is gone: the citation check reads the dataset's envelope."""
    gd, cqc, mee = Signer(), Signer(), Signer()
    log.submit(gd.register(GD))
    log.submit(gd.authorize(GD, cqc))
    publisher = {"scheme": {"id": MEE, "name": MEE, "role": "data-publisher"}, "public_key": mee.public_b64}
    log.submit(mee.sign("scheme.register", publisher))
    dataset = copy.deepcopy(next(d for d in shipped_datasets() if d["id"] == DATASET))
    published = log.submit(mee.sign("dataset.publish", {"publisher": MEE, "dataset": dataset}))
    log.submit(cqc.issue(label_for(GD, "GD-PLAIN-1")))  # the dataset entry is not the newest: the size stays
    with log.store.write() as conn:
        conn.execute(delete(EntryRow).where(col(EntryRow.idx) == published.index))
    size, root = log.size, log.root()
    with pytest.raises(ConfigError) as e:
        log.submit(cqc.issue(_citing_label("GD-CITE-1", published.entry_id)))
    assert (e.value.code, e.value.http_status) == ("store.corrupt", 500)
    assert published.entry_id in e.value.message
    assert (log.size, log.root()) == (size, root)


@pytest.mark.tampers_store
def test_attack_label_without_a_checkpoint_is_store_corrupt(log: Log) -> None:
    """A store holding a label but no checkpoint: a bundle is never built against a checkpoint that is not there."""
    gd, cqc = Signer(), Signer()
    log.submit(gd.register(GD))
    log.submit(gd.authorize(GD, cqc))
    log.submit(cqc.issue(label_for(GD, "GD-CL-1")))
    with log.store.write() as conn:
        conn.execute(delete(CheckpointRow))
    with pytest.raises(ConfigError) as e:
        build_bundle(log, "GD-CL-1")
    assert e.value.code == "store.corrupt"
    assert "GD-CL-1" in e.value.message
