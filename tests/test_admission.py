"""Admission rules one by one (DESIGN §3), on real SQLite and real PostgreSQL.

Every refusal has a stable code and leaves the log's size, root and newest
checkpoint exactly as they were.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from ledger.log import Log
from ledger.store import Store
from mapping.errors import CarbonLedgerError
from verifier.canonical import canonicalize
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.merkle import leaf_hash, verify_consistency, verify_inclusion
from verifier.note import parse_checkpoint, verify_note

from .helpers import NOW, Signer, label_for

GD, HK = "gd-carbon-label", "hk-cma-carbon-label"


@pytest.fixture
def make_log(db_url: str) -> Iterator[Callable[..., Log]]:
    stores: list[Store] = []
    log_key = SigningKey.generate()

    def make(clock=lambda: NOW, allowed=(GD, HK)) -> Log:  # type: ignore[no-untyped-def]
        store = Store(db_url)
        stores.append(store)
        return Log(store, log_key, "test.carbonledger/log", Policy(frozenset(allowed)), clock)

    yield make
    for s in stores:
        s.close()


@pytest.fixture
def log(make_log: Callable[..., Log]) -> Log:
    return make_log()


class World:
    """A log with Guangdong and Hong Kong registered and CQC Guangzhou authorized to issue."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.gd, self.hk, self.cqc = Signer(), Signer(), Signer()
        for env in (self.gd.register(GD), self.hk.register(HK), self.gd.authorize(GD, self.cqc)):
            log.submit(env)

    def issue(self, label_id: str, signer: Signer | None = None) -> tuple[bytes, object]:
        env = (signer or self.cqc).issue(label_for(GD, label_id))
        return env, self.log.submit(env)


@pytest.fixture
def world(log: Log) -> World:
    return World(log)


def refused(log: Log, envelope: bytes, code: str) -> CarbonLedgerError:
    """Submit ``envelope``, expect refusal with ``code``, and check nothing stored changed."""
    size, root, cp = log.size, log.root(), log.checkpoint()
    result = log.submit_many([envelope])[0]
    assert isinstance(result, CarbonLedgerError), f"expected {code}, entry was accepted"
    assert result.code == code, result
    assert (log.size, log.root(), log.checkpoint()) == (size, root, cp)
    assert log.store.tree_size() == size
    return result


def test_receipt_proves_inclusion_under_the_signed_checkpoint(world: World) -> None:
    env, receipt = world.issue("GD-1")
    log = world.log
    assert verify_note(receipt.checkpoint, [log.vkey]) == [log.origin]
    cp = parse_checkpoint(receipt.checkpoint.split("\n\n")[0] + "\n")
    assert cp.size == receipt.tree_size == 4
    verify_inclusion(leaf_hash(env), receipt.index, cp.size, receipt.inclusion_proof, cp.root_hash)
    assert log.entry(receipt.index).envelope == env


def test_consistency_between_checkpoints(world: World) -> None:
    log = world.log
    root3 = log.root(3)
    for i in range(5):
        world.issue(f"GD-{i}")
    verify_consistency(3, log.size, log.consistency_proof(3, log.size), root3, log.root())


def test_unknown_signer(world: World) -> None:
    refused(world.log, Signer().issue(label_for(GD, "X")), "entry.unknown_signer")


def test_bad_signature(world: World) -> None:
    env = world.cqc.issue(label_for(GD, "X"), advance=False)
    doc = json.loads(env)
    doc["signatures"][0]["sig"] = base64.b64encode(SigningKey.generate().sign(b"other")).decode()
    refused(world.log, canonicalize(doc), "signature.invalid")


def test_unauthorized_kind(world: World) -> None:
    env = world.cqc.authorize(GD, Signer())
    refused(world.log, env, "authority.unauthorized_kind")


def test_label_for_another_scheme(world: World) -> None:
    refused(world.log, world.cqc.issue(label_for(HK, "X")), "authority.wrong_scheme")


def test_revoked_key(world: World) -> None:
    world.log.submit(world.gd.sign("key.revoke", {"scheme": GD, "key_id": world.cqc.key_id, "reason": "left"}))
    refused(world.log, world.cqc.issue(label_for(GD, "X")), "authority.key_revoked")


def test_expired_key(world: World) -> None:
    late = Signer()
    world.log.submit(world.gd.authorize(GD, late, extra={"not_after": "2026-11-01T00:00:00Z"}))
    refused(world.log, late.issue(label_for(GD, "X")), "authority.key_expired")


def test_chain_gap(world: World) -> None:
    refused(world.log, world.cqc.issue(label_for(GD, "X"), seq=5), "chain.gap")


def test_chain_fork_wrong_prev(world: World) -> None:
    world.issue("GD-1")
    refused(world.log, world.cqc.issue(label_for(GD, "X"), prev="ab" * 32), "chain.fork")


def test_chain_fork_reused_seq(world: World) -> None:
    world.issue("GD-1")
    refused(world.log, world.cqc.issue(label_for(GD, "GD-other"), seq=0, prev="0" * 64), "chain.fork")


def test_duplicate_entry(world: World) -> None:
    env, _ = world.issue("GD-1")
    refused(world.log, env, "entry.duplicate")


def test_duplicate_label_id(world: World) -> None:
    world.issue("GD-1")
    refused(world.log, world.cqc.issue(label_for(GD, "GD-1")), "label.duplicate_id")


def test_schema_violation(world: World) -> None:
    label = label_for(GD, "X")
    del label["footprint"]["pcf"]
    err = refused(world.log, world.cqc.issue(label), "schema.invalid")
    assert err.field == "/label/footprint"


def test_non_canonical_envelope(world: World) -> None:
    env = world.cqc.issue(label_for(GD, "X"), advance=False)
    refused(world.log, json.dumps(json.loads(env), indent=1).encode(), "json.non_canonical")


def test_oversized_entry(world: World) -> None:
    refused(world.log, b"{" + b" " * 70000 + b"}", "input.oversized")


@pytest.mark.parametrize("offset", [timedelta(minutes=6), timedelta(minutes=-6)])
def test_clock_skew(world: World, offset: timedelta) -> None:
    refused(world.log, world.cqc.issue(label_for(GD, "X"), now=NOW + offset), "clock.skew")


def test_clock_within_skew_is_fine(world: World) -> None:
    world.log.submit(world.cqc.issue(label_for(GD, "X"), now=NOW - timedelta(minutes=4)))


def test_second_registration_of_a_bound_scheme(world: World) -> None:
    refused(world.log, Signer().register(GD), "scheme.already_bound")


def test_scheme_not_on_allow_list(world: World) -> None:
    refused(world.log, Signer().register("xx-unknown-label"), "scheme.not_allowed")


def test_register_must_be_self_signed(world: World) -> None:
    a, b = Signer(), Signer()
    env = a.sign(
        "scheme.register", {"scheme": {"id": "xx-label", "name": "X", "role": "scheme"}, "public_key": b.public_b64}
    )
    refused(world.log, env, "scheme.not_self_signed")


def test_revocation_by_a_key_without_authority(world: World) -> None:
    _, receipt = world.issue("GD-1")
    other_cb = Signer()
    world.log.submit(world.gd.authorize(GD, other_cb, kinds=["label.issue"]))
    entry_id = receipt.entry_id  # type: ignore[attr-defined]
    fields = {"scheme": GD, "label_id": "GD-1", "label_entry": entry_id, "reason": "not mine"}
    refused(world.log, other_cb.sign("label.revoke", fields), "authority.not_label_authority")
    # nor may another scheme's root
    refused(world.log, world.hk.sign("label.revoke", fields), "authority.not_label_authority")


def test_label_revoked_by_its_own_key_and_by_an_authorized_key(world: World) -> None:
    _, r1 = world.issue("GD-1")
    _, r2 = world.issue("GD-2")
    world.log.submit(
        world.cqc.sign(
            "label.revoke", {"scheme": GD, "label_id": "GD-1", "label_entry": r1.entry_id, "reason": "error"}
        )
    )  # type: ignore
    office = Signer()
    world.log.submit(world.gd.authorize(GD, office, kinds=["label.revoke"]))
    world.log.submit(
        office.sign("label.revoke", {"scheme": GD, "label_id": "GD-2", "label_entry": r2.entry_id, "reason": "audit"})
    )  # type: ignore
    statuses = {r.label_id: r.status for r in world.log.store.labels(GD)}
    assert statuses == {"GD-1": "revoked", "GD-2": "revoked"}
    refused(
        world.log,
        world.cqc.sign(
            "label.revoke", {"scheme": GD, "label_id": "GD-1", "label_entry": r1.entry_id, "reason": "again"}
        ),  # type: ignore
        "label.not_active",
    )


def test_supersede_needs_a_replacement_already_logged(world: World) -> None:
    _, r1 = world.issue("GD-1")
    office = Signer()
    world.log.submit(world.gd.authorize(GD, office, kinds=["label.supersede"]))
    fields = {
        "scheme": GD,
        "label_id": "GD-1",
        "label_entry": r1.entry_id,
        "replacement_entry": "cd" * 32,  # type: ignore
        "reason": "corrected",
    }
    refused(world.log, office.sign("label.supersede", fields, advance=False), "label.replacement_unknown")
    _, r2 = world.issue("GD-1b")
    world.log.submit(office.sign("label.supersede", dict(fields, replacement_entry=r2.entry_id)))  # type: ignore
    row = next(r for r in world.log.store.labels(GD) if r.label_id == "GD-1")
    assert (row.status, row.replacement_entry) == ("superseded", r2.entry_id)  # type: ignore


def test_authority_by_log_order_not_by_date(world: World) -> None:
    """A label signed by a key that is authorized only later in the log is refused when it arrives first."""
    early = Signer()
    label_env = early.issue(label_for(GD, "EARLY"))
    refused(world.log, label_env, "entry.unknown_signer")
    world.log.submit(world.gd.authorize(GD, early))
    world.log.submit(label_env)  # now, after the authorization, it is admitted


def test_rotation_hands_the_scheme_to_the_new_root(world: World) -> None:
    new_root = Signer()
    world.log.submit(world.gd.sign("scheme.rotate", {"scheme": GD, "new_public_key": new_root.public_b64}))
    refused(world.log, world.gd.authorize(GD, Signer()), "authority.key_revoked")
    world.log.submit(new_root.authorize(GD, Signer()))
    refused(
        world.log,
        world.hk.sign("scheme.rotate", {"scheme": GD, "new_public_key": Signer().public_b64}),
        "authority.not_root",
    )


def test_batch_admits_in_order_and_refuses_individually(log: Log) -> None:
    gd, cqc = Signer(), Signer()
    good = [gd.register(GD), gd.authorize(GD, cqc), cqc.issue(label_for(GD, "A"))]
    bad = Signer().issue(label_for(GD, "B"))
    results = log.submit_many([good[0], bad, good[1], good[2], good[2]])
    codes = [getattr(r, "code", None) for r in results]
    assert codes == [None, "entry.unknown_signer", None, None, "entry.duplicate"]
    assert [r.index for r in results if not isinstance(r, CarbonLedgerError)] == [0, 1, 2]  # type: ignore


def test_reopening_the_store_restores_state(make_log: Callable[..., Log]) -> None:
    first = make_log()
    w = World(first)
    w.issue("GD-1")
    root = first.root()
    again = make_log()
    assert (again.size, again.root()) == (first.size, root)
    again.submit(w.cqc.issue(label_for(GD, "GD-2")))  # the chain continues from the stored head
    refused(again, w.cqc.issue(label_for(GD, "GD-3"), seq=0, prev="0" * 64), "chain.fork")
