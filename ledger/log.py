"""The log: admits entries, appends them in batches, signs checkpoints, serves proofs.

One write path, in two halves: :meth:`Log.start_checks` starts a batch's stateless
checks (parse, schema, signatures — in worker processes for large batches), and
:meth:`Log.commit_checked` then — holding the sequencer lock, inside one store
transaction — admits each entry against the authority state as it stands after the
entries before it, appends the admitted ones to the Merkle tree, and signs a
checkpoint of the new size. :meth:`Log.submit_many` is the two in a row;
:meth:`Log.submit_pipelined` and the service's sequencer overlap the checks of the
next batches with the write of the current one. Receipts are built only after the
commit. A refused entry gets its error in its slot and changes nothing; the others go on.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mapping.errors import CarbonLedgerError, ConfigError, NotFoundError, ProofError
from mapping.negotiation import AgreementEvent
from verifier.agreements import event_from_payload
from verifier.envelope import Entry, claimed_signer, entry_from_checked_envelope, parse_entry
from verifier.equivalence_offline import KNOWN_CONVERSIONS
from verifier.keys import SigningKey, VerifyingKey
from verifier.merkle import EMPTY_ROOT, leaf_hash, node_hash
from verifier.note import encode_vkey, format_checkpoint, sign_note

from . import precheck, proof_plan
from .admission import admit
from .batch_proofs import inclusion_ranges, perfect_parts, range_hash
from .state import (
    AddAgreementEvent,
    AddDataset,
    AddKey,
    AddLabel,
    AddProfile,
    AddScheme,
    Change,
    DatasetRecord,
    EntryRef,
    KeyRecord,
    LabelRecord,
    Policy,
    RetireDataset,
    RevokeKey,
    RotateRoot,
    SchemeRecord,
    SetLabelStatus,
)
from .store import Store, node_id
from .tables import AgreementEventRow, CheckpointRow, DatasetRow, EntryRow, LabelRow, NodeRow, SchemeRow

ED25519_NOTE_KEY_TYPE = 0x01


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an issuer gets once its entry is durable: index, inclusion proof and the checkpoint it leads to."""

    index: int
    entry_id: str
    tree_size: int
    inclusion_proof: list[bytes]
    checkpoint: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "entry_id": self.entry_id,
            "tree_size": self.tree_size,
            "inclusion_proof": [h.hex() for h in self.inclusion_proof],
            "checkpoint": self.checkpoint,
        }


@dataclass(frozen=True, slots=True)
class _Batch:
    """What receipts need from a committed batch: its tree size, checkpoint, and the nodes it made."""

    size: int
    checkpoint: str
    nodes: dict[tuple[int, int], bytes]


@dataclass(slots=True)
class PendingBatch:
    """A batch whose stateless checks may be running in worker processes (``outcomes`` pending), with the
    committed signer keys they verify signatures under; None when this process checks it itself."""

    envelopes: Sequence[bytes]
    keys: dict[str, bytes] | None = None
    outcomes: list[Future[list[precheck.Outcome]]] | None = None


@dataclass
class _Node:
    level: int
    index: int
    hash: bytes


class _BatchView:
    """The authority state as seen by the next entry of a batch: committed state plus the batch so far."""

    complete = True  # the whole log before the entry judged (verifier.ledger_state.AuthorityView)

    def __init__(self, log: Log, conn: Any) -> None:
        self._log = log
        self._conn = conn
        self.keys: dict[str, KeyRecord] = {}
        self.schemes: dict[str, SchemeRecord] = {}
        self.labels: dict[tuple[str, str], LabelRecord] = {}
        self._fetched_label_ids: set[str] = set()
        self.labels_by_entry: dict[str, LabelRecord] = {}
        self.new_labels: list[tuple[LabelRecord, dict[str, Any]]] = []
        self.label_updates: list[SetLabelStatus] = []
        self.rotations: list[RotateRoot] = []
        self.new_schemes: list[SchemeRecord] = []
        self.positions: dict[tuple[str, int], EntryRef] = {}  # (signer, seq) of the batch's own entries
        self.datasets: dict[str, list[DatasetRecord]] = {}  # dataset id -> versions, batch overlay
        self.dataset_payloads: dict[str, tuple[DatasetRecord, dict[str, Any]]] = {}
        self.new_datasets: list[tuple[DatasetRecord, str]] = []
        self.retired_datasets: list[RetireDataset] = []
        self.new_agreement_events: list[AddAgreementEvent] = []
        self.new_profiles: set[tuple[str, str, str]] = set()  # (publisher, profile id, version)

    # AuthorityView
    def key(self, key_id: str) -> KeyRecord | None:
        return self.keys.get(key_id) or self._log._keys.get(key_id)

    def scheme(self, scheme_id: str) -> SchemeRecord | None:
        return self.schemes.get(scheme_id) or self._log._schemes.get(scheme_id)

    def label(self, scheme_id: str, label_id: str) -> LabelRecord | None:
        if label_id not in self._fetched_label_ids:
            self.prefetch_labels([label_id])
        return self.labels.get((scheme_id, label_id))

    def label_by_entry(self, entry_id: str) -> LabelRecord | None:
        if entry_id in self.labels_by_entry:
            return self.labels_by_entry[entry_id]
        row = self._log.store.label_by_entry(entry_id, self._conn)
        return None if row is None else self._remember(row)

    def entry_at_seq(self, signer: str, seq: int) -> EntryRef | None:
        if (signer, seq) in self.positions:
            return self.positions[(signer, seq)]
        row = self._log.store.entry_at_seq(signer, seq, self._conn)
        return None if row is None else EntryRef(row.idx, row.entry_id, row.kind, row.signer)

    def dataset_versions(self, dataset_id: str) -> list[DatasetRecord]:
        if dataset_id not in self.datasets:
            self.datasets[dataset_id] = [
                _dataset_record(r) for r in self._log.store.dataset_rows(dataset_id, self._conn)
            ]
        return self.datasets[dataset_id]

    def dataset_payload(self, entry_id: str) -> tuple[DatasetRecord, dict[str, Any]] | None:
        if entry_id in self.dataset_payloads:
            record, payload = self.dataset_payloads[entry_id]
            current = next(v for v in self.dataset_versions(record.dataset_id) if v.version == record.version)
            return current, payload
        row = self._log.store.dataset_by_entry(entry_id, self._conn)
        if row is None:
            return None
        envelope = self._log.store.dataset_envelope_by_id(entry_id, self._conn)
        assert envelope is not None
        payload = parse_entry(envelope).body
        self.dataset_payloads[entry_id] = (_dataset_record(row), payload)
        return self.dataset_payload(entry_id)

    def profile_versions(self, publisher: str, profile_id: str) -> set[str]:
        logged = {
            parse_entry(bytes(row.envelope)).body["profile"]["version"]
            for row in self._log.store.find_entries(["profile.publish"], publisher, profile_id, self._conn)
        }
        return logged | {v for s, p, v in self.new_profiles if (s, p) == (publisher, profile_id)}

    def agreement_history(self) -> list[AgreementEvent]:
        return self._log._agreements + [a.event for a in self.new_agreement_events]

    # batch bookkeeping
    def prefetch_labels(self, label_ids: Sequence[str]) -> None:
        wanted = [i for i in label_ids if i not in self._fetched_label_ids]
        for row in self._log.store.labels_by_ids(wanted, self._conn):
            if (row.scheme, row.label_id) not in self.labels:  # the batch's own changes win
                self._remember(row)
        self._fetched_label_ids.update(wanted)

    def _remember(self, row: LabelRow) -> LabelRecord:
        rec = LabelRecord(row.scheme, row.label_id, row.entry_id, row.idx, row.signer, row.status)
        self.labels[(row.scheme, row.label_id)] = rec
        self.labels_by_entry[row.entry_id] = rec
        return rec

    def apply(self, entry: Entry, index: int, changes: list[Change]) -> None:
        for ch in changes:
            if isinstance(ch, AddScheme):
                self.schemes[ch.record.scheme_id] = ch.record
                self.new_schemes.append(ch.record)
            elif isinstance(ch, AddKey):
                self.keys[ch.record.key_id] = ch.record
            elif isinstance(ch, RevokeKey):
                old = self.key(ch.key_id)
                assert old is not None
                self.keys[ch.key_id] = dataclasses.replace(
                    old, revoked_index=ch.revoked_index, revoked_from_index=ch.revoked_from_index
                )
            elif isinstance(ch, RotateRoot):
                old_scheme = self.scheme(ch.scheme_id)
                assert old_scheme is not None
                self.schemes[ch.scheme_id] = dataclasses.replace(old_scheme, root_key_id=ch.new_root_key_id)
                self.rotations.append(ch)
            elif isinstance(ch, AddLabel):
                self.labels[(ch.record.scheme, ch.record.label_id)] = ch.record
                self.labels_by_entry[ch.record.entry_id] = ch.record
                self.new_labels.append((ch.record, entry.body["label"]))
            elif isinstance(ch, AddDataset):
                self.dataset_versions(ch.record.dataset_id).append(ch.record)
                self.dataset_payloads[ch.record.entry_id] = (ch.record, ch.payload)
                self.new_datasets.append((ch.record, ch.title))
            elif isinstance(ch, AddProfile):
                self.new_profiles.add((ch.publisher, ch.profile_id, ch.version))
            elif isinstance(ch, AddAgreementEvent):
                self.new_agreement_events.append(ch)
            elif isinstance(ch, RetireDataset):
                versions = self.dataset_versions(ch.dataset_id)
                for i, v in enumerate(versions):
                    if v.version == ch.version:
                        versions[i] = dataclasses.replace(v, status="retired", retired_index=ch.index)
                self.retired_datasets.append(ch)
            elif isinstance(ch, SetLabelStatus):
                old_label = self.labels[(ch.scheme, ch.label_id)]
                new = dataclasses.replace(old_label, status=ch.status)
                self.labels[(ch.scheme, ch.label_id)] = new
                self.labels_by_entry[new.entry_id] = new
                self.label_updates.append(ch)
        self.positions[(entry.signer, entry.seq)] = EntryRef(index, entry.entry_id, entry.kind, entry.signer)
        signer = self.keys.get(entry.signer)
        if signer is None:  # first entry of this key in the batch: work on a copy, publish on commit
            committed = self._log._keys[entry.signer]
            signer = self.keys[entry.signer] = dataclasses.replace(committed)
        signer.head_seq, signer.head_id = entry.seq, entry.entry_id


_PARALLEL_VERIFY_MIN = 32  # smaller batches verify inline: a thread hand-off costs more than it saves
_VERIFY_CHUNK = 64
_VERIFY_WORKERS = 2


@functools.cache
def _verify_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_VERIFY_WORKERS, thread_name_prefix="carbonledger-verify")


# (entry id, signature, public key) of a signature that verified: the exact bytes checked, as admission looks
# them up. The entry id is the SHA-256 of the payload only, so the signature bytes belong in the key: a copy of a
# genuine envelope carrying another signature has the same entry id and must never pass for the verified one.
Verified = precheck.Verified


def _verify_chunk(items: list[tuple[Entry, VerifyingKey]]) -> set[Verified]:
    out: set[Verified] = set()
    for e, k in items:
        signature = e.signature
        if k.key_id == e.signer and k.is_valid(e.signed_message(), signature):
            out.add((e.entry_id, signature, k.public_key))
    return out


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
        """``precheck_workers``: check large batches' envelopes in worker processes (ledger/precheck.py).
        Off by default for library use: worker processes are started with "spawn", which re-imports the
        calling program's main module, so only programs whose main module is import-safe (the
        ``carbonledger`` command, servers, tests) should turn it on."""
        if not origin or any(c.isspace() for c in origin) or "+" in origin:
            raise ConfigError(f"log origin {origin!r} must be non-empty with no spaces or '+'", code="config.origin")
        self.store = store
        self.log_key = log_key
        self.origin = origin
        self.policy = policy
        self.clock = clock
        self.precheck_workers = precheck_workers
        self._lock = threading.RLock()
        self._keys: dict[str, KeyRecord] = {}
        self._schemes: dict[str, SchemeRecord] = {}
        self._edge: list[_Node] = []
        self._agreements: list[AgreementEvent] = []  # the negotiation history, in log order
        self.size = 0
        self._load()

    @property
    def vkey(self) -> str:
        """The log's C2SP verifier key string."""
        return encode_vkey(self.origin, self.log_key.public_key, ED25519_NOTE_KEY_TYPE)

    # ---- loading and recovery ---------------------------------------------
    def _load(self, conn: Any = None) -> None:
        size = self.store.tree_size(conn)
        keys = {}
        for r in self.store.keys(conn):
            keys[r.key_id] = KeyRecord(
                r.key_id,
                VerifyingKey(bytes(r.public_key)),
                r.scheme,
                r.role,
                frozenset(r.kinds.split()),
                r.authorized_index,
                datetime.fromisoformat(r.not_after) if r.not_after else None,
                r.revoked_index,
                r.revoked_from_index,
                r.head_seq,
                r.head_id,
            )
        schemes = {
            r.scheme_id: SchemeRecord(r.scheme_id, r.root_key_id, r.role, r.name, r.registered_index)
            for r in self.store.schemes(conn)
        }
        ranges = _edge_ranges(size)
        stored = self.store.nodes([node_id(lv, ix) for lv, ix in ranges], conn)
        try:
            edge = [_Node(lv, ix, stored[node_id(lv, ix)]) for lv, ix in ranges]
        except KeyError as e:
            raise ConfigError(f"store is missing Merkle node {e} for tree size {size}", code="store.corrupt") from e
        cp = self.store.latest_checkpoint(conn)
        root = _fold(edge)
        if size and (cp is None or cp.size != size or bytes(cp.root) != root):
            raise ConfigError(
                f"store is inconsistent: tree size {size} with root {root.hex()} but newest checkpoint "
                f"{'none' if cp is None else f'{cp.size} {bytes(cp.root).hex()}'}",
                code="store.corrupt",
            )
        agreements = [_agreement_event(row, envelope) for row, envelope in self.store.agreement_events(conn)]
        self._keys, self._schemes, self._edge, self.size = keys, schemes, edge, size
        self._agreements = agreements

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
        if not (self.precheck_workers and len(envelopes) >= precheck.POOL_MIN_BATCH):
            return PendingBatch(envelopes)
        keys: dict[str, bytes] = {}
        for env in envelopes:
            signer = claimed_signer(env)
            if signer is not None and signer not in keys and (rec := self._keys.get(signer)) is not None:
                keys[signer] = rec.verifying_key.public_key
        return PendingBatch(envelopes, keys, precheck.start_in_workers(envelopes, keys))

    def commit_checked(self, pending: PendingBatch, *, with_proofs: bool = True) -> list[Receipt | CarbonLedgerError]:
        """Wait for a batch's stateless checks, then admit it in one transaction under one checkpoint: a receipt
        or an error per envelope, in order, once the batch is durable."""
        results: list[Receipt | CarbonLedgerError | None] = [None] * len(pending.envelopes)
        if pending.outcomes is None:
            parsed, preverified = self._parse_and_preverify(pending.envelopes, results)
        else:
            parsed, preverified = self._rebuild_checked(pending, results)
        if parsed:
            with self._lock:
                self._append(parsed, results, preverified, with_proofs)
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

    def _parse_and_preverify(
        self, envelopes: Sequence[bytes], results: list[Receipt | CarbonLedgerError | None]
    ) -> tuple[list[tuple[int, Entry]], set[Verified]]:
        """Parse every envelope (this thread) while worker threads check the signatures of entries whose
        signer the committed state already knows. Ed25519 runs in C without the GIL, so on a machine with
        two cores the signature checks overlap the parsing. The returned set holds (entry id, signature, public
        key) of each signature that verified; admission re-checks any entry whose own triple is not in it (an
        unknown signer, a key bound within this batch, a bad signature — or a copy of a verified entry with
        another signature, which shares its entry id)."""
        parsed: list[tuple[int, Entry]] = []
        futures: list[Future[set[Verified]]] = []
        pending: list[tuple[Entry, VerifyingKey]] = []
        parallel = len(envelopes) >= _PARALLEL_VERIFY_MIN
        for i, env in enumerate(envelopes):
            try:
                entry = parse_entry(env)
            except CarbonLedgerError as e:
                results[i] = e
                continue
            parsed.append((i, entry))
            key = self._keys.get(entry.signer) if parallel else None
            if key is not None:
                pending.append((entry, key.verifying_key))
                if len(pending) == _VERIFY_CHUNK:
                    futures.append(_verify_pool().submit(_verify_chunk, pending))
                    pending = []
        if pending:
            futures.append(_verify_pool().submit(_verify_chunk, pending))
        preverified: set[Verified] = set()
        for f in futures:
            preverified |= f.result()
        return parsed, preverified

    def _rebuild_checked(
        self, pending: PendingBatch, results: list[Receipt | CarbonLedgerError | None]
    ) -> tuple[list[tuple[int, Entry]], set[Verified]]:
        """The workers' outcomes: errors into their slots, and each accepted envelope rebuilt from the same
        bytes (:func:`verifier.envelope.entry_from_checked_envelope`). A worker reports a verified signature as
        the (entry id, signature, public key) it checked; those triples, as reported, are what admission may
        skip — an entry whose rebuilt triple differs in any byte is verified again."""
        assert pending.outcomes is not None
        parsed: list[tuple[int, Entry]] = []
        preverified: set[Verified] = set()
        for i, (env, outcome) in enumerate(zip(pending.envelopes, precheck.collect(pending.outcomes), strict=True)):
            if outcome[0] == "error":
                results[i] = precheck.rebuild_error(outcome[1])
                continue
            try:
                entry = entry_from_checked_envelope(env)
            except CarbonLedgerError as e:  # pragma: no cover - a worker accepted these bytes
                results[i] = e
                continue
            parsed.append((i, entry))
            if outcome[0] == "verified":
                preverified.add(outcome[1])
        return parsed, preverified

    def _append(
        self,
        parsed: list[tuple[int, Entry]],
        results: list[Receipt | CarbonLedgerError | None],
        preverified: set[Verified],
        with_proofs: bool,
    ) -> None:
        """Admit what can be admitted, write it in one transaction and fill ``results`` with receipts.

        The receipts (inclusion proofs to the batch's checkpoint) are computed in a worker thread while
        this thread writes and commits (SQLite and psycopg release the GIL while they work); they are
        handed out only once the commit succeeded, so a receipt always means durable."""
        receipts_job: Future[list[tuple[int, Receipt]]] | None = None
        with self.store.write() as conn:
            if self.store.tree_size(conn) != self.size:  # another process appended: catch up first
                self._load(conn)
            view = _BatchView(self, conn)
            view.prefetch_labels([e.body["label"]["label_id"] for _, e in parsed if e.kind == "label.issue"])
            now = self.clock()
            accepted: list[tuple[int, int, Entry]] = []
            for slot, entry in parsed:
                index = self.size + len(accepted)
                try:
                    changes = admit(entry, index, view, now, self.policy, preverified)
                except CarbonLedgerError as e:
                    results[slot] = e
                    continue
                view.apply(entry, index, changes)
                accepted.append((slot, index, entry))
            if not accepted:
                return
            edge = [dataclasses.replace(n) for n in self._edge]
            now_ms = int(time.time() * 1000)
            entry_rows, node_rows = [], []
            new_nodes: dict[tuple[int, int], bytes] = {}
            for _, index, entry in accepted:
                entry_rows.append(_entry_row(entry, index, now_ms))
                for n in _append_leaf(edge, index, leaf_hash(entry.envelope)):
                    node_rows.append((node_id(n.level, n.index), n.hash))
                    new_nodes[(n.level, n.index)] = n.hash
            new_size = self.size + len(accepted)
            root = _fold(edge)
            note = self._sign_checkpoint(new_size, root)
            receipts_job = _verify_pool().submit(
                self._receipts, accepted, _Batch(new_size, note, new_nodes), with_proofs
            )
            self.store.insert_tuples(conn, EntryRow, ENTRY_COLUMNS, entry_rows)
            self.store.insert_tuples(conn, NodeRow, ("id", "hash"), node_rows)
            self.store.insert_rows(conn, SchemeRow, [dataclasses.asdict(s) for s in view.new_schemes])
            for rot in view.rotations:
                self.store.update_scheme_root(conn, rot.scheme_id, rot.new_root_key_id)
            self.store.replace_keys(conn, [_key_row(k) for k in view.keys.values()])
            self.store.insert_tuples(
                conn, LabelRow, LABEL_COLUMNS, [_label_row(rec, label) for rec, label in view.new_labels]
            )
            for ch in view.label_updates:
                self.store.update_label_status(
                    conn,
                    ch.scheme,
                    ch.label_id,
                    {
                        "status": ch.status,
                        "status_index": ch.index,
                        "status_entry": ch.by_entry,
                        "replacement_entry": ch.replacement_entry,
                    },
                )
            self.store.insert_rows(
                conn,
                DatasetRow,
                [
                    {
                        "dataset_id": r.dataset_id,
                        "version": r.version,
                        "publisher": r.publisher,
                        "entry_id": r.entry_id,
                        "idx": r.index,
                        "title": title,
                    }
                    for r, title in view.new_datasets
                ],
            )
            self.store.insert_rows(
                conn,
                AgreementEventRow,
                [
                    {
                        "idx": a.event.index,
                        "entry_id": a.entry_id,
                        "agreement_id": a.event.agreement_id,
                        "version": a.event.version,
                        "kind": a.event.kind,
                        "scheme": a.scheme,
                        "terms_hash": a.event.terms_hash,
                        "at": a.event.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                    for a in view.new_agreement_events
                ],
            )
            for rd in view.retired_datasets:
                self.store.retire_dataset(conn, rd.dataset_id, rd.version, rd.index, rd.by_entry)
            self.store.insert_rows(
                conn, CheckpointRow, [{"size": new_size, "root": root, "note": note, "timestamp_ms": now_ms}]
            )
        # committed: publish the new state to readers
        self._keys.update(view.keys)
        self._schemes.update(view.schemes)
        self._agreements = self._agreements + [a.event for a in view.new_agreement_events]
        self._edge = edge
        self.size = new_size
        for slot, receipt in receipts_job.result():
            results[slot] = receipt

    def _receipts(
        self,
        accepted: list[tuple[int, int, Entry]],
        batch: _Batch,
        with_proofs: bool,
    ) -> list[tuple[int, Receipt]]:
        """Receipts for a committed batch, all at the batch's checkpoint. Most proof nodes were made by the
        batch itself; the older ones (left of it) are fetched in one query, and each range hashed once."""
        size = batch.size
        plans = {index: inclusion_ranges(index, size) for _, index, _ in accepted} if with_proofs else {}
        ranges = {rng for plan in plans.values() for rng in plan}
        nodes = dict(batch.nodes)
        missing = {p for b, e in ranges for p in perfect_parts(b, e)} - nodes.keys()
        if missing:
            stored = self.store.nodes(node_id(lv, ix) for lv, ix in missing)
            for lv, ix in missing:
                nodes[(lv, ix)] = stored[node_id(lv, ix)]
        hashes = {(b, e): range_hash(b, e, lambda lv, ix: nodes[(lv, ix)]) for b, e in ranges}
        return [
            (slot, Receipt(index, entry.entry_id, size, [hashes[r] for r in plans.get(index, ())], batch.checkpoint))
            for slot, index, entry in accepted
        ]

    def _sign_checkpoint(self, size: int, root: bytes) -> str:
        return sign_note(format_checkpoint(self.origin, size, root), self.origin, self.log_key)

    # ---- reads ---------------------------------------------------------------
    def checkpoint(self) -> str:
        """The newest signed checkpoint note; an empty log signs one for size 0 on demand."""
        cp = self.store.latest_checkpoint()
        if cp is None:
            return self._sign_checkpoint(0, EMPTY_ROOT)
        return cp.note

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._range_hash_from_store(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Requires 0 <= index < size <= the log's size."""
        size = self.store.tree_size() if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise ProofError(f"index {index} is outside a tree of size {size}", code="proof.index_out_of_range")
        return self._hashes_for(proof_plan.inclusion_plan(index, size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Requires 0 <= size1 <= size2 <= the log's size."""
        size2 = self.store.tree_size() if size2 is None else size2
        self._check_size(size2)
        if not 0 <= size1 <= size2:
            raise ProofError(f"size1 {size1} must be between 0 and size2 {size2}", code="proof.bad_sizes")
        return self._hashes_for(proof_plan.consistency_plan(size1, size2))

    def _check_size(self, size: int) -> None:
        current = self.store.tree_size()
        if not 0 <= size <= current:
            raise NotFoundError(f"tree size {size} is not in this log (its size is {current})", code="log.no_such_size")

    def _hashes_for(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        nodes = self.store.nodes(node_id(lv, ix) for lv, ix in proof_plan.nodes_for_ranges(ranges))
        return [proof_plan.range_hash(b, e, lambda lv, ix: nodes[node_id(lv, ix)]) for b, e in ranges]

    def _range_hash_from_store(self, begin: int, end: int) -> bytes:
        return self._hashes_for([(begin, end)])[0]

    def entry(self, index: int) -> EntryRow:
        row = self.store.entry(index)
        if row is None:
            raise NotFoundError(
                f"no entry at index {index} (log size {self.store.tree_size()})", code="log.no_such_entry"
            )
        return row


# ---- Merkle right edge ("compact range") -----------------------------------------
def _edge_ranges(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees (level, index) that make up [0, size), left to right."""
    out, offset = [], 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            out.append((level, offset >> level))
            offset += 1 << level
    return out


def _append_leaf(edge: list[_Node], index: int, h: bytes) -> list[_Node]:
    """Append leaf ``index`` to the right edge; return every perfect node it completes, the leaf first."""
    new = [_Node(0, index, h)]
    edge.append(new[0])
    while len(edge) >= 2 and edge[-1].level == edge[-2].level:
        right = edge.pop()
        left = edge.pop()
        merged = _Node(left.level + 1, left.index >> 1, node_hash(left.hash, right.hash))
        edge.append(merged)
        new.append(merged)
    return new


def _fold(edge: list[_Node]) -> bytes:
    """RFC 9162 MTH of the whole tree from its right edge (folded right to left)."""
    if not edge:
        return EMPTY_ROOT
    h = edge[-1].hash
    for n in reversed(edge[:-1]):
        h = node_hash(n.hash, h)
    return h


ENTRY_COLUMNS = ("idx", "entry_id", "kind", "signer", "seq", "scheme", "subject", "integrated_ms", "payload", "sig")


def _entry_row(entry: Entry, index: int, now_ms: int) -> tuple[Any, ...]:
    body = entry.body
    kind = entry.kind
    scheme: str | None
    subject: str | None = None
    if kind == "label.issue":
        scheme, subject = body["label"]["scheme"], body["label"]["label_id"]
    elif kind == "scheme.register":
        scheme = body["scheme"]["id"]
    elif kind == "key.authorize":
        scheme, subject = body["scheme"], _key_id_of(body["public_key"])
    elif kind == "scheme.rotate":
        scheme, subject = body["scheme"], _key_id_of(body["new_public_key"])
    elif kind == "profile.publish":
        scheme, subject = body["scheme"], body["profile"]["id"]
    elif kind == "agreement.propose":
        scheme, subject = body["scheme"], body["terms"]["id"]
    elif kind in ("agreement.accept", "agreement.withdraw"):
        scheme, subject = body["scheme"], body["agreement"]["id"]
    elif kind in ("dataset.publish", "dataset.retire"):
        scheme, subject = body["publisher"], body["dataset"]["id"]
    else:
        scheme = body.get("scheme")
        subject = body.get("label_id") or body.get("key_id")
    return (
        index,
        entry.entry_id,
        kind,
        entry.signer,
        entry.seq,
        scheme,
        subject,
        now_ms,
        entry.payload,
        entry.signature,
    )


def _agreement_event(row: AgreementEventRow, envelope: bytes) -> AgreementEvent:
    """Rebuild an admitted agreement event (its signer was the party's current root when admitted)."""
    body = parse_entry(envelope).body
    return event_from_payload(
        body,
        index=row.idx,
        at=datetime.fromisoformat(body["signed_at"]),
        signer_scheme=row.scheme,
        signer_is_root=True,
        known_conversions=KNOWN_CONVERSIONS,
    )


def _dataset_record(row: DatasetRow) -> DatasetRecord:
    return DatasetRecord(
        row.dataset_id, row.version, row.publisher, row.entry_id, row.idx, row.status, row.retired_index
    )


def _key_id_of(public_key_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()


def _key_row(k: KeyRecord) -> dict[str, Any]:
    return {
        "key_id": k.key_id,
        "public_key": k.verifying_key.public_key,
        "scheme": k.scheme,
        "role": k.role,
        "kinds": " ".join(sorted(k.kinds)),
        "authorized_index": k.authorized_index,
        "not_after": k.not_after.isoformat() if k.not_after else None,
        "revoked_index": k.revoked_index,
        "revoked_from_index": k.revoked_from_index,
        "head_seq": k.head_seq,
        "head_id": k.head_id,
    }


LABEL_COLUMNS = (
    "scheme",
    "label_id",
    "entry_id",
    "idx",
    "signer",
    "status",
    "product_name",
    "model",
    "gtin",
    "manufacturer",
)


def _label_row(rec: LabelRecord, label: dict[str, Any]) -> tuple[Any, ...]:
    product = label["product"]
    gtin = None
    for ident in product.get("ids", ()):
        if ident["system"] == "gtin":
            gtin = ident["value"]
            break
    return (
        rec.scheme,
        rec.label_id,
        rec.entry_id,
        rec.index,
        rec.signer,
        rec.status,
        product["name"],
        product.get("model"),
        gtin,
        product["manufacturer"]["name"],
    )
