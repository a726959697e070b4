"""The log: admits entries, appends them in batches, signs checkpoints, serves proofs and its committed state.

One write path, in two halves: :meth:`Log.start_checks` starts a batch's stateless
checks (parse, schema, signatures — in worker processes for large batches, ``ledger/precheck.py``), and
:meth:`Log.commit_checked` then — holding the sequencer lock, inside one store
transaction — admits each entry against the authority state as it stands after the
entries before it (``ledger/batch_view.py``), appends the admitted ones to the Merkle tree
(``ledger/compact_range.py``), updates the status map with their changes (``ledger/status_log.py``) and signs a
checkpoint of the new size that commits to the map's root (``carbonledger-status/v1``,
``verifier/status_commit.py``). :meth:`Log.submit_many` is the two in a row; :meth:`Log.submit_pipelined` and
the service's sequencer overlap the checks of the next batches with the write of the current one. Receipts are
built only after the commit. A refused entry gets its error in its slot and changes nothing; the others go on.

The read API — :meth:`Log.key`, :meth:`Log.chain_head`, :meth:`Log.scheme`, :meth:`Log.key_records`,
:meth:`Log.scheme_records`, :meth:`Log.agreement_events`, the status map (:meth:`Log.status_root`,
:meth:`Log.status_proof`), and the entries, checkpoints and proofs — answers
from the committed state only; other modules never touch the log's private members.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from mapping.errors import CarbonLedgerError, ConfigError, InputError, NotFoundError
from mapping.negotiation import AgreementEvent
from verifier.collector import collector_paused
from verifier.envelope import Entry
from verifier.keys import SigningKey, VerifyingKey
from verifier.ledger_state import KeyRecord, Policy, SchemeRecord
from verifier.merkle import EMPTY_ROOT, leaf_hash
from verifier.note import encode_vkey, format_checkpoint, sign_note
from verifier.status_commit import format_status_extension
from verifier.status_map_proof import MapProof
from verifier.status_records import Record

from . import precheck, rows, status_store, store_session
from .admission import admit, findings
from .batch_view import BatchView
from .compact_range import CompactRange, appended_proofs
from .log_open import CommittedState, read_committed_state
from .precheck import PendingBatch
from .receipt import Receipt  # re-exported: what the write path hands out
from .status_log import BatchChanges, StatusMap
from .store import Store, node_id
from .stored_tree import StoredTree
from .tables import CheckpointRow, EntryRow, NodeRow
from .witnessing import Witnessing, WitnessPolicy

__all__ = ["ED25519_NOTE_KEY_TYPE", "Log", "PendingBatch", "Receipt", "utc_now"]

ED25519_NOTE_KEY_TYPE = 0x01


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


Results = list[Receipt | CarbonLedgerError | None]


class Log:
    """One transparency log over a :class:`Store`, signing checkpoints with ``log_key`` under ``origin``."""

    def __init__(
        self,
        store: Store,
        log_key: SigningKey,
        origin: str,
        policy: Policy,
        clock: Callable[[], datetime] = utc_now,
        *,
        precheck_workers: bool = False,
    ) -> None:
        """Open the log the store holds: its committed state is loaded and checked (:meth:`reload`).

        ``precheck_workers``: check large batches' envelopes in worker processes (ledger/precheck.py).
        Off by default for library use: worker processes are started with "spawn", which re-imports the
        calling program's main module, so only programs whose main module is import-safe (the
        ``carbonledger`` command, servers, tests) should turn it on."""
        if not origin or any(c.isspace() for c in origin) or "+" in origin:
            raise ConfigError(f"log origin {origin!r} must be non-empty with no spaces or '+'", code="config.origin")
        self.store = store
        self.tree = StoredTree(store)
        self.log_key = log_key
        self.origin = origin
        self.policy = policy
        self.clock = clock
        self.precheck_workers = precheck_workers
        self._lock = threading.RLock()
        self._keys: dict[str, KeyRecord] = {}
        self._schemes: dict[str, SchemeRecord] = {}
        self._edge = CompactRange()
        self._agreements: list[AgreementEvent] = []  # the negotiation history, in log order
        self.size = 0
        self.status = StatusMap(store)  # the status map committed by each checkpoint (ledger/status_log.py)
        self.witnessing: Witnessing | None = None  # set by :meth:`enable_witnessing`
        self.on_publish: list[Callable[[Log], object]] = []  # run after each published batch (e.g. tiles export)
        self.reload()

    def enable_witnessing(self, policy: WitnessPolicy, http_client: Any = None) -> Witnessing:
        """From now on every new checkpoint goes to ``policy``'s witnesses before its receipts are handed out
        (ledger/witnessing.py); returns the :class:`Witnessing` (its metrics, :meth:`Witnessing.cosign_latest`)."""
        self.witnessing = Witnessing(policy, self.store, self.vkey, self.consistency_proof, http_client=http_client)
        return self.witnessing

    @property
    def vkey(self) -> str:
        """The log's C2SP verifier key string."""
        return encode_vkey(self.origin, self.log_key.public_key, ED25519_NOTE_KEY_TYPE)

    # ---- the committed state (read API) ------------------------------------
    def key(self, key_id: str) -> KeyRecord | None:
        """The committed record of the key ``key_id`` (any role, revoked or not), or None."""
        return self._keys.get(key_id)

    def chain_head(self, key_id: str) -> tuple[int, str] | None:
        """(seq, entry id) of the newest entry the key ``key_id`` signed into the log; None when it signed none."""
        rec = self._keys.get(key_id)
        return (rec.head_seq, rec.head_id) if rec is not None and rec.head_seq >= 0 else None

    def scheme(self, scheme_id: str) -> SchemeRecord | None:
        """The committed record of the registered scheme (or data publisher) ``scheme_id``, or None."""
        return self._schemes.get(scheme_id)

    def key_records(self) -> dict[str, KeyRecord]:
        """A snapshot of every committed key record, by key id."""
        return dict(self._keys)

    def scheme_records(self) -> dict[str, SchemeRecord]:
        """A snapshot of every committed scheme record, by scheme id."""
        return dict(self._schemes)

    def agreement_events(self) -> list[AgreementEvent]:
        """A snapshot of the negotiation history (every agreement propose, accept and withdraw), in log order."""
        return list(self._agreements)

    # ---- loading and recovery ---------------------------------------------
    def reload(self) -> None:
        """Read the committed state from the store again, as a fresh process would, in one read transaction
        (ledger/log_open.py), and check it: the right edge of the tree must fold to the root of the newest
        checkpoint (``store.corrupt`` otherwise) — whatever another process appends meanwhile."""
        with self.store.snapshot() as conn:
            state = read_committed_state(self.store, conn)
            has_map = self.status.load(conn, state.size)
        if not has_map:  # a store from before the status map: derive it from the entries, under the write lock
            with self.store.write() as wconn:
                self._load(wconn)
            return
        self._adopt(state)

    def _load(self, conn: Any) -> None:
        """Requires ``conn`` in the write transaction. Load the committed state, rebuilding a missing status map."""
        state = read_committed_state(self.store, conn)
        if not self.status.load(conn, state.size):
            self._rebuild_status(conn, state.size, state.root)
        self._adopt(state)

    def _adopt(self, state: CommittedState) -> None:
        self._keys, self._schemes, self._edge, self.size = state.keys, state.schemes, state.edge, state.size
        self._agreements = state.agreements

    def _rebuild_status(self, conn: Any, size: int, root: bytes) -> None:
        """Fold the store's entries into the status map, and sign its newest checkpoint again with the commitment
        (same tree size and root), in the caller's write transaction."""
        time_s = int(self.clock().timestamp())
        status_root = self.status.rebuild(conn, size, time_s)
        status_store.replace_checkpoint_note(conn, size, self._sign_checkpoint(size, root, status_root, time_s))

    # ---- the write path ----------------------------------------------------
    def submit(self, envelope: bytes) -> Receipt:
        """Admit one entry and return its receipt, or raise the reason it was refused."""
        result = self.submit_many([envelope])[0]
        if isinstance(result, CarbonLedgerError):
            raise result
        return result

    def submit_many(self, envelopes: Sequence[bytes], *, with_proofs: bool = True) -> list[Receipt | CarbonLedgerError]:
        """Admit a batch in one transaction under one checkpoint: a receipt or an error per envelope, in order."""
        return self.commit_checked(self.start_checks(envelopes), with_proofs=with_proofs)

    def start_checks(self, envelopes: Sequence[bytes]) -> PendingBatch:
        """Start a batch's stateless checks (parse, schema, signatures) and return at once; the caller goes on —
        typically committing the batch before it (:meth:`commit_checked`). Large batches are checked in worker
        processes (ledger/precheck.py), signatures under the signer keys the committed state knows now;
        smaller ones are checked in this process by :meth:`commit_checked`."""
        return precheck.start(envelopes, self._verifying_key, self.precheck_workers)

    def commit_checked(self, pending: PendingBatch, *, with_proofs: bool = True) -> list[Receipt | CarbonLedgerError]:
        """Wait for a batch's stateless checks, then admit it in one transaction under one checkpoint: a receipt
        or an error per envelope, in order, once the batch is durable."""
        results: Results = [None] * len(pending.envelopes)
        with collector_paused():  # ledger/startup_heap.py: the batch's garbage (its entries too) dies by refcount
            parsed, preverified = precheck.finish(pending, results, self._verifying_key)
            appended = bool(parsed)
            if appended:
                with self._lock:
                    self._append_isolating(parsed, results, preverified, with_proofs)
            del parsed, preverified  # freed now: the collector, back on, never walks the batch's entries
        if appended:
            for hook in self.on_publish:
                hook(self)
        return results  # type: ignore[return-value]

    def submit_pipelined(
        self, batches: Iterable[Sequence[bytes]], *, with_proofs: bool = True, lookahead: int = 2
    ) -> Iterator[list[Receipt | CarbonLedgerError]]:
        """Admit batches one after another, the stateless checks (parse, schema, signatures) of the next
        ``lookahead`` batches running in worker processes while this thread admits and writes the current
        one — as a sequencer pipelines them, so the workers never wait for the writer. Yields each batch's
        results, in order, once that batch is durable."""
        it = iter(batches)
        window: collections.deque[PendingBatch] = collections.deque()

        def fill() -> None:
            while len(window) <= lookahead and (following := next(it, None)) is not None:
                window.append(self.start_checks(following))

        fill()
        while window:
            current = window.popleft()
            fill()
            yield self.commit_checked(current, with_proofs=with_proofs)

    def _verifying_key(self, key_id: str) -> VerifyingKey | None:
        rec = self._keys.get(key_id)
        return None if rec is None else rec.verifying_key

    def _append_isolating(
        self, parsed: list[tuple[int, Entry]], results: Results, preverified: set[precheck.Verified], with_proofs: bool
    ) -> None:
        """:meth:`_append`; should the store refuse a value of the batch (admission refuses all it knows of), the
        halves are appended one after the other, down to the one entry refused, which alone gets the error."""
        try:
            self._append(parsed, results, preverified, with_proofs)
        except Exception as e:
            if (why := store_session.refusal(e)) is None:
                raise
            if len(parsed) == 1:
                results[parsed[0][0]] = InputError(f"the store refused this entry: {why}", code="store.refused_value")
                return
            half = len(parsed) // 2
            for part in (parsed[:half], parsed[half:]):
                self._append_isolating(part, results, preverified, with_proofs)

    def _append(
        self, parsed: list[tuple[int, Entry]], results: Results, preverified: set[precheck.Verified], with_proofs: bool
    ) -> None:
        """Admit what can be admitted, write it in one transaction and fill ``results`` with receipts.

        The receipts (inclusion proofs to the batch's checkpoint, from the nodes the batch made and the edge
        before it) are built and handed out only once the commit succeeded, so a receipt always means durable."""
        with self.store.write() as conn:
            if self.store.tree_size(conn) != self.size:  # another process appended: catch up first
                self._load(conn)
            view = BatchView(self, conn)
            view.prefetch_labels([e.body["label"]["label_id"] for _, e in parsed if e.kind == "label.issue"])
            now = self.clock()
            now_ms = int(now.timestamp() * 1000)  # the log's clock: integration times and checkpoints agree
            accepted: list[tuple[int, int, Entry]] = []
            flagged: dict[int, tuple[dict[str, Any], ...]] = {}  # slot -> what admission flags (receipt.findings)
            batch: BatchChanges = []
            entry_rows = []
            for slot, entry in parsed:
                index = self.size + len(accepted)
                try:
                    changes = admit(entry, index, view, now, self.policy, preverified)
                except CarbonLedgerError as e:
                    results[slot] = e
                    continue
                if entry.kind == "label.issue":
                    flagged[slot] = findings(entry, view)
                view.apply(entry, index, changes)
                accepted.append((slot, index, entry))
                batch.append((index, entry.entry_id, changes))
                entry_rows.append(rows.entry_row(entry, index, now_ms))
            if not accepted:
                return
            before, edge = self._edge, self._edge.copy()
            node_rows = []
            new_nodes: dict[tuple[int, int], bytes] = {}
            for _, _, entry in accepted:
                for level, ix, h in edge.append(leaf_hash(entry.envelope)):
                    node_rows.append((node_id(level, ix), h))
                    new_nodes[(level, ix)] = h
            new_size = edge.size
            root = edge.root()
            self.store.insert_tuples(conn, EntryRow, rows.ENTRY_COLUMNS, entry_rows)
            self.store.insert_tuples(conn, NodeRow, ("id", "hash"), node_rows)
            view.write()
            # The map's changes, staged in this thread: a helper thread would only take turns with this one for
            # the interpreter lock (both run Python), and measured slower.
            status = self.status.stage(conn, batch)
            time_s = now_ms // 1000
            note = self._sign_checkpoint(new_size, root, status.root, time_s)
            self.status.write(conn, status, new_size, time_s)
            self.store.insert_rows(
                conn, CheckpointRow, [{"size": new_size, "root": root, "note": note, "timestamp_ms": now_ms}]
            )
        # committed: publish the new state to readers
        self._keys.update(view.keys)
        self._schemes.update(view.schemes)
        self._agreements = self._agreements + [a.event for a in view.new_agreement_events]
        self._edge = edge
        self.size = new_size
        self.status.publish(status, new_size, time_s)
        cosigned_by, threshold = (), 0
        if self.witnessing is not None:  # durable; published once witnessed (ledger/witnessing.py)
            witnessed = self.witnessing.cosign(note, new_size)
            note, cosigned_by, threshold = witnessed.note, witnessed.cosigned_by, witnessed.threshold
        # The receipts' inclusion proofs, all at the batch's tree size, from the nodes the batch made and the edge
        # before it (ledger/compact_range.py): the accepted entries are the leaves before.size .. new_size - 1.
        proofs = appended_proofs(before, new_nodes, new_size) if with_proofs else [[] for _ in accepted]
        for (slot, index, entry), proof in zip(accepted, proofs, strict=True):
            results[slot] = Receipt(
                index, entry.entry_id, new_size, proof, note, cosigned_by, threshold, flagged.get(slot, ())
            )

    def _sign_checkpoint(self, size: int, root: bytes, status_root: bytes, time_s: int) -> str:
        """The checkpoint of ``size`` with its status commitment line (verifier/status_commit.py), signed."""
        body = format_checkpoint(self.origin, size, root, [format_status_extension(status_root, time_s)])
        return sign_note(body, self.origin, self.log_key)

    # ---- entries, checkpoints and proofs ---------------------------------------
    def checkpoint(self) -> str:
        """The newest signed checkpoint note; an empty log signs one for size 0 on demand."""
        cp = self.store.latest_checkpoint()
        if cp is None:
            return self._sign_checkpoint(0, EMPTY_ROOT, self.status.root, int(self.clock().timestamp()))
        return cp.note

    # ---- the status map (ledger/status_log.py) -------------------------------------------------------------
    def status_root(self, size: int | None = None) -> tuple[int, bytes, int]:
        """(tree size, status map root, signed time in unix seconds) the checkpoint of ``size`` commits to
        (default: the newest stored checkpoint); ``status.no_root`` for a size no checkpoint has."""
        with self.store.read() as conn:
            size = self._status_size(conn, size)
            root, _, time_s = self.status.root_at(conn, size)
        return size, root, time_s if size else int(self.clock().timestamp())

    def status_proof(self, kind: str, object_id: str, size: int | None = None) -> tuple[Record | None, MapProof]:
        """(the object's status record or None, its map proof) against the status root the checkpoint of ``size``
        commits to (default: the newest); ``status.unknown_kind`` for a kind the map has not."""
        with self.store.read() as conn:
            return self.status.prove(conn, self._status_size(conn, size), kind, object_id)

    def _status_size(self, conn: Any, size: int | None) -> int:
        if size is not None:
            return size
        cp = self.store.latest_checkpoint(conn)
        return 0 if cp is None else cp.size

    def root(self, size: int | None = None) -> bytes:
        """Requires 0 <= size <= the log's size (default: the size this process last committed or loaded)."""
        return self.tree.root(self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Requires 0 <= index < size <= the log's size."""
        return self.tree.inclusion_proof(index, size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Requires 0 <= size1 <= size2 <= the log's size."""
        return self.tree.consistency_proof(size1, size2)

    def entry(self, index: int) -> EntryRow:
        """The entry at ``index``; ``log.no_such_entry`` when the log holds none there."""
        row = self.store.entry(index)
        if row is None:
            raise NotFoundError(
                f"no entry at index {index} (log size {self.store.tree_size()})", code="log.no_such_entry"
            )
        return row

    def entry_by_id(self, entry_id: str) -> EntryRow:
        """The entry whose entry id (the SHA-256 of its payload, lower-case hex) is ``entry_id``;
        ``log.no_such_entry`` when the log holds none (:meth:`ledger.store.Store.entry_by_id`)."""
        row = self.store.entry_by_id(entry_id)
        if row is None:
            raise NotFoundError(f"no entry with entry id {entry_id!r} in this log", code="log.no_such_entry")
        return row
