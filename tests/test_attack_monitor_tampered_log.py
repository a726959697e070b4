"""Attacks a monitor catches in the entries a log serves (issue 17, part 4): exit 9, naming the entry and the rule.

- an operator (or an intruder in its database) changes one byte of one entry's payload after the fact: the
  monitor's replay refuses the entry (its signature no longer verifies: ``signature.invalid``) and the leaves no
  longer rebuild the signed root; both findings name the entry;
- a log whose status map says what its entries do not (the checkpoint signs a status root no replay gives):
  the finding names both roots and the size;
- a log that signs a checkpoint with no status commitment at all.
A log found out is never followed further: the kept checkpoint stays where it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ledger.api import create_app
from ledger.tables import CheckpointRow, EntryRow
from verifier.note import format_checkpoint, sign_note
from verifier.status_commit import format_status_extension

from .test_monitor import NOW, ORIGIN, World, client_for, monitor_args, run_monitor, world

__all__ = ["world"]  # the fixture, shared with tests/test_monitor.py


def _tamper_payload(w: World, index: int) -> str:
    """Flip one digit of the payload of the entry at ``index``, in the database; return its original entry id."""
    with w.log.store.write() as conn:
        row = conn.execute(select(EntryRow.payload, EntryRow.entry_id).where(EntryRow.idx == index)).one()
        payload = bytearray(row.payload)
        at = payload.index(b"2025")  # a date in the label: the JSON stays valid and canonical
        payload[at + 3] = ord("6")
        conn.execute(update(EntryRow).where(EntryRow.idx == index).values(payload=bytes(payload)))
    return row.entry_id


def _resign_latest(w: World, extensions: list[str]) -> None:
    """Replace the newest checkpoint with one the log's key signs for the same tree and other extension lines."""
    with w.log.store.write() as conn:
        size, root = conn.execute(
            select(CheckpointRow.size, CheckpointRow.root).order_by(CheckpointRow.size.desc()).limit(1)
        ).one()
        note = sign_note(format_checkpoint(ORIGIN, size, bytes(root), extensions), ORIGIN, w.key)
        conn.execute(update(CheckpointRow).where(CheckpointRow.size == size).values(note=note))


@pytest.mark.tampers_store
def test_attack_a_tampered_entry_is_named_with_the_rule_it_breaks(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-T-1", "GD-T-2", "GD-T-3")
    original_id = _tamper_payload(world, 3)
    client = client_for({"log.test": create_app(world.log)})
    rc, out = run_monitor(client, *monitor_args(tmp_path, world), capsys=capsys)
    assert rc == 9 and out["verdict"] == "broken" and out["exit_code"] == 9
    rule, root = out["findings"]
    assert rule["type"] == "rule" and rule["index"] == 3 and rule["rule"] == "signature.invalid"
    served = world.log.store.entry(3)
    assert served is not None
    served_id = hashlib.sha256(bytes(served.payload)).hexdigest()  # the id of the entry as served, changed bytes
    assert rule["entry_id"] == served_id != original_id
    assert "entry 3" in rule["message"] and "signature.invalid" in rule["message"]
    assert root["type"] == "tree_root_mismatch" and root["rule"] == "log.root_mismatch"
    assert root["index"] == 3 and root["entry_id"] == served_id and root["size"] == 5
    assert root["signed_root"] != root["computed_root"]
    # nothing was kept: the next run finds the same, from the start
    assert out["size"] == 0
    rc, again = run_monitor(client, *monitor_args(tmp_path, world), capsys=capsys)
    assert rc == 9 and again["findings"] == out["findings"] and again["fetched"] == 5


@pytest.mark.tampers_store
def test_attack_a_status_root_the_entries_do_not_give(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-T-1")
    client = client_for({"log.test": create_app(world.log)})
    args = monitor_args(tmp_path, world)
    assert run_monitor(client, *args, capsys=capsys)[0] == 0
    world.issue("GD-T-2", "GD-T-3")
    forged = bytes(range(32))
    _resign_latest(world, [format_status_extension(forged, int(NOW.timestamp()))])
    rc, out = run_monitor(client, *args, capsys=capsys)
    assert rc == 9, out
    (f,) = out["findings"]
    assert f["type"] == "status_root_mismatch" and f["rule"] == "status.root_mismatch" and f["size"] == 5
    assert f["committed_root"] == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    assert f["computed_root"] != f["committed_root"]
    assert f["committed_root"] in f["message"] and f["computed_root"] in f["message"] and "size 5" in f["message"]
    assert out["size"] == 3  # the kept checkpoint did not move


@pytest.mark.tampers_store
def test_attack_a_checkpoint_without_a_status_commitment(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _resign_latest(world, [])
    client = client_for({"log.test": create_app(world.log)})
    rc, out = run_monitor(client, *monitor_args(tmp_path, world), capsys=capsys)
    assert rc == 9 and out["findings"][0]["rule"] == "status.no_commitment"
