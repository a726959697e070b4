"""One rule book, two sides: each named attack is refused by the log's admission AND by the offline verifier.

Security review, holes 2 and 3: the negotiation rules were never applied to a bundle's history offline, and
the authority rules were written twice and disagreed (an authorization's ``not_after``, a cited factor that
differs from the signed value). Each scenario below is run twice:

* against the log: the bad entry is submitted and refused with the rule's code;
* against a buyer, with a hostile operator: the log is made to store the bad entry anyway (admission
  bypassed, as an operator who controls the server could), the bundle is built as usual, and the verifier
  must refuse it — not authentic (exit 3) — naming the rule and the entry. Never "recognized".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

import ledger.log
from ledger.log import Log
from ledger.store import Store
from mapping.errors import CarbonLedgerError, RuleError
from verifier.agreements import event_from_payload
from verifier.equivalence_offline import KNOWN_CONVERSIONS
from verifier.keys import SigningKey
from verifier.ledger_state import AddAgreementEvent, AddLabel, LabelRecord, Policy
from verifier.rules import parse_time

from .helpers import NOW, Signer
from .test_verify_equivalence import CT, GD, HK, JP, MEE, World, current_label, mutual, run, terms


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    store = Store(sqlite_url)
    log = Log(store, SigningKey.generate(), "rules.test/log", Policy(frozenset({GD, HK, CT, JP, MEE})), lambda: NOW)
    yield World(log)
    store.close()


def _forced_changes(entry: Any, index: int, view: Any) -> list[Any]:
    """What a hostile operator writes for an entry the rules refuse: the record, as if admitted."""
    key = view.key(entry.signer)
    if entry.kind.startswith("agreement."):
        event = event_from_payload(
            entry.body,
            index=index,
            at=parse_time(entry.signed_at),
            signer_scheme=key.scheme,
            signer_is_root=True,
            known_conversions=KNOWN_CONVERSIONS,
        )
        return [AddAgreementEvent(event, entry.entry_id, key.scheme)]
    if entry.kind == "label.issue":
        label = entry.body["label"]
        return [AddLabel(LabelRecord(label["scheme"], label["label_id"], entry.entry_id, index, entry.signer))]
    raise AssertionError(f"no forced changes for {entry.kind}")


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Turn the world's log into a hostile operator's: it stores entries its rules refuse."""

    def turn() -> None:
        real = ledger.log.admit

        def admit_anything(entry: Any, index: int, view: Any, *args: Any, **kw: Any) -> list[Any]:
            try:
                return real(entry, index, view, *args, **kw)
            except RuleError:
                return _forced_changes(entry, index, view)

        monkeypatch.setattr(ledger.log, "admit", admit_anything)

    return turn


@dataclass(frozen=True)
class Scenario:
    name: str
    code: str  # the rule the bad entry breaks
    setup: Callable[[World], None]  # what an honest log holds before the bad entry
    bad: Callable[[World], bytes]  # the bad entry, signed
    label_id: str
    after: Callable[[World], None] = lambda w: None  # what follows the bad entry (e.g. the label)
    target: str | None = HK


def _self_accept(w: World) -> bytes:
    return w.roots[GD].sign("agreement.accept", {"scheme": GD, "agreement": w.ref("gd-hk-mutual")})


def _substituted_terms(w: World) -> bytes:
    from ledger import agreements_service as svc

    other = terms("gd-hk-mutual")
    other["tolerance"] = "0.5"  # looser terms under the version HK signed
    return w.roots[GD].sign("agreement.propose", svc.propose_fields(GD, other))


def _expired_key_label(w: World) -> bytes:
    return w.cqc_expired.issue(current_label("GD-EXPIRED-1"), now=NOW)  # type: ignore[attr-defined]


def _authorize_expired(w: World) -> None:
    w.cqc_expired = Signer()  # type: ignore[attr-defined]
    until = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    w.log.submit(
        w.roots[GD].authorize(GD, w.cqc_expired, extra={"not_after": until})  # type: ignore[attr-defined]
    )


def _publish(w: World) -> None:
    w.published = w.publish()  # type: ignore[attr-defined]


def _mismatched_factor_label(w: World) -> bytes:
    label = w.citing_label("GD-FACTOR-1", w.published.entry_id)  # type: ignore[attr-defined]
    label["footprint"]["electricity"][0]["factor"]["value"] = "0.4000"  # the dataset signed 0.6205
    return w.cqc.issue(label)


def _near_miss_gtin_label(w: World) -> bytes:
    label = current_label("GD-GTIN-1")
    label["product"]["ids"] = [{"system": "gtin", "value": "06932233000012"}]  # check digit should be 1
    return w.cqc.issue(label)


def _issue(label_id: str) -> Callable[[World], None]:
    return lambda w: w.issue(label_id)


SCENARIOS = [
    Scenario(
        "self_accept",
        "agreement.self_accept",
        lambda w: w.propose(GD, terms("gd-hk-mutual")),
        _self_accept,
        "GD-SELF-1",
        after=_issue("GD-SELF-1"),
    ),
    Scenario(
        "terms_substituted_after_the_other_side_signed",
        "agreement.duplicate_version",
        lambda w: mutual(w),
        _substituted_terms,
        "GD-SUBST-1",
        after=_issue("GD-SUBST-1"),
    ),
    Scenario(
        "label_signed_after_its_keys_authorization_ended",
        "authority.key_expired",
        _authorize_expired,
        _expired_key_label,
        "GD-EXPIRED-1",
        target=None,
    ),
    Scenario(
        "cited_factor_differs_from_the_signed_value",
        "dataset.citation_value_mismatch",
        _publish,
        _mismatched_factor_label,
        "GD-FACTOR-1",
        target=None,
    ),
    Scenario(
        "seller_claims_a_near_miss_gtin",
        "label.gtin_invalid",
        lambda w: None,
        _near_miss_gtin_label,
        "GD-GTIN-1",
        target=None,
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_log_refuses(world: World, scenario: Scenario) -> None:
    scenario.setup(world)
    size = world.log.size
    with pytest.raises(CarbonLedgerError) as e:
        world.log.submit(scenario.bad(world))
    assert e.value.code == scenario.code
    assert world.log.size == size  # nothing stored


@pytest.mark.tampers_store
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_offline_verifier_refuses_what_a_hostile_log_stored(
    world: World, hostile: Callable[[], None], scenario: Scenario
) -> None:
    scenario.setup(world)
    hostile()
    bad = world.log.submit(scenario.bad(world))
    scenario.after(world)
    r = run(world.bundle(scenario.label_id, scenario.target), world.trust(), target_scheme=scenario.target)
    assert r.exit_code() == 3, r.to_dict()["steps"]
    assert not r.authentic
    details = " ".join(s.detail for s in r.steps.values())
    assert scenario.code in details and f"index {bad.index}" in details
    assert r.equivalence is None  # never "recognized": steps 8-10 are not checked
    assert all(r.steps[s].detail.startswith("not checked") for s in (8, 9, 10))


@pytest.mark.tampers_store
def test_accept_by_a_non_party_is_never_recognized(world: World, hostile: Callable[[], None]) -> None:
    """Carbon Trust (not a party) accepts the GD-HK proposal: the log refuses it; a hostile log stores it.
    A bundle without Carbon Trust's registration leaves the accept out (its signer is not established): no
    agreement in force. A bundle with it (the operator adds it) breaks agreement.not_party: not authentic."""
    world.propose(GD, terms("gd-hk-mutual"))
    accept = world.roots[CT].sign("agreement.accept", {"scheme": CT, "agreement": world.ref("gd-hk-mutual")})
    with pytest.raises(CarbonLedgerError) as e:
        world.log.submit(accept)
    assert e.value.code == "agreement.not_party"
    hostile()
    stored = world.log.submit(accept)
    world.issue("GD-NONPARTY-1")
    r = run(world.bundle("GD-NONPARTY-1", HK, 1), world.trust(), target_scheme=HK)
    assert r.equivalence is not None and r.equivalence["verdict"] == "no_agreement", r.equivalence
    assert r.exit_code() == 4
    v2 = run(world.bundle("GD-NONPARTY-1", HK), world.trust(), target_scheme=HK)  # its map lists the accept
    assert v2.exit_code() == 4 and v2.equivalence is not None and v2.equivalence["verdict"] != "recognized"
    # the operator adds Carbon Trust's registration to the bundle, so the accept's signer is established
    from verifier.bundle import encode_bundle, parse_bundle

    b = parse_bundle(world.bundle("GD-NONPARTY-1", HK, 1))
    size = world.log.size
    ct_reg = next(r for r in world.log.store.find_entries(["scheme.register"], CT))
    extra = [(e.index, e.entry.envelope, list(e.proof)) for e in b.entries] + [
        (ct_reg.idx, bytes(ct_reg.envelope), world.log.inclusion_proof(ct_reg.idx, size))
    ]
    doc = encode_bundle(b.origin, b.checkpoint, b.label.entry.entry_id, extra, HK)
    r = run(doc, world.trust(), target_scheme=HK)
    assert (
        r.exit_code() == 3
        and "agreement.not_party" in r.steps[5].detail
        and f"index {stored.index}" in r.steps[5].detail
    )


def test_forged_recognition_table_covers_both_sides() -> None:
    """Every scenario names the rule it expects, so a renamed code cannot silently pass both sides."""
    assert {s.code for s in SCENARIOS} == {
        "agreement.self_accept",
        "agreement.duplicate_version",
        "authority.key_expired",
        "dataset.citation_value_mismatch",
        "label.gtin_invalid",
    }
