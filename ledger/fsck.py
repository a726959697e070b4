"""``carbonledger log fsck``: re-derive everything the store holds from its entries and report the first difference.

An auditor of the log's own files (as Tessera's fsck is of its tiles): the entries are the log; every other row
is derived from them, so each is derived again here and compared with what is stored. Nothing is trusted, not
even the log's own loading checks (the store is opened without :class:`ledger.log.Log`). The checks, in order
— the first difference stops the run and is reported precisely (table, key, expected and found):

1. per entry, in index order: no gap; the row's envelope parses (:func:`verifier.envelope.parse_entry`); its
   entry id is the SHA-256 of its payload and its columns (kind, signer, seq, scheme, subject) are those the
   append derives (:func:`ledger.rows.entry_row`); then every Merkle node its append completes (RFC 9162: the
   leaf hash ``SHA-256(0x00 || envelope)`` and each perfect subtree it closes) is the stored node;
2. at each stored checkpoint's size: the entries up to it fold through the rule book (the verifier's fold,
   :class:`verifier.status_replay.StatusReplay`, which also gives the status map root there); the row's root is
   the tree's; its note is a checkpoint of this origin, size and root, signed by the log key; its
   ``carbonledger-status/v1`` line commits to the replayed status root, and the ``status_roots`` row agrees;
3. after the last entry: the newest checkpoint is of the tree size, no checkpoint is larger, no Merkle node
   lies outside the tree, no status root row is at a size without a checkpoint;
4. the status tables and the authority rows (:mod:`ledger.fsck_status`).

Exit code (``cli/tiles_cmds.py``): 0 clean, :data:`EXIT_DIFFERENCE` (9, as the monitor reports a broken log)
on a difference.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from mapping.errors import CarbonLedgerError
from verifier.envelope import Entry, parse_entry
from verifier.merkle import EMPTY_ROOT, leaf_hash
from verifier.note import parse_checkpoint, split_note, verify_note
from verifier.status_commit import status_commitment
from verifier.status_map import EMPTY_ROOT as EMPTY_MAP_ROOT
from verifier.status_replay import StatusReplay

from . import rows
from .compact_range import CompactRange
from .fsck_status import Difference, Found, check_records, check_status_tables
from .proof_plan import new_perfect_nodes
from .store import Store, node_id
from .tables import NODE_LEVEL_SHIFT, CheckpointRow, EntryRow, NodeRow, StatusRootRow

__all__ = ["CHUNK", "EXIT_DIFFERENCE", "Difference", "FsckReport", "fsck"]

CHUNK = 1000  # entries read at a time
EXIT_DIFFERENCE = 9
_COLUMNS = ("entry_id", "kind", "signer", "seq", "scheme", "subject")


@dataclass
class FsckReport:
    """What fsck checked (a count per table) and the first difference it found (None: the store is clean)."""

    size: int
    checked: dict[str, int] = field(default_factory=dict)
    difference: Difference | None = None

    @property
    def ok(self) -> bool:
        return self.difference is None

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else EXIT_DIFFERENCE

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tree_size": self.size,
            "checked": self.checked,
            "difference": None if self.difference is None else self.difference.to_dict(),
            "exit_code": self.exit_code,
        }


def fsck(store: Store, origin: str, log_vkey: str, chunk: int = CHUNK) -> FsckReport:
    """Requires a readable store, the log's origin and its C2SP verifier key. Checks the whole store (module
    docstring) and returns the report; raises only when the store cannot be read."""
    report = FsckReport(store.tree_size())
    try:
        _Check(store, origin, log_vkey, report).run(chunk)
    except Found as found:
        report.difference = found.difference
    return report


class _Check:
    def __init__(self, store: Store, origin: str, vkey: str, report: FsckReport) -> None:
        self.store, self.origin, self.vkey, self.report = store, origin, vkey, report
        self.edge = CompactRange()
        self.replay = StatusReplay()
        self.pending: list[tuple[int, Entry]] = []
        self.count = report.checked

    def tick(self, table: str, n: int = 1) -> None:
        self.count[table] = self.count.get(table, 0) + n

    def run(self, chunk: int) -> None:
        size = self.report.size
        with self.store.read() as conn:
            checkpoints = {
                r.size: r
                for r in (CheckpointRow.model_validate(m._mapping) for m in conn.execute(select(CheckpointRow)))
            }
            status_roots = {
                int(s): (bytes(r), int(t))
                for s, r, t in conn.execute(select(StatusRootRow.size, StatusRootRow.root, StatusRootRow.time_s))
            }
        if 0 in checkpoints:
            self.checkpoint(checkpoints[0], status_roots)
        for start in range(0, size, chunk):
            end = min(size, start + chunk)
            entries = self.store.entries(start, end)
            wanted = [node_id(lv, ix) for i in range(start, end) for lv, ix in new_perfect_nodes(i)]
            stored = self.store.nodes(wanted)
            by_index = {r.idx: r for r in entries}
            for index in range(start, end):
                row = by_index.get(index)
                if row is None:
                    raise Found(Difference("entries", f"idx {index}", "an entry (the log has no gaps)", "no row"))
                self.entry(row, stored)
                if index + 1 in checkpoints:
                    self.checkpoint(checkpoints[index + 1], status_roots)
        self.after_entries(checkpoints, status_roots)
        check_status_tables(self.store, self.replay, size, self.tick)
        check_records(self.store, self.replay.state, self.tick)

    def entry(self, row: EntryRow, stored: dict[int, bytes]) -> None:
        index = row.idx
        envelope = row.envelope
        try:
            entry = parse_entry(envelope)
        except CarbonLedgerError as e:
            raise Found(Difference("entries", f"idx {index}", "an envelope in its one valid form", str(e))) from e
        derived = rows.entry_row(entry, index, row.integrated_ms)
        for name in _COLUMNS:
            expected, found = derived[rows.ENTRY_COLUMNS.index(name)], getattr(row, name)
            if expected != found:
                what = "the SHA-256 of the payload" if name == "entry_id" else "derived from the payload"
                raise Found(Difference("entries", f"idx {index} column {name}", f"{expected} ({what})", f"{found}"))
        self.tick("entries")
        for level, ix, h in self.edge.append(leaf_hash(envelope)):
            got = stored.get(node_id(level, ix))
            if got != h:
                raise Found(
                    Difference(
                        "nodes",
                        f"level {level} index {ix} (id {node_id(level, ix)})",
                        f"{h.hex()} ({'leaf hash of entry' if level == 0 else 'subtree hash over entries'} "
                        f"[{ix << level}, {(ix + 1) << level}))",
                        "no row" if got is None else got.hex(),
                    )
                )
            self.tick("nodes")
        self.pending.append((index, entry))

    def fold(self) -> None:
        """The pending entries through the rule book, as one batch (a checkpoint's)."""
        if not self.pending:
            return
        try:
            self.replay.add(self.pending)
        except CarbonLedgerError as e:
            at = self.replay.state.size
            raise Found(Difference("entries", f"idx {at}", "an entry the rule book admits", str(e))) from e
        self.pending = []

    def checkpoint(self, row: CheckpointRow, status_roots: dict[int, tuple[bytes, int]]) -> None:
        self.fold()
        size, key = row.size, f"size {row.size}"
        root = self.edge.root() if size else EMPTY_ROOT
        if bytes(row.root) != root:
            raise Found(Difference("checkpoints", f"{key} column root", root.hex(), bytes(row.root).hex()))
        try:
            text, _ = split_note(row.note)
            cp = parse_checkpoint(text)
        except CarbonLedgerError as e:
            raise Found(Difference("checkpoints", f"{key} column note", "a checkpoint note", str(e))) from e
        signed = (cp.origin, cp.size, cp.root_hash)
        if signed != (self.origin, size, root):
            raise Found(
                Difference(
                    "checkpoints",
                    f"{key} column note",
                    f"origin {self.origin!r}, size {size}, root {_b64(root)}",
                    f"origin {cp.origin!r}, size {cp.size}, root {_b64(cp.root_hash)}",
                )
            )
        try:
            verify_note(row.note, [self.vkey])
            commitment = status_commitment(cp)
        except CarbonLedgerError as e:
            raise Found(Difference("checkpoints", f"{key} column note", "signed by the log key", str(e))) from e
        stored_status = status_roots.get(size)
        if commitment is not None:
            status = self.replay.root if size else EMPTY_MAP_ROOT
            if commitment.root != status:
                raise Found(
                    Difference(
                        "checkpoints",
                        f"{key} status commitment",
                        f"{_b64(status)} (the status map root replayed from the entries)",
                        _b64(commitment.root),
                    )
                )
            if size and stored_status is None:
                raise Found(Difference("status_roots", key, _b64(status), "no row"))
            if stored_status is not None and stored_status != (status, commitment.time_s):
                raise Found(
                    Difference(
                        "status_roots",
                        key,
                        f"root {_b64(status)} time {commitment.time_s} (as the checkpoint commits)",
                        f"root {_b64(stored_status[0])} time {stored_status[1]}",
                    )
                )
        self.tick("checkpoints")

    def after_entries(self, checkpoints: dict[int, CheckpointRow], status_roots: dict[int, tuple[bytes, int]]) -> None:
        size = self.report.size
        self.fold()
        if size and size not in checkpoints:
            newest = max(checkpoints, default=None)
            raise Found(Difference("checkpoints", f"size {size}", "a checkpoint of the tree size", f"newest {newest}"))
        beyond = [s for s in checkpoints if s > size]
        if beyond:
            raise Found(Difference("checkpoints", f"size {min(beyond)}", f"sizes up to {size}", "a larger size"))
        extra = sorted(set(status_roots) - set(checkpoints) - {0})
        if extra:
            raise Found(Difference("status_roots", f"size {extra[0]}", "a checkpointed size", "no checkpoint there"))
        self.extra_nodes(size)

    def extra_nodes(self, size: int) -> None:
        expected = 2 * size - size.bit_count()  # the perfect subtrees of [0, size): floor(size / 2**l) a level
        with self.store.read() as conn:
            count = conn.execute(select(func.count()).select_from(NodeRow)).scalar_one()
            if count == expected:
                return
            for level in range(size.bit_length() + 1):
                first_outside = node_id(level, size >> level)
                q = select(NodeRow.id).where(NodeRow.id >= first_outside, NodeRow.id < node_id(level + 1, 0))
                nid = conn.execute(q.order_by(NodeRow.id).limit(1)).scalar()
                if nid is not None:
                    break
            else:
                nid = conn.execute(
                    select(NodeRow.id)
                    .where((NodeRow.id >= node_id(size.bit_length() + 1, 0)) | (NodeRow.id < 0))
                    .limit(1)
                ).scalar()
        level, ix = (nid >> NODE_LEVEL_SHIFT, nid & ((1 << NODE_LEVEL_SHIFT) - 1)) if nid is not None else (0, 0)
        raise Found(
            Difference(
                "nodes",
                f"id {nid} (level {level} index {ix})" if nid is not None else "count",
                f"{expected} rows, the perfect subtrees of a tree of {size} leaves",
                f"{count} rows" + ("" if nid is None else ", one outside the tree"),
            )
        )


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()
