"""Attack: a hostile log signs a status map whose records are not what the rule book folds — wrong types,
missing members, contradictions with the entries it included (a label it says was issued by another entry, a
key it says does not exist, a scheme root the bundle does not lead to, a revoked label "active"). The proofs
verify (the log signed the root), so the verifier must read the records defensively: it answers with a
report, never an exception, and never passes a step on a record that contradicts the bundle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.log import Log
from ledger.store import Store
from verifier.checkpoint import format_checkpoint
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.note import parse_checkpoint, sign_note, split_note
from verifier.status_commit import format_status_extension
from verifier.status_map import EMPTY_ROOT, MemoryNodeStore, apply, leaf_value, map_key
from verifier.status_map_proof import prove
from verifier.status_records import record_bytes

from .status_world import CT, GD, HK, JP, MEE, NOW, StatusWorld, edit, run

EXITS = {0, 3, 4, 5, 6, 8}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StatusWorld]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'ledger.db'}")
    log = Log(store, SigningKey.generate(), "hostile.test/log", Policy(frozenset({GD, HK, CT, JP, MEE})), lambda: NOW)
    w = StatusWorld(log)
    w.mutual()
    w.issue("GD-HOSTILE-1")
    yield w
    store.close()


def _resigned(world: StatusWorld, bundle: bytes, records: dict[tuple[str, str], Any]) -> bytes:
    """The bundle with its status items replaced by ``records`` (None: absent) under a map of exactly them, and
    its checkpoint re-signed by the log's key with that map's root: what a hostile log would serve."""
    store, root = MemoryNodeStore(), EMPTY_ROOT
    present = {map_key(*k): leaf_value(record_bytes(r)) for k, r in records.items() if r is not None}
    root, nodes = apply(store, root, present)
    store.put_all(nodes)

    def swap(doc: dict[str, Any]) -> None:
        cp = parse_checkpoint(split_note(doc["checkpoint"])[0])
        body = format_checkpoint(
            cp.origin, cp.size, cp.root_hash, [format_status_extension(root, int(NOW.timestamp()))]
        )
        doc["checkpoint"] = sign_note(body, world.log.origin, world.log.log_key)
        doc["status"] = [
            {"kind": k, "id": i, "record": r, "proof": prove(store, root, map_key(k, i)).to_json()}
            for (k, i), r in sorted(records.items())
        ]

    return edit(bundle, swap)


def _honest(world: StatusWorld, bundle: bytes) -> dict[tuple[str, str], Any]:
    return {(it["kind"], it["id"]): it["record"] for it in json.loads(bundle)["status"]}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_records_get_a_report_never_an_exception(data: st.DataObject, world: StatusWorld) -> None:
    bundle = world.bundle2("GD-HOSTILE-1", HK)
    records = _honest(world, bundle)
    for key in data.draw(st.lists(st.sampled_from(sorted(records)), unique=True, max_size=3)):
        honest = records[key] or {}
        member = data.draw(st.sampled_from(sorted(honest) or ["x"]))
        records[key] = data.draw(
            st.one_of(
                st.none(),
                st.just({**honest, member: data.draw(JSON)}),
                st.dictionaries(st.text(max_size=6), JSON, max_size=3),
            )
        )
    r = run(_resigned(world, bundle, records), world.trust(), target_scheme=HK)
    assert r.exit_code() in EXITS
    json.dumps(r.to_dict())  # plain JSON, whatever the records held


def test_records_that_contradict_the_bundle_fail_their_step(world: StatusWorld) -> None:
    bundle = world.bundle2("GD-HOSTILE-1", HK)
    trust = world.trust()
    assert run(_resigned(world, bundle, _honest(world, bundle)), trust, target_scheme=HK).exit_code() == 0

    def with_changed(kind: str, **changes: Any) -> int:
        records = _honest(world, bundle)
        key = next(k for k in records if k[0] == kind)
        records[key] = None if changes.get("absent") else {**records[key], **changes}
        return run(_resigned(world, bundle, records), trust, target_scheme=HK).exit_code()

    assert with_changed("label", entry="0" * 64) == 3  # another entry issued it
    assert with_changed("label", absent=True) == 3  # the label does not exist
    assert with_changed("label", status="revoked") == 6
    assert with_changed("label", status="paused") == 6  # no status the verifier knows
    assert with_changed("key", absent=True) == 3
    assert with_changed("key", revoked_index=2, revoked_from_index=0) == 3
    assert with_changed("key", revoked_from_index="0", revoked_index=9) == 3  # unreadable
    assert with_changed("scheme", root_key="ab" * 32) == 3
    assert with_changed("pair", agreements=[]) == 4  # proven: no agreement
    assert with_changed("pair", agreements="gd-hk-mutual") == 4  # unreadable: no evidence
    assert with_changed("agreement", events=[]) == 4  # judged by the entries the record lists: none
