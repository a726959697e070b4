"""A store written before the status map existed gets its map on opening, derived from its entries through the
rule book (issue 16): no map rows, and checkpoints without the status line, become a map whose root is the
recomputation, a newest checkpoint re-signed with its commitment (same tree size and root), and a log that goes
on appending with the map maintained.

Attack guarded: a log that, upgraded, serves "no status" (every object absent) or a map that does not follow
from its entries — a buyer would take "absent" as proof that no revocation or agreement exists.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from ledger.tables import CheckpointRow, StatusNodeRow, StatusRecordRow, StatusRecordVersionRow, StatusRootRow
from verifier.keys import SigningKey
from verifier.note import format_checkpoint, parse_checkpoint, sign_note, split_note, verify_note
from verifier.status_records import label_object_id

from .helpers import Signer
from .status_story import GD, committed, open_log, recomputed_roots, tell_story
from .test_verify_equivalence import current_label


def _as_before_the_map(url: str, key: SigningKey) -> tuple[int, bytes]:
    """Make the store at ``url`` what the code before the map wrote: no map rows, checkpoints without the line."""
    log = open_log(url, key)
    with log.store.write() as conn:
        for table in (StatusNodeRow, StatusRecordRow, StatusRecordVersionRow, StatusRootRow):
            conn.execute(delete(table))
        for size, root in list(conn.execute(select(CheckpointRow.size, CheckpointRow.root))):
            note = sign_note(format_checkpoint(log.origin, size, bytes(root)), log.origin, key)
            conn.execute(update(CheckpointRow).where(CheckpointRow.size == size).values(note=note))
    size, root = log.size, log.root()
    log.store.close()
    return size, root


def test_an_old_store_is_given_its_map_on_opening(db_url: str) -> None:
    key = SigningKey.generate()
    log = open_log(db_url, key)
    w = tell_story(log)
    expected_root = log.status_root()[1]
    log.store.close()
    size, tree_root = _as_before_the_map(db_url, key)

    log = open_log(db_url, key)  # opening derives the map
    try:
        note = log.checkpoint()
        assert verify_note(note, [log.vkey])
        cp = parse_checkpoint(split_note(note)[0])
        assert (cp.size, cp.root_hash) == (size, tree_root)  # the same tree, now with its status commitment
        committed_size, status_root, _ = committed(note)
        assert committed_size == size and status_root == expected_root
        assert recomputed_roots(log, [size]) == {size: status_root}
        record, _ = log.status_proof("label", label_object_id(GD, "GD-ST-1"))
        assert record is not None and record["status"] == "revoked"
        # the log goes on, the map maintained from the rebuilt one (CQC's key was revoked: a new issuer)
        issuer = Signer()
        log.submit(w.roots[GD].authorize(GD, issuer))
        sizes = [size, log.size]
        for label_id in ("GD-AFTER-1", "GD-AFTER-2"):
            log.submit(issuer.issue(current_label(label_id)))
            sizes.append(log.size)
        assert recomputed_roots(log, sizes) == {s: log.status_root(s)[1] for s in sizes}
        again = open_log(db_url, key)
        assert again.status_root() == log.status_root() and again.checkpoint() == log.checkpoint()
        again.store.close()
    finally:
        log.store.close()
