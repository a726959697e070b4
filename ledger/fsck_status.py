"""fsck's checks of the derived tables (``ledger/fsck.py`` step 4), against the verifier's replay of the entries.

- ``status_records``: exactly the records the replay holds at the tree size (map key, kind, id, canonical bytes);
- ``status_record_versions``: each row's value is the map value of its record;
- ``status_nodes``: every page splits into nodes and every node hashes to its address (a page edited behind the
  log's back); from the newest status root down, every node is where its parent says and the map's leaves are
  as many as the records;
- ``keys``, ``schemes``, ``labels``, ``datasets``, ``agreement_events``: each row is the record the rule book
  derives (the columns a load reads back), and no row is missing or extra.

Each check raises :class:`Found` with the first :class:`Difference`, in key order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from mapping.errors import CarbonLedgerError
from verifier.memory_state import MemoryState
from verifier.status_map import EMPTY_HASH, INTERNAL_TYPE, check_node, leaf_value, map_key, read_nodes
from verifier.status_records import record_bytes
from verifier.status_replay import StatusReplay

from . import rows, status_store
from .store import Store
from .tables import AgreementEventRow, StatusNodeRow, StatusRecordRow, StatusRecordVersionRow

__all__ = ["Difference", "Found", "check_records", "check_status_tables"]

Tick = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class Difference:
    """The first thing the store holds that the entries do not give: the table, the row (and column), what the
    entries give there and what is stored."""

    table: str
    key: str
    expected: str
    found: str

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "key": self.key, "expected": self.expected, "found": self.found}

    def __str__(self) -> str:
        return f"{self.table} {self.key}: expected {self.expected}, found {self.found}"


class Found(Exception):
    """Raised at the first difference; fsck catches it and reports it."""

    def __init__(self, difference: Difference) -> None:
        super().__init__(str(difference))
        self.difference = difference


def check_status_tables(store: Store, replay: StatusReplay, size: int, tick: Tick) -> None:
    """Requires the replay of every entry, ``size`` of them. The status tables against it (module docstring)."""
    expected = {map_key(k, o): (k, o, record_bytes(r)) for (k, o), r in replay.records.items()}
    with store.read() as conn:
        q = select(StatusRecordRow.map_key, StatusRecordRow.kind, StatusRecordRow.object_id, StatusRecordRow.record)
        stored = {bytes(mk): (kind, oid, bytes(rec)) for mk, kind, oid, rec in conn.execute(q)}
    _compare("status_records", expected, stored, lambda mk: f"map key {mk.hex()}", ("kind", "object_id", "record"))
    tick("status_records", len(stored))
    with store.read() as conn:
        q2 = select(StatusRecordVersionRow.value, StatusRecordVersionRow.record)
        for value, record in conn.execute(q2):
            if leaf_value(bytes(record)) != bytes(value):
                raise Found(
                    Difference(
                        "status_record_versions",
                        f"value {bytes(value).hex()}",
                        "a record whose map value is the key",
                        f"a record whose map value is {leaf_value(bytes(record)).hex()}",
                    )
                )
            tick("status_record_versions", 1)
        for page, blob in conn.execute(select(StatusNodeRow.id, StatusNodeRow.nodes).order_by(StatusNodeRow.id)):
            nodes = status_store.unpack_page(bytes(blob))
            if blob and not nodes:
                raise Found(Difference("status_nodes", f"page {page}", "whole 113-byte nodes", f"{len(blob)} bytes"))
            for k, (h, value) in enumerate(nodes):
                try:
                    check_node(h, value[:65])
                except CarbonLedgerError as e:
                    raise Found(
                        Difference("status_nodes", f"page {page} node {k}", f"a node hashing to {h.hex()}", e.message)
                    ) from e
            tick("status_nodes", 1)
        _walk(store, conn, size, len(replay.records), tick)


def _walk(store: Store, conn: Any, size: int, records: int, tick: Tick) -> None:
    """Every node under the root at ``size``, read down from it as a proof reads it; its leaves are the records."""
    found = status_store.root_at(conn, size)
    if found is None or found[0] == EMPTY_HASH:
        return
    reader = status_store.StoreNodeReader(store, conn, status_store.NodeCache(0), {found[0]: found[1]})
    frontier, leaves = [found[0]], 0
    while frontier:
        try:
            got = read_nodes(reader, frontier)
        except CarbonLedgerError as e:
            raise Found(
                Difference("status_nodes", "under the newest status root", "every node of the map", e.message)
            ) from e
        tick("status_map_nodes", len(got))
        frontier = []
        for enc in got.values():
            if enc[0] == INTERNAL_TYPE:
                frontier.extend(c for c in (enc[1:33], enc[33:65]) if c != EMPTY_HASH)
            else:
                leaves += 1
    if leaves != records:
        raise Found(
            Difference("status_nodes", "under the newest status root", f"{records} leaves (the records)", f"{leaves}")
        )


def check_records(store: Store, state: MemoryState, tick: Tick) -> None:
    """Requires the rule book's state after every entry. The authority rows against it (module docstring)."""
    key_cols = list(rows.key_row(next(iter(state.keys.values()))).keys()) if state.keys else []
    _compare(
        "keys",
        {k: rows.key_row(r) for k, r in state.keys.items()},
        {r.key_id: {c: _plain(getattr(r, c)) for c in key_cols} for r in store.keys()},
        lambda k: f"key_id {k}",
    )
    _compare(
        "schemes",
        {s: (r.root_key_id, r.role, r.name, r.registered_index) for s, r in state.schemes.items()},
        {r.scheme_id: (r.root_key_id, r.role, r.name, r.registered_index) for r in store.schemes()},
        lambda s: f"scheme_id {s}",
        ("root_key_id", "role", "name", "registered_index"),
    )
    ended = state.label_status
    _compare(
        "labels",
        {
            k: (
                r.entry_id,
                r.index,
                r.signer,
                r.status,
                ended[k].index if k in ended else None,
                ended[k].by_entry if k in ended else None,
                ended[k].replacement_entry if k in ended else None,
            )
            for k, r in state.labels.items()
        },
        {
            (r.scheme, r.label_id): (
                r.entry_id,
                r.idx,
                r.signer,
                r.status,
                r.status_index,
                r.status_entry,
                r.replacement_entry,
            )
            for r in store.labels(None, 1 << 62)
        },
        lambda k: f"scheme {k[0]} label_id {k[1]}",
        ("entry_id", "idx", "signer", "status", "status_index", "status_entry", "replacement_entry"),
    )
    _compare(
        "datasets",
        {
            (v.dataset_id, v.version): (v.publisher, v.entry_id, v.index, v.status, v.retired_index)
            for versions in state.datasets.values()
            for v in versions
        },
        {
            (r.dataset_id, r.version): (r.publisher, r.entry_id, r.idx, r.status, r.retired_index)
            for r in store.dataset_rows()
        },
        lambda k: f"dataset_id {k[0]} version {k[1]}",
        ("publisher", "entry_id", "idx", "status", "retired_index"),
    )
    with store.read() as conn:
        cols = [c.name for c in AgreementEventRow.__table__.columns]  # type: ignore[attr-defined]
        stored_events = {r.idx: {c: getattr(r, c) for c in cols} for r in conn.execute(select(AgreementEventRow))}
    _compare(
        "agreement_events",
        {a.event.index: rows.agreement_event_row(a) for a in state.agreements},
        stored_events,
        lambda i: f"idx {i}",
    )
    for table, n in (("keys", len(state.keys)), ("schemes", len(state.schemes)), ("labels", len(state.labels))):
        tick(table, n)


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, bytearray | memoryview) else value


def _compare(
    table: str,
    expected: Mapping[Any, Any],
    stored: Mapping[Any, Any],
    name: Callable[[Any], str],
    columns: Iterable[str] | None = None,
) -> None:
    """The first key (in sorted order) whose stored row is missing, extra or different, named precisely."""
    for key in sorted(set(expected) | set(stored)):
        want, got = expected.get(key), stored.get(key)
        if want == got:
            continue
        if want is None or got is None:
            raise Found(
                Difference(
                    table,
                    name(key),
                    "no row" if want is None else f"a row {_show(want)}",
                    "no row" if got is None else f"a row {_show(got)}",
                )
            )
        pairs = (
            [(c, want[c], got.get(c)) for c in want]
            if isinstance(want, dict)
            else list(zip(columns or range(len(want)), want, got, strict=False))
        )
        column, w, g = next((c, w, g) for c, w, g in pairs if w != g)
        raise Found(Difference(table, f"{name(key)} column {column}", _show(w), _show(g)))


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return value.hex() if len(value) <= 64 else f"{len(value)} bytes {value[:32].hex()}…"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return repr(value)
