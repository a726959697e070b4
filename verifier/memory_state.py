"""The ledger state held in memory: what the rule book folds a bundle, or a whole replayed log, into.

:class:`MemoryState` is an :class:`~verifier.ledger_state.AuthorityView` that applies each admitted entry's
changes in log order (the log does the same against its store in ``ledger/log.py``). :func:`replay` folds a
whole log through the rule book and raises at the first entry that breaks a rule: a monitor's (or a test's)
independent re-derivation of the state the log holds. Pure: no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

from mapping.errors import CarbonLedgerError, RuleError
from mapping.negotiation import AgreementEvent

from .envelope import Entry
from .ledger_state import (
    ROOT,
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
from .rules import fold_entry

__all__ = ["MemoryState", "fold_log", "replay"]


class MemoryState:
    """Every record the rule book reads, in dicts; ``complete`` says whether it holds the whole log so far.

    Records are replaced, never changed in place, so :meth:`fork` (a shallow copy) is a cheap, independent
    continuation of a shared prefix: a shipment's bundles fold their common entries once."""

    def __init__(self, *, complete: bool) -> None:
        self._complete = complete
        self.keys: dict[str, KeyRecord] = {}
        self.schemes: dict[str, SchemeRecord] = {}
        self.labels: dict[tuple[str, str], LabelRecord] = {}
        self.labels_by_entry: dict[str, LabelRecord] = {}
        self.label_status: dict[tuple[str, str], SetLabelStatus] = {}  # the entry that ended each label
        self.positions: dict[tuple[str, int], EntryRef] = {}
        self.datasets: dict[str, list[DatasetRecord]] = {}
        self.dataset_payloads: dict[str, tuple[DatasetRecord, dict]] = {}
        self.profiles: set[tuple[str, str, str]] = set()
        self.agreements: list[AddAgreementEvent] = []
        self.size = 0  # one more than the index of the last entry folded

    @property
    def complete(self) -> bool:
        return self._complete

    def fork(self) -> MemoryState:
        """An independent copy to fold further entries into (the records themselves are shared: immutable)."""
        other = MemoryState.__new__(MemoryState)
        other.__dict__.update({k: (v.copy() if isinstance(v, dict | list | set) else v) for k, v in vars(self).items()})
        return other

    # AuthorityView
    def key(self, key_id: str) -> KeyRecord | None:
        return self.keys.get(key_id)

    def scheme(self, scheme_id: str) -> SchemeRecord | None:
        return self.schemes.get(scheme_id)

    def label(self, scheme_id: str, label_id: str) -> LabelRecord | None:
        return self.labels.get((scheme_id, label_id))

    def label_by_entry(self, entry_id: str) -> LabelRecord | None:
        return self.labels_by_entry.get(entry_id)

    def entry_at_seq(self, signer: str, seq: int) -> EntryRef | None:
        return self.positions.get((signer, seq))

    def dataset_versions(self, dataset_id: str) -> list[DatasetRecord]:
        return list(self.datasets.get(dataset_id, ()))

    def dataset_payload(self, entry_id: str) -> tuple[DatasetRecord, dict] | None:
        found = self.dataset_payloads.get(entry_id)
        if found is None:
            return None
        record, payload = found
        current = next(v for v in self.datasets[record.dataset_id] if v.version == record.version)
        return current, payload

    def profile_versions(self, publisher: str, profile_id: str) -> set[str]:
        return {v for s, p, v in self.profiles if (s, p) == (publisher, profile_id)}

    def agreement_history(self) -> list[AgreementEvent]:
        return [a.event for a in self.agreements]

    # reading the folded state
    def roots(self, scheme_id: str) -> list[KeyRecord]:
        """The scheme's root keys in log order: its registration's, then each rotation's."""
        return sorted(
            (k for k in self.keys.values() if k.scheme == scheme_id and k.role == ROOT),
            key=lambda k: k.authorized_index,
        )

    # applying an admitted entry
    def apply(self, entry: Entry, index: int, changes: list[Change]) -> None:
        for ch in changes:
            self._apply_one(entry, ch)
        self.positions[(entry.signer, entry.seq)] = EntryRef(index, entry.entry_id, entry.kind, entry.signer)
        signer = self.keys.get(entry.signer)
        if signer is not None:
            self.keys[entry.signer] = dataclasses.replace(signer, head_seq=entry.seq, head_id=entry.entry_id)
        self.size = max(self.size, index + 1)

    def _apply_one(self, entry: Entry, ch: Change) -> None:
        if isinstance(ch, AddScheme):
            self.schemes[ch.record.scheme_id] = ch.record
        elif isinstance(ch, AddKey):
            self.keys[ch.record.key_id] = ch.record
        elif isinstance(ch, RevokeKey):
            old = self.keys[ch.key_id]
            self.keys[ch.key_id] = dataclasses.replace(
                old, revoked_index=ch.revoked_index, revoked_from_index=ch.revoked_from_index
            )
        elif isinstance(ch, RotateRoot):
            self.schemes[ch.scheme_id] = dataclasses.replace(self.schemes[ch.scheme_id], root_key_id=ch.new_root_key_id)
        elif isinstance(ch, AddLabel):
            self.labels[(ch.record.scheme, ch.record.label_id)] = ch.record
            self.labels_by_entry[ch.record.entry_id] = ch.record
        elif isinstance(ch, SetLabelStatus):
            new = dataclasses.replace(self.labels[(ch.scheme, ch.label_id)], status=ch.status)
            self.labels[(ch.scheme, ch.label_id)] = new
            self.labels_by_entry[new.entry_id] = new
            self.label_status[(ch.scheme, ch.label_id)] = ch
        elif isinstance(ch, AddDataset):
            self.datasets[ch.record.dataset_id] = [*self.datasets.get(ch.record.dataset_id, ()), ch.record]
            self.dataset_payloads[ch.record.entry_id] = (ch.record, ch.payload)
        elif isinstance(ch, RetireDataset):
            self.datasets[ch.dataset_id] = [
                dataclasses.replace(v, status="retired", retired_index=ch.index) if v.version == ch.version else v
                for v in self.datasets[ch.dataset_id]
            ]
        elif isinstance(ch, AddProfile):
            self.profiles.add((ch.publisher, ch.profile_id, ch.version))
        elif isinstance(ch, AddAgreementEvent):
            self.agreements.append(ch)


def replay(entries: Iterable[tuple[int, Entry]]) -> MemoryState:
    """Fold a whole log, ``(index, entry)`` from index 0 in order, through the rule book; raise a
    :class:`RuleError` naming the index and the rule at the first entry the rules refuse."""
    state = MemoryState(complete=True)
    for _ in fold_log(entries, state):
        pass
    return state


def fold_log(entries: Iterable[tuple[int, Entry]], state: MemoryState) -> Iterator[tuple[int, str, list[Change]]]:
    """Fold the next entries of a log, ``(index, entry)`` in order from ``state.size``, into ``state``; yield
    each entry's ``(index, entry id, changes)``. Raises :class:`RuleError` naming the index and the rule at the
    first entry the rules refuse (or a gap)."""
    for index, entry in entries:
        if index != state.size:
            raise RuleError(f"entry at index {index} follows index {state.size - 1}: a log has no gaps", code="log.gap")
        try:
            changes = fold_entry(entry, index, state)
        except CarbonLedgerError as e:  # a rule broken, or a signature or payload that does not verify
            raise RuleError(f"entry {index} ({entry.kind}) breaks {e.code}: {e.message}", code=e.code) from e
        state.apply(entry, index, changes)
        yield index, entry.entry_id, changes
