"""Every log a test builds, replayed through the buyer's rule book, must give the state the ledger holds.

DESIGN §2: the rule book is one pure fold shared by the log and the buyer. ``tests/conftest.py`` records each
:class:`ledger.log.Log` a test opens; when the test ends (before its PostgreSQL schema is dropped) each log's
entries are folded from index 0 by :func:`verifier.memory_state.replay` — the verifier's fold, which never
reads the ledger's tables — and every record the log derived (keys, schemes, labels and their status,
datasets, agreement events) must equal the replay's. A test that tampers with a store on purpose says so with
``@pytest.mark.tampers_store``.
"""

from __future__ import annotations

import weakref
from typing import Any

from verifier.envelope import parse_entry
from verifier.memory_state import MemoryState, replay

OPENED: list[weakref.ref[Any]] = []
REPLAYED = [0]  # logs replayed so far in this session (the suite's last test checks it is not zero)


def record(log: Any) -> None:
    OPENED.append(weakref.ref(log))


def check_opened_logs() -> None:
    """Replay every log recorded since the last call and compare; forget them."""
    logs = [r() for r in OPENED]
    OPENED.clear()
    seen: set[int] = set()
    for log in logs:
        if log is None or id(log.store) in seen:
            continue
        seen.add(id(log.store))
        check_log(log)


def check_log(log: Any) -> MemoryState:
    store = log.store
    log.reload()  # the ledger's own derivation, as a fresh process would read it
    size = log.size
    rows = store.entries(0, size)
    state = replay((r.idx, parse_entry(bytes(r.envelope))) for r in rows)
    REPLAYED[0] += 1
    assert state.size == size, f"replayed {state.size} entries of {size}"
    assert _keys(log.key_records()) == _keys(state.keys), "keys differ between the ledger and the rule book's replay"
    assert _schemes(log.scheme_records()) == _schemes(state.schemes)
    ledger_labels = {(r.scheme, r.label_id): (r.entry_id, r.idx, r.signer, r.status) for r in store.labels(None, 10**9)}
    replay_labels = {k: (v.entry_id, v.index, v.signer, v.status) for k, v in state.labels.items()}
    assert ledger_labels == replay_labels, "labels or their status differ"
    ledger_datasets = {
        (r.dataset_id, r.version): (r.publisher, r.entry_id, r.idx, r.status, r.retired_index)
        for r in store.dataset_rows()
    }
    replay_datasets = {
        (v.dataset_id, v.version): (v.publisher, v.entry_id, v.index, v.status, v.retired_index)
        for versions in state.datasets.values()
        for v in versions
    }
    assert ledger_datasets == replay_datasets, "datasets differ"
    assert _events(log.agreement_events()) == _events(state.agreement_history()), "agreement events differ"
    return state


def _keys(keys: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        k: (
            r.verifying_key.public_key,
            r.scheme,
            r.role,
            r.kinds,
            r.authorized_index,
            r.not_after,
            r.revoked_index,
            r.revoked_from_index,
            r.head_seq,
            r.head_id,
        )
        for k, r in keys.items()
    }


def _schemes(schemes: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {k: (r.root_key_id, r.role, r.name, r.registered_index) for k, r in schemes.items()}


def _events(events: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (e.kind, e.index, e.agreement_id, e.version, e.terms_hash, e.signer_scheme, e.signer_is_root, e.at)
        for e in events
    ]
