"""A poison entry fails alone, the same way on SQLite and PostgreSQL (issue 21, item 3).

The attack: an entry the schemas admit but a store cannot hold — a GTIN longer than its column, a NUL in a
product name, a label id longer than the labels table keeps, a lone surrogate — sent among innocent ones.
PostgreSQL refused the whole batch (every batch-mate got a 500), SQLite stored it: the stores disagreed.
Admission now refuses what no store can hold, with a precise code, from the table definitions; and should a
store still refuse a value at insert, the batch is split until only the refused entry fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from ledger.fsck import fsck
from ledger.log import Log, Receipt
from ledger.store import Store
from ledger.store_limits import column_limits
from ledger.tables import EntryRow, LabelRow
from mapping.errors import CarbonLedgerError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for
from .replay_check import check_log

GD = "gd-carbon-label"
ORIGIN = "poison.test/log"


def _long_gtin(label: dict[str, Any]) -> None:
    label["product"]["ids"] = [{"system": "gtin", "value": "0" * (column_limits(LabelRow)["gtin"][1] + 1)}]


def _nul_in_name(label: dict[str, Any]) -> None:
    label["product"]["name"] = "Air con\x00ditioner"


def _nul_in_a_key(label: dict[str, Any]) -> None:
    label["product"]["name\x00"] = "x"


POISONS = {
    # a GTIN longer than its column is no GTIN at all: the rule book's check digit rule refuses it first
    "long_gtin": (_long_gtin, "label.gtin_invalid"),
    "nul_in_name": (_nul_in_name, "entry.nul_character"),
    "nul_in_a_key": (_nul_in_a_key, None),  # the schema or the store rule: refused either way, alone
}


def _world(store: Store) -> tuple[Log, Signer, Signer]:
    """A log with a scheme, an issuer, and a hostile issuer of its own (its refused entry breaks no chain)."""
    log = Log(store, SigningKey.generate(), ORIGIN, Policy(frozenset({GD})), lambda: NOW)
    gd, issuer, hostile = Signer(), Signer(), Signer()
    log.submit(gd.register(GD))
    log.submit(gd.authorize(GD, issuer))
    log.submit(gd.authorize(GD, hostile))
    return log, issuer, hostile


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.close()


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_attack_poison_entry_fails_alone(store: Store, poison: str) -> None:
    log, issuer, hostile = _world(store)
    spoil, code = POISONS[poison]
    bad = label_for(GD, "P-bad")
    spoil(bad)
    batch = [issuer.issue(label_for(GD, f"P-{i}")) for i in range(3)]
    batch.insert(1, hostile.issue(bad))
    results = log.submit_many(batch)
    assert isinstance(results[1], CarbonLedgerError), results[1]
    if code is not None:
        assert results[1].code == code
    assert results[1].http_status < 500
    assert [type(r) for i, r in enumerate(results) if i != 1] == [Receipt] * 3
    assert [r.index for i, r in enumerate(results) if i != 1] == [3, 4, 5]  # type: ignore[union-attr]
    assert fsck(store, ORIGIN, log.vkey).ok
    check_log(log)


def test_attack_label_id_longer_than_its_column(store: Store) -> None:
    log, issuer, _ = _world(store)
    limit = column_limits(EntryRow)["subject"][1]
    assert isinstance(limit, int)
    results = log.submit_many([issuer.issue(label_for(GD, "L" * (limit + 1)), advance=False)])
    assert isinstance(results[0], CarbonLedgerError) and results[0].http_status < 500
    assert results[0].code in ("entry.too_long", "schema.invalid") or results[0].code.startswith("schema")
    assert log.size == 3


def test_the_limits_are_the_tables_own() -> None:
    assert column_limits(LabelRow)["gtin"] == ("text", LabelRow.__table__.columns["gtin"].type.length)  # type: ignore
    assert column_limits(EntryRow)["seq"] == ("int", (-(1 << 63), (1 << 63) - 1))
    assert column_limits(LabelRow)["product_name"] == ("text", None)


class RefusingStore(Store):
    """A real store whose inserts refuse one label id, as a store refuses a value admission did not foresee."""

    refused = "P-refused"

    def insert_tuples(self, conn: Connection, table: Any, columns: tuple[str, ...], rows: list[Any]) -> None:
        if table is EntryRow and any(self.refused in row for row in rows):
            raise sa_exc.DataError("INSERT INTO entries", None, ValueError("value too long for type"))
        super().insert_tuples(conn, table, columns, rows)


def test_attack_store_refusal_fails_only_the_refused_entry(db_url: str) -> None:
    store = RefusingStore(db_url)
    try:
        log = Log(store, SigningKey.generate(), ORIGIN, Policy(frozenset({GD})), lambda: NOW)
        gd = Signer()
        issuers = [Signer() for _ in range(7)]
        log.submit(gd.register(GD))
        log.submit_many([gd.authorize(GD, s) for s in issuers])
        size = log.size
        ids = [RefusingStore.refused if i == 4 else f"P-{i}" for i in range(len(issuers))]
        batch = [s.issue(label_for(GD, label_id)) for s, label_id in zip(issuers, ids, strict=True)]
        results = log.submit_many(batch)
        assert isinstance(results[4], CarbonLedgerError) and results[4].code == "store.refused_value"
        receipts = [r for i, r in enumerate(results) if i != 4]
        assert all(isinstance(r, Receipt) for r in receipts), receipts
        assert sorted(r.index for r in receipts) == list(range(size, size + 6))  # type: ignore[union-attr]
        assert log.size == size + 6 == store.tree_size()
        assert fsck(store, ORIGIN, log.vkey).ok
        check_log(log)
    finally:
        store.close()
