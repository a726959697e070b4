"""Opening a log: its committed state read from one snapshot of the store, and checked.

The state is the tree size, the right edge of the Merkle tree (``ledger/compact_range.py``), the newest
checkpoint, the authority records (keys, schemes) and the negotiation history. Read inside one read
transaction (:meth:`ledger.store.Store.snapshot`) or inside the writer's own transaction, all of it is one
committed state: another process appending meanwhile is invisible, so a healthy store is never reported as
corrupt. What the check still catches is a real inconsistency — a missing Merkle node, or a newest checkpoint
whose size or root is not the stored tree's — and its message states the evidence (``store.corrupt``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from mapping.errors import ConfigError
from mapping.negotiation import AgreementEvent
from verifier.ledger_state import KeyRecord, SchemeRecord
from verifier.merkle import EMPTY_ROOT

from . import rows
from .compact_range import CompactRange
from .store import Store, node_id
from .tables import CheckpointRow

__all__ = ["CommittedState", "read_committed_state"]


@dataclass(frozen=True, slots=True)
class CommittedState:
    """What a log holds in memory of its store, as one transaction saw it."""

    size: int
    keys: dict[str, KeyRecord]
    schemes: dict[str, SchemeRecord]
    edge: CompactRange
    agreements: list[AgreementEvent]
    checkpoint: CheckpointRow | None

    @property
    def root(self) -> bytes:
        """The newest checkpoint's root (the empty tree's root when there is none)."""
        return EMPTY_ROOT if self.checkpoint is None else bytes(self.checkpoint.root)


def read_committed_state(store: Store, conn: Connection) -> CommittedState:
    """Requires ``conn`` inside one transaction (a snapshot or the write transaction). The state it sees, after
    checking that the right edge of the tree folds to the newest checkpoint's root at the tree's size
    (``store.corrupt`` otherwise, naming both)."""
    size = store.tree_size(conn)
    positions = CompactRange.node_positions(size)
    stored = store.nodes([node_id(lv, ix) for lv, ix in positions], conn)
    try:
        edge = CompactRange.load(size, lambda lv, ix: stored[node_id(lv, ix)])
    except KeyError as e:
        raise ConfigError(f"store is missing Merkle node {e} for tree size {size}", code="store.corrupt") from e
    cp = store.latest_checkpoint(conn)
    root = edge.root()
    if size and (cp is None or cp.size != size or bytes(cp.root) != root):
        raise ConfigError(
            f"store is inconsistent: tree size {size} with root {root.hex()} but newest checkpoint "
            f"{'none' if cp is None else f'{cp.size} {bytes(cp.root).hex()}'}",
            code="store.corrupt",
        )
    keys = {r.key_id: rows.key_record(r) for r in store.keys(conn)}
    schemes = {r.scheme_id: rows.scheme_record(r) for r in store.schemes(conn)}
    agreements = [rows.agreement_event(row, envelope) for row, envelope in store.agreement_events(conn)]
    return CommittedState(size, keys, schemes, edge, agreements, cp)
