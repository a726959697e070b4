"""The authority state as the next entry of an append batch sees it: the committed state plus the batch so far.

The rule book (:func:`verifier.rules.fold_entry`) reads the state through the
:class:`~verifier.ledger_state.AuthorityView` interface; :class:`BatchView` implements it over the log's
committed records (:class:`CommittedState`: :class:`ledger.log.Log`'s public read methods) and the store, inside the
batch's write transaction, with an overlay of the changes the batch's admitted entries made. When the batch
commits, :meth:`BatchView.write` stores that overlay in the same transaction and the log publishes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

from mapping.errors import ConfigError
from mapping.negotiation import AgreementEvent
from verifier.envelope import Entry, parse_entry
from verifier.ledger_state import (
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
    RetireDataset,
    RevokeKey,
    RotateRoot,
    SchemeRecord,
    SetLabelStatus,
)

from . import rows
from .store import Store
from .tables import AgreementEventRow, DatasetRow, LabelRow, SchemeRow

__all__ = ["BatchView", "CommittedState"]


class CommittedState(Protocol):
    """What a batch reads of the committed state (:class:`ledger.log.Log` provides it)."""

    @property
    def store(self) -> Store: ...

    def key(self, key_id: str) -> KeyRecord | None: ...

    def scheme(self, scheme_id: str) -> SchemeRecord | None: ...

    def agreement_events(self) -> list[AgreementEvent]: ...


class BatchView:
    """The authority state seen by the next entry of a batch: committed state plus the batch so far."""

    complete = True  # the whole log before the entry judged (verifier.ledger_state.AuthorityView)

    def __init__(self, log: CommittedState, conn: Any) -> None:
        self._log = log
        self._store = log.store
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
        return self.keys.get(key_id) or self._log.key(key_id)

    def scheme(self, scheme_id: str) -> SchemeRecord | None:
        return self.schemes.get(scheme_id) or self._log.scheme(scheme_id)

    def label(self, scheme_id: str, label_id: str) -> LabelRecord | None:
        if label_id not in self._fetched_label_ids:
            self.prefetch_labels([label_id])
        return self.labels.get((scheme_id, label_id))

    def label_by_entry(self, entry_id: str) -> LabelRecord | None:
        if entry_id in self.labels_by_entry:
            return self.labels_by_entry[entry_id]
        row = self._store.label_by_entry(entry_id, self._conn)
        return None if row is None else self._remember(row)

    def entry_at_seq(self, signer: str, seq: int) -> EntryRef | None:
        if (signer, seq) in self.positions:
            return self.positions[(signer, seq)]
        row = self._store.entry_at_seq(signer, seq, self._conn)
        return None if row is None else EntryRef(row.idx, row.entry_id, row.kind, row.signer)

    def dataset_versions(self, dataset_id: str) -> list[DatasetRecord]:
        if dataset_id not in self.datasets:
            self.datasets[dataset_id] = [
                rows.dataset_record(r) for r in self._store.dataset_rows(dataset_id, self._conn)
            ]
        return self.datasets[dataset_id]

    def dataset_payload(self, entry_id: str) -> tuple[DatasetRecord, dict[str, Any]] | None:
        if entry_id in self.dataset_payloads:
            record, payload = self.dataset_payloads[entry_id]
            current = next(v for v in self.dataset_versions(record.dataset_id) if v.version == record.version)
            return current, payload
        row = self._store.dataset_by_entry(entry_id, self._conn)
        if row is None:
            return None
        envelope = self._store.dataset_envelope_by_id(entry_id, self._conn)
        if envelope is None:  # a damaged store: its dataset table names an entry its entries table lacks
            raise ConfigError(
                f"the store holds dataset entry {entry_id} in its dataset table but not in its entries",
                code="store.corrupt",
            )
        payload = parse_entry(envelope).body
        self.dataset_payloads[entry_id] = (rows.dataset_record(row), payload)
        return self.dataset_payload(entry_id)

    def profile_versions(self, publisher: str, profile_id: str) -> set[str]:
        logged = {
            parse_entry(bytes(row.envelope)).body["profile"]["version"]
            for row in self._store.find_entries(["profile.publish"], publisher, profile_id, self._conn)
        }
        return logged | {v for s, p, v in self.new_profiles if (s, p) == (publisher, profile_id)}

    def agreement_history(self) -> list[AgreementEvent]:
        return self._log.agreement_events() + [a.event for a in self.new_agreement_events]

    # batch bookkeeping
    def prefetch_labels(self, label_ids: Sequence[str]) -> None:
        wanted = [i for i in label_ids if i not in self._fetched_label_ids]
        for row in self._store.labels_by_ids(wanted, self._conn):
            if (row.scheme, row.label_id) not in self.labels:  # the batch's own changes win
                self._remember(row)
        self._fetched_label_ids.update(wanted)

    def _remember(self, row: LabelRow) -> LabelRecord:
        rec = LabelRecord(row.scheme, row.label_id, row.entry_id, row.idx, row.signer, row.status)
        self.labels[(row.scheme, row.label_id)] = rec
        self.labels_by_entry[row.entry_id] = rec
        return rec

    def apply(self, entry: Entry, index: int, changes: list[Change]) -> None:
        """Take an admitted entry's changes into the overlay, and move its signer's chain head."""
        for ch in changes:
            if isinstance(ch, AddScheme):
                self.schemes[ch.record.scheme_id] = ch.record
                self.new_schemes.append(ch.record)
            elif isinstance(ch, AddKey):
                self.keys[ch.record.key_id] = ch.record
            elif isinstance(ch, RevokeKey):
                old = self.key(ch.key_id)
                assert old is not None  # the rule book found it in this view (key_revoke, scheme_rotate)
                self.keys[ch.key_id] = dataclasses.replace(
                    old, revoked_index=ch.revoked_index, revoked_from_index=ch.revoked_from_index
                )
            elif isinstance(ch, RotateRoot):
                old_scheme = self.scheme(ch.scheme_id)
                assert old_scheme is not None  # scheme_rotate's current_root found it in this view
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
            committed = self._log.key(entry.signer)
            assert committed is not None  # admission refuses an unknown signer
            signer = self.keys[entry.signer] = dataclasses.replace(committed)
        signer.head_seq, signer.head_id = entry.seq, entry.entry_id

    def write(self) -> None:
        """Store the overlay's changes in the batch's transaction (the entries, nodes and checkpoint are the
        log's to write)."""
        store, conn = self._store, self._conn
        store.insert_rows(conn, SchemeRow, [dataclasses.asdict(s) for s in self.new_schemes])
        for rot in self.rotations:
            store.update_scheme_root(conn, rot.scheme_id, rot.new_root_key_id)
        store.replace_keys(conn, [rows.key_row(k) for k in self.keys.values()])
        store.insert_tuples(conn, LabelRow, rows.LABEL_COLUMNS, [rows.label_row(r, lb) for r, lb in self.new_labels])
        for ch in self.label_updates:
            values = {
                "status": ch.status,
                "status_index": ch.index,
                "status_entry": ch.by_entry,
                "replacement_entry": ch.replacement_entry,
            }
            store.update_label_status(conn, ch.scheme, ch.label_id, values)
        store.insert_rows(conn, DatasetRow, [rows.dataset_row(r, title) for r, title in self.new_datasets])
        store.insert_rows(conn, AgreementEventRow, [rows.agreement_event_row(a) for a in self.new_agreement_events])
        for rd in self.retired_datasets:
            store.retire_dataset(conn, rd.dataset_id, rd.version, rd.index, rd.by_entry)
