"""Status records: what the status map holds for each status-bearing object, derived from the rule book.

DESIGN §3 (status map): the map is "derived deterministically from the log's entries by the rule book's fold".
Each admitted entry's :data:`~verifier.ledger_state.Change` list says which objects it touches; this module
folds those changes into one record per object, a small JSON object whose canonical bytes
(:func:`record_bytes`, RFC 8785) the map commits to by :func:`verifier.status_map.leaf_value`. Pure: the
previous records come from the ``read`` function the caller hands in (the log's store, or a dict).

Objects and their ids (the map key is :func:`verifier.status_map.map_key` of kind and id):

- ``label`` — id :func:`label_object_id` (the JSON array ``[scheme, label_id]``): the entry that issued it,
  its status (``active``, ``revoked`` or ``superseded``) and the entry that decided it;
- ``key`` — id the key id: its scheme, role, kinds, ``not_after``, and its revocation with the compromise
  index (entries at or after ``revoked_from_index`` stop counting);
- ``scheme`` — id the scheme id: its current root key, its role and where it was registered;
- ``agreement`` — id the agreement id: its two parties and every event (entry id, index, kind, version) in log
  order, so a bundle carrying those entries carries the whole history the rule book folds;
- ``pair`` — id :func:`pair_object_id` (the sorted JSON array of two scheme ids): the agreements between them,
  so the absence of any is provable (no record, or none listed);
- ``dataset`` — id the dataset id: its publisher and every version with its entry and status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from verifier.canonical import canonicalize
from verifier.ledger_state import (
    AddAgreementEvent,
    AddDataset,
    AddKey,
    AddLabel,
    AddScheme,
    Change,
    RetireDataset,
    RevokeKey,
    RotateRoot,
    SetLabelStatus,
)
from verifier.status_map import leaf_value, map_key

__all__ = [
    "Record",
    "StatusKey",
    "label_object_id",
    "map_updates",
    "objects_read",
    "pair_object_id",
    "record_bytes",
    "status_changes",
    "status_key_bytes",
]

StatusKey = tuple[str, str]  # (kind, object id)
Record = dict[str, Any]
ReadRecord = Callable[[StatusKey], Record | None]


def label_object_id(scheme: str, label_id: str) -> str:
    return canonicalize([scheme, label_id]).decode()


def pair_object_id(scheme_a: str, scheme_b: str) -> str:
    return canonicalize(sorted((scheme_a, scheme_b))).decode()


def record_bytes(record: Record) -> bytes:
    return canonicalize(record)


def status_key_bytes(key: StatusKey) -> bytes:
    return map_key(*key)


def map_updates(records: Mapping[StatusKey, Record]) -> dict[bytes, bytes]:
    """The status map's (key, value) pairs for these records."""
    return {map_key(*k): leaf_value(record_bytes(r)) for k, r in records.items()}


def objects_read(ch: Change) -> list[StatusKey]:
    """The objects whose previous record the change reads (or, for a new key or scheme, might replace)."""
    if isinstance(ch, SetLabelStatus):
        return [("label", label_object_id(ch.scheme, ch.label_id))]
    if isinstance(ch, RevokeKey):
        return [("key", ch.key_id)]
    if isinstance(ch, AddKey):
        return [("key", ch.record.key_id)]
    if isinstance(ch, AddScheme):
        return [("scheme", ch.record.scheme_id)]
    if isinstance(ch, RotateRoot):
        return [("scheme", ch.scheme_id)]
    if isinstance(ch, AddDataset):
        return [("dataset", ch.record.dataset_id)]
    if isinstance(ch, RetireDataset):
        return [("dataset", ch.dataset_id)]
    if isinstance(ch, AddAgreementEvent):
        ev = ch.event
        out = [("agreement", ev.agreement_id)]
        if ev.terms is not None:
            out.append(("pair", pair_object_id(*ev.terms.parties)))
        return out
    return []  # a new label (the rule book refuses a label id twice) or a profile


def status_changes(entries: Iterable[tuple[int, str, Iterable[Change]]], read: ReadRecord) -> dict[StatusKey, Record]:
    """The new record of every object that ``entries`` — ``(index, entry id, changes)`` of admitted entries in
    log order — touch; ``read`` gives an object's record before them (None for a new object)."""
    out: dict[StatusKey, Record] = {}

    def current(key: StatusKey) -> Record | None:
        return out[key] if key in out else read(key)

    for index, entry_id, changes in entries:
        for ch in changes:
            for key, record in _evolve(ch, index, entry_id, current):
                out[key] = record
    return out


def _evolve(ch: Change, index: int, entry_id: str, current: ReadRecord) -> list[tuple[StatusKey, Record]]:
    """The (object, new record) pairs one change makes."""
    if isinstance(ch, AddScheme):
        r = ch.record
        return [
            (
                ("scheme", r.scheme_id),
                {"root_key": r.root_key_id, "role": r.role, "registered_index": r.registered_index, "rotations": []},
            )
        ]
    if isinstance(ch, RotateRoot):
        key = ("scheme", ch.scheme_id)
        old = _required(current, key)
        rotation = {"index": index, "entry": entry_id, "root_key": ch.new_root_key_id}
        return [(key, {**old, "root_key": ch.new_root_key_id, "rotations": [*old["rotations"], rotation]})]
    if isinstance(ch, AddKey):
        k = ch.record
        return [
            (
                ("key", k.key_id),
                {
                    "scheme": k.scheme,
                    "role": k.role,
                    "kinds": sorted(k.kinds),
                    "authorized_index": k.authorized_index,
                    "not_after": None if k.not_after is None else k.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "revoked_index": None,
                    "revoked_from_index": None,
                },
            )
        ]
    if isinstance(ch, RevokeKey):
        key = ("key", ch.key_id)
        old = _required(current, key)
        return [(key, {**old, "revoked_index": ch.revoked_index, "revoked_from_index": ch.revoked_from_index})]
    if isinstance(ch, AddLabel):
        lr = ch.record
        record = {"entry": lr.entry_id, "index": lr.index, "status": lr.status, "decided_by": None, "replacement": None}
        return [(("label", label_object_id(lr.scheme, lr.label_id)), record)]
    if isinstance(ch, SetLabelStatus):
        key = ("label", label_object_id(ch.scheme, ch.label_id))
        old = _required(current, key)
        decided = {"status": ch.status, "decided_by": ch.by_entry, "replacement": ch.replacement_entry}
        return [(key, {**old, **decided})]
    if isinstance(ch, AddDataset):
        d = ch.record
        key = ("dataset", d.dataset_id)
        old = current(key) or {"publisher": d.publisher, "versions": []}
        version = {"version": d.version, "entry": d.entry_id, "index": d.index, "status": d.status}
        return [(key, {**old, "versions": sorted([*old["versions"], version], key=lambda v: v["version"])})]
    if isinstance(ch, RetireDataset):
        key = ("dataset", ch.dataset_id)
        old = _required(current, key)
        versions = [
            {**v, "status": "retired", "retired_by": ch.by_entry} if v["version"] == ch.version else v
            for v in old["versions"]
        ]
        return [(key, {**old, "versions": versions})]
    if isinstance(ch, AddAgreementEvent):
        return _agreement_event(ch, index, entry_id, current)
    return []  # profiles carry no status


def _agreement_event(
    ch: AddAgreementEvent, index: int, entry_id: str, current: ReadRecord
) -> list[tuple[StatusKey, Record]]:
    ev = ch.event
    key = ("agreement", ev.agreement_id)
    old = current(key)
    event = {"entry": entry_id, "index": index, "kind": ev.kind, "version": ev.version}
    out: list[tuple[StatusKey, Record]] = []
    if old is None:
        if ev.terms is None:
            raise ValueError(f"agreement {ev.agreement_id!r} starts with a {ev.kind}, not a proposal")
        parties = sorted(ev.terms.parties)
        old = {"parties": parties, "events": []}
        pair = ("pair", pair_object_id(*parties))
        known = current(pair) or {"agreements": []}
        out.append((pair, {"agreements": sorted({*known["agreements"], ev.agreement_id})}))
    out.append((key, {**old, "events": [*old["events"], event]}))
    return out


def _required(current: ReadRecord, key: StatusKey) -> Record:
    record = current(key)
    if record is None:  # the rule book admitted a change to an object it never created: a bug, not input
        raise ValueError(f"no status record for {key[0]} {key[1]!r} before a change to it")
    return record
