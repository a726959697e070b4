"""``log fsck`` (ledger/fsck.py): a clean store passes; every row changed behind the log's back — an entry's byte, a
Merkle node, a checkpoint's root or note, a status page, a status record, a label's status, a missing entry — is
found and named (table, key, expected, found), on SQLite and PostgreSQL, and the command exits 9.

Attack guarded: an operator (or an intruder with database access) editing the store so the log serves another
history or another status than its entries give: fsck re-derives every derived row from the entries alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from ledger.fsck import EXIT_DIFFERENCE, fsck
from ledger.log import Log
from ledger.store import Store, node_id
from ledger.tables import (
    CheckpointRow,
    EntryRow,
    LabelRow,
    NodeRow,
    StatusNodeRow,
    StatusRecordRow,
    StatusRecordVersionRow,
    StatusRootRow,
)
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.note import format_checkpoint, sign_note

from .helpers import NOW, Cli, Signer, label_for

GD = "gd-carbon-label"
ORIGIN = "fsck.test/log"


def _build(url: str) -> Log:
    log = Log(Store(url), SigningKey.generate(), ORIGIN, Policy(frozenset({GD})), lambda: NOW)
    gd, cqc = Signer(), Signer()
    log.submit_many([gd.register(GD), gd.authorize(GD, cqc)])
    issued = []
    for b in range(3):
        results = log.submit_many([cqc.issue(label_for(GD, f"L-{b}-{i}")) for i in range(10)], with_proofs=False)
        issued.extend(results)
    first = issued[0]
    fields = {"scheme": GD, "label_id": "L-0-0", "label_entry": first.entry_id, "reason": "recalled"}
    log.submit(cqc.sign("label.revoke", fields))
    return log  # 33 entries in 5 checkpoints: sizes 2, 12, 22, 32, 33


def _run(log: Log) -> Any:
    return fsck(log.store, log.origin, log.vkey)


def test_a_clean_store_passes(db_url: str) -> None:
    log = _build(db_url)
    try:
        report = _run(log)
        assert report.ok and report.exit_code == 0, report.difference
        assert report.checked["entries"] == 33 and report.checked["checkpoints"] == 5
        assert report.checked["nodes"] == 2 * 33 - (33).bit_count()
        assert report.checked["labels"] == 30 and report.checked["status_record_versions"] >= 1
    finally:
        log.store.close()


def test_a_store_given_its_status_map_on_opening_passes(sqlite_url: str) -> None:
    """A store from before the status map (no map rows, checkpoints without the status line), rebuilt by the log on
    opening (ledger/status_log.py): older checkpoints commit to no status, the newest does, and all agree."""
    log = _build(sqlite_url)
    key = log.log_key
    with log.store.write() as conn:
        for table in (StatusNodeRow, StatusRecordRow, StatusRecordVersionRow, StatusRootRow):
            conn.execute(delete(table))
        for size, root in list(conn.execute(select(CheckpointRow.size, CheckpointRow.root))):
            note = sign_note(format_checkpoint(ORIGIN, size, bytes(root)), ORIGIN, key)
            conn.execute(update(CheckpointRow).where(CheckpointRow.size == size).values(note=note))
    log.store.close()
    rebuilt = Log(Store(sqlite_url), key, ORIGIN, Policy(frozenset({GD})), lambda: NOW)
    try:
        report = _run(rebuilt)
        assert report.ok, report.difference
    finally:
        rebuilt.store.close()


def _flip(blob: bytes, at: int) -> bytes:
    b = bytearray(blob)
    b[at] ^= 1
    return bytes(b)


def _entry_payload(conn: Any) -> None:
    payload = conn.execute(select(EntryRow.payload).where(EntryRow.idx == 7)).scalar_one()
    conn.execute(update(EntryRow).where(EntryRow.idx == 7).values(payload=bytes(payload).replace(b"L-0-5", b"L-0-6")))


def _entry_signature(conn: Any) -> None:
    sig = conn.execute(select(EntryRow.sig).where(EntryRow.idx == 9)).scalar_one()
    conn.execute(update(EntryRow).where(EntryRow.idx == 9).values(sig=_flip(bytes(sig), 5)))


def _node(conn: Any) -> None:
    nid = node_id(2, 3)  # the subtree over leaves [12, 16)
    h = conn.execute(select(NodeRow.hash).where(NodeRow.id == nid)).scalar_one()
    conn.execute(update(NodeRow).where(NodeRow.id == nid).values(hash=_flip(bytes(h), 0)))


def _checkpoint_root(conn: Any) -> None:
    root = conn.execute(select(CheckpointRow.root).where(CheckpointRow.size == 12)).scalar_one()
    conn.execute(update(CheckpointRow).where(CheckpointRow.size == 12).values(root=_flip(bytes(root), 31)))


def _checkpoint_note(conn: Any) -> None:
    root = bytes(conn.execute(select(CheckpointRow.root).where(CheckpointRow.size == 22)).scalar_one())
    forged = sign_note(format_checkpoint(ORIGIN, 22, root), ORIGIN, SigningKey.generate())  # not the log's key
    conn.execute(update(CheckpointRow).where(CheckpointRow.size == 22).values(note=forged))


def _status_page(conn: Any) -> None:
    page, blob = conn.execute(select(StatusNodeRow.id, StatusNodeRow.nodes).order_by(StatusNodeRow.id.desc())).first()
    conn.execute(update(StatusNodeRow).where(StatusNodeRow.id == page).values(nodes=_flip(bytes(blob), 32 + 40)))


def _status_record(conn: Any) -> None:
    rows = conn.execute(select(StatusRecordRow.map_key, StatusRecordRow.record).where(StatusRecordRow.kind == "label"))
    key, record = next(r for r in rows if b'"revoked"' in bytes(r[1]))
    forged = bytes(record).replace(b'"revoked"', b'"active"')
    conn.execute(update(StatusRecordRow).where(StatusRecordRow.map_key == key).values(record=forged))


def _label_status(conn: Any) -> None:
    conn.execute(update(LabelRow).where(LabelRow.label_id == "L-0-0").values(status="active"))


def _extra_node(conn: Any) -> None:
    conn.execute(insert(NodeRow).values(id=node_id(1, 40), hash=bytes(32)))  # leaves [80, 82): not in the tree


def _missing_entry(conn: Any) -> None:
    conn.execute(delete(EntryRow).where(EntryRow.idx == 20))


TAMPERS: dict[str, tuple[Callable[[Any], None], str, str]] = {
    "a byte of an entry's payload": (_entry_payload, "entries", "idx 7 column entry_id"),
    "a byte of an entry's signature": (_entry_signature, "nodes", "level 0 index 9"),
    "an interior Merkle node": (_node, "nodes", "level 2 index 3"),
    "an older checkpoint's root": (_checkpoint_root, "checkpoints", "size 12 column root"),
    "a checkpoint note signed by another key": (_checkpoint_note, "checkpoints", "size 22 column note"),
    "a status map page": (_status_page, "status_nodes", "page"),
    "a status record": (_status_record, "status_records", "map key"),
    "a label's status": (_label_status, "labels", "scheme gd-carbon-label label_id L-0-0 column status"),
    "an entry deleted": (_missing_entry, "entries", "idx 20"),
    "a node outside the tree": (_extra_node, "nodes", f"id {node_id(1, 40)} (level 1 index 40)"),
}


@pytest.mark.tampers_store
@pytest.mark.parametrize("what", sorted(TAMPERS))
def test_attack_a_tampered_store_is_found_and_named(db_url: str, what: str) -> None:
    tamper, table, key = TAMPERS[what]
    log = _build(db_url)
    try:
        with log.store.write() as conn:
            tamper(conn)
        report = _run(log)
        assert not report.ok and report.exit_code == EXIT_DIFFERENCE
        d = report.difference
        assert d is not None and d.table == table and d.key.startswith(key), d
        assert d.expected and d.found and d.expected != d.found
    finally:
        log.store.close()


def test_the_fsck_command(tmp_path: Path, copy_demo_home: Callable[[Path], Path]) -> None:
    home = copy_demo_home(tmp_path / "home")
    clean = Cli(home).json("log", "fsck")
    assert clean["ok"] is True and clean["exit_code"] == 0 and clean["difference"] is None
    assert "clean" in Cli(home).run("log", "fsck").stdout


@pytest.mark.tampers_store
def test_the_fsck_command_exits_9_on_a_difference(tmp_path: Path, copy_demo_home: Callable[[Path], Path]) -> None:
    home = copy_demo_home(tmp_path / "home")
    store = Store(f"sqlite:///{home / 'ledger.db'}")
    try:
        with store.write() as conn:
            _node(conn)
    finally:
        store.close()
    result = Cli(home).run("log", "fsck", "--json", ok=False)
    assert result.returncode == EXIT_DIFFERENCE == 9
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["difference"]["table"] == "nodes"
    human = Cli(home).run("log", "fsck", ok=False)
    assert human.returncode == 9 and "difference in nodes at level 2 index 3" in human.stdout
