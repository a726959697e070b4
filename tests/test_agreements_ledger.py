"""Recognition agreements in the ledger (on real SQLite and PostgreSQL): negotiation entries, admission
refusals that leave the log unchanged, persistence across reopening, and equivalence verdicts for
logged labels — the shipped illustrative GD <-> HK mutual recognition and the GD -> Carbon Trust
one-way agreement with AR6 re-characterization."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger import agreements_service as svc
from ledger.log import Log
from ledger.store import Store
from mapping.errors import CarbonLedgerError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for

GD, HK, CT, JP = "gd-carbon-label", "hk-cma-carbon-label", "carbontrust-label", "jp-sumpo-cfp"
TERMS = Path(__file__).parent.parent / "mapping" / "data" / "agreements"


def terms(name: str, **changes: Any) -> dict[str, Any]:
    doc = json.loads((TERMS / f"{name}.json").read_text(encoding="utf-8"))
    doc.update(changes)
    return doc


def current_label(label_id: str) -> dict[str, Any]:
    label = label_for(GD, label_id)
    label["issued_at"], label["valid_until"] = "2026-06-01", "2029-05-31"
    return label


class World:
    def __init__(self, log: Log, key: SigningKey) -> None:
        self.log, self.key = log, key
        self.roots = {s: Signer() for s in (GD, HK, CT, JP)}
        self.cqc = Signer()
        for scheme, signer in self.roots.items():
            log.submit(signer.register(scheme))
        log.submit(self.roots[GD].authorize(GD, self.cqc))

    def propose(self, scheme: str, doc: dict[str, Any], answers: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.log.submit(self.roots[scheme].sign("agreement.propose", svc.propose_fields(scheme, doc, answers),
                                                       **kw))  # fmt: skip

    def accept_entry(self, scheme: str, agreement_id: str, version: int, terms_hash: str, signer: Signer | None = None):  # type: ignore[no-untyped-def]
        ref = {"id": agreement_id, "version": version, "terms_hash": terms_hash}
        return (signer or self.roots[scheme]).sign(
            "agreement.accept", {"scheme": scheme, "agreement": ref}, advance=False
        )

    def accept(self, scheme: str, agreement_id: str, version: int) -> Any:
        ref = {"id": agreement_id, "version": version, "terms_hash": svc.terms_hash_of(self.log, agreement_id, version)}
        return self.log.submit(self.roots[scheme].sign("agreement.accept", {"scheme": scheme, "agreement": ref}))

    def refused(self, envelope: bytes, code: str) -> None:
        size, root = self.log.size, self.log.root()
        with pytest.raises(CarbonLedgerError) as e:
            self.log.submit(envelope)
        assert e.value.code == code, e.value
        assert (self.log.size, self.log.root()) == (size, root)

    def status(self, agreement_id: str, version: int) -> str:
        return next(v for v in svc.agreement_list(self.log) if v["id"] == agreement_id and v["version"] == version)[
            "status"
        ]


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    store = Store(db_url)
    key = SigningKey.generate()
    log = Log(store, key, "agree.test/log", Policy(frozenset({GD, HK, CT, JP})), lambda: NOW)
    yield World(log, key)
    store.close()


def test_mutual_recognition_negotiated_and_used(world: World) -> None:
    proposed = world.propose(GD, terms("gd-hk-mutual"))
    assert world.status("gd-hk-mutual", 1) == "proposed"
    accepted = world.accept(HK, "gd-hk-mutual", 1)
    assert world.status("gd-hk-mutual", 1) == "in_force"
    world.log.submit(world.cqc.issue(current_label("GD-NEW-1")))
    v = svc.equivalence(world.log, "GD-NEW-1", HK, NOW.date())
    assert v["verdict"] == "recognized", v
    assert v["agreement"]["id"] == "gd-hk-mutual" and v["agreement"]["index"] == accepted.index
    assert v["agreement"]["terms_hash"] == svc.terms_hash_of(world.log, "gd-hk-mutual", 1)
    assert svc.equivalence(world.log, "GD-NEW-1", JP, NOW.date())["verdict"] == "no_agreement"
    assert svc.equivalence(world.log, "GD-NEW-1", GD, NOW.date())["verdict"] == "recognized"
    history = svc.agreement_history(world.log, "gd-hk-mutual")
    assert [h["index"] for h in history] == [proposed.index, accepted.index]


def test_one_way_recognition_after_ar6_conversion(world: World) -> None:
    world.propose(GD, terms("gd-to-carbontrust-ar6"))
    world.accept(CT, "gd-to-carbontrust-ar6", 1)
    world.log.submit(world.cqc.issue(current_label("GD-NEW-2")))
    v = svc.equivalence(world.log, "GD-NEW-2", CT, NOW.date())
    assert v["verdict"] == "recognized_after_conversion", v
    assert v["converted"]["unit"] == "kgCO2e" and v["converted"]["trail"]
    assert v["converted"]["value"] != "2713.8100"  # AR5 -> AR6 changes methane, N2O and HFC-32 factors
    # one-way: Carbon Trust labels are not carried into Guangdong terms by it
    assert svc.equivalence(world.log, "GD-NEW-2", GD, NOW.date())["verdict"] == "recognized"  # same scheme


def test_refusals_leave_the_log_unchanged(world: World) -> None:
    world.propose(GD, terms("gd-hk-mutual"))
    h = svc.terms_hash_of(world.log, "gd-hk-mutual", 1)
    world.refused(world.accept_entry(JP, "gd-hk-mutual", 1, h), "agreement.not_party")
    world.refused(world.accept_entry(HK, "gd-hk-mutual", 1, "ab" * 32), "agreement.hash_mismatch")
    world.refused(world.accept_entry(HK, "gd-hk-mutual", 9, h), "agreement.unknown_version")
    world.refused(world.accept_entry(GD, "gd-hk-mutual", 1, h), "agreement.self_accept")
    # a delegate (not a root) may not speak for the scheme
    ref = {"id": "gd-hk-mutual", "version": 1, "terms_hash": h}
    world.refused(
        world.cqc.sign("agreement.accept", {"scheme": GD, "agreement": ref}, advance=False),
        "authority.unauthorized_kind",
    )
    bad = terms("gd-hk-mutual", id="gd-hk-bad")
    bad["conditions"] = [{"field": "/footprint/no_such_field", "op": "eq", "value": "x", "applies": "as_issued"}]
    world.refused(
        world.roots[GD].sign("agreement.propose", svc.propose_fields(GD, bad), advance=False), "agreement.unknown_field"
    )
    fields = svc.propose_fields(GD, terms("gd-hk-mutual", id="gd-hk-2"))
    fields["terms_hash"] = "cd" * 32
    world.refused(world.roots[GD].sign("agreement.propose", fields, advance=False), "agreement.hash_mismatch")
    world.accept(HK, "gd-hk-mutual", 1)
    # replaying the accept (same bytes) is a duplicate entry; a fresh accept of the same version is a replay
    world.refused(world.accept_entry(HK, "gd-hk-mutual", 1, h), "agreement.replayed")


def test_counter_proposal_then_accept_and_stale_accept(world: World) -> None:
    world.propose(GD, terms("gd-hk-mutual"))
    h1 = svc.terms_hash_of(world.log, "gd-hk-mutual", 1)
    counter = terms("gd-hk-mutual", version=2, tolerance="0.02")
    world.propose(HK, counter, answers={"version": 1, "terms_hash": h1})
    assert world.status("gd-hk-mutual", 1) == "superseded"
    world.refused(world.accept_entry(HK, "gd-hk-mutual", 1, h1), "agreement.stale_version")
    world.accept(GD, "gd-hk-mutual", 2)
    assert world.status("gd-hk-mutual", 2) == "in_force"


def test_withdrawal_ends_coverage_for_later_labels(world: World) -> None:
    world.propose(GD, terms("gd-hk-mutual"))
    world.accept(HK, "gd-hk-mutual", 1)
    world.log.submit(world.cqc.issue(current_label("GD-BEFORE")))
    h = svc.terms_hash_of(world.log, "gd-hk-mutual", 1)
    later = NOW + timedelta(seconds=1)
    world.log.clock = lambda: later
    withdraw = {"scheme": HK, "agreement": {"id": "gd-hk-mutual", "version": 1, "terms_hash": h}, "reason": "review"}
    world.log.submit(world.roots[HK].sign("agreement.withdraw", withdraw, now=later))
    world.log.submit(world.cqc.issue(current_label("GD-AFTER"), now=later))
    assert world.status("gd-hk-mutual", 1) == "withdrawn"
    assert svc.equivalence(world.log, "GD-AFTER", HK, later.date())["verdict"] == "no_agreement"
    # "stays recognized until the earlier of its own expiry and that version's end": the withdrawal ended it
    before = svc.equivalence(world.log, "GD-BEFORE", HK, later.date())
    assert before["verdict"] != "recognized", before
    assert svc.equivalence(world.log, "GD-BEFORE", HK, date(2026, 11, 23))["verdict"] == "no_agreement"  # not yet


def test_history_survives_reopening(world: World, db_url: str) -> None:
    world.propose(GD, terms("gd-hk-mutual"))
    world.accept(HK, "gd-hk-mutual", 1)
    reopened = Log(Store(db_url), world.key, "agree.test/log", Policy(frozenset({GD, HK, CT, JP})), lambda: NOW)
    assert svc.agreement_list(reopened) == svc.agreement_list(world.log)
    assert copy.deepcopy(svc.agreement_history(reopened)) == svc.agreement_history(world.log)


def test_profiles_published_by_their_scheme_root_once(world: World) -> None:
    from mapping.profiles import get_profile

    gd_profile = get_profile(GD).to_dict()
    world.log.submit(world.roots[GD].sign("profile.publish", {"scheme": GD, "profile": gd_profile}))
    world.refused(
        world.roots[GD].sign("profile.publish", {"scheme": GD, "profile": gd_profile}, advance=False),
        "profile.duplicate_version",
    )
    world.refused(
        world.roots[GD].sign("profile.publish", {"scheme": GD, "profile": get_profile(HK).to_dict()}, advance=False),
        "profile.wrong_scheme",
    )
    world.refused(
        world.roots[GD].sign(
            "profile.publish", {"scheme": GD, "profile": get_profile("iso14067-2018").to_dict()}, advance=False
        ),
        "profile.not_reference_publisher",
    )
    world.refused(
        world.cqc.sign("profile.publish", {"scheme": GD, "profile": gd_profile}, advance=False),
        "authority.unauthorized_kind",
    )
