"""The negotiation state machine (issue 5 §2) as a table of named scenarios, plus properties.

Each scenario is a list of steps run through ``check_event`` the way ledger admission will: a step either
is admitted (appended to the history) or refused with the expected code. Then the statuses are compared.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.agreement_terms import VersionRef
from mapping.errors import MappingError
from mapping.negotiation import STATUSES, AgreementEvent, check_event, negotiation_log, versions
from verifier.agreements import terms_hash

from .test_agreements_terms import base_terms, parse

GD, HK, CT, KR = "gd-carbon-label", "hk-cma-carbon-label", "carbontrust-label", "kr-keiti-cfp"
START = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)


@dataclass
class Ledger:
    """A history of agreement events admitted through ``check_event``, with a log clock and index."""

    now: datetime = START
    index: int = 10
    history: list[AgreementEvent] = field(default_factory=list)

    def _next(self) -> tuple[int, datetime]:
        self.index += 3  # other entries interleave in the real log
        self.now += timedelta(minutes=5)
        return self.index, self.now

    def admit(self, ev: AgreementEvent) -> AgreementEvent:
        check_event(self.history, ev, now=self.now)
        self.history.append(ev)
        return ev

    def tick(self, days: int) -> None:
        self.now += timedelta(days=days)

    def find(self, agreement_id: str, version: int) -> AgreementEvent:
        return next(
            e for e in self.history if e.kind == "propose" and e.agreement_id == agreement_id and e.version == version
        )

    def ref(self, agreement_id: str, version: int) -> dict[str, Any]:
        return {"version": version, "terms_hash": self.find(agreement_id, version).terms_hash}

    def propose(
        self,
        scheme: str,
        version: int = 1,
        *,
        agreement_id: str = "gd-hk-mutual",
        answers: int | None = None,
        supersedes: int | None = None,
        root: bool = True,
        **changes: Any,
    ) -> AgreementEvent:
        doc = base_terms(id=agreement_id, version=version, **changes)
        if supersedes is not None:
            doc["supersedes"] = self.ref(agreement_id, supersedes)
        index, at = self._next()
        return self.admit(
            AgreementEvent(
                kind="propose",
                index=index,
                signer_scheme=scheme,
                signer_is_root=root,
                agreement_id=agreement_id,
                version=version,
                terms_hash=terms_hash(doc),
                terms=parse(doc),
                answers=None if answers is None else VersionRef(**self.ref(agreement_id, answers)),
                at=at,
            )
        )

    def _refer(
        self, kind: str, scheme: str, version: int, agreement_id: str, root: bool, hash_: str | None
    ) -> AgreementEvent:
        if hash_ is None:
            try:
                hash_ = self.find(agreement_id, version).terms_hash
            except StopIteration:
                hash_ = "00" * 32
        index, at = self._next()
        return self.admit(
            AgreementEvent(
                kind=kind,
                index=index,
                signer_scheme=scheme,
                signer_is_root=root,
                agreement_id=agreement_id,
                version=version,
                terms_hash=hash_,
                at=at,
                reason="ended" if kind == "withdraw" else None,
            )
        )

    def accept(
        self,
        scheme: str,
        version: int = 1,
        *,
        agreement_id: str = "gd-hk-mutual",
        root: bool = True,
        hash_: str | None = None,
    ) -> AgreementEvent:
        return self._refer("accept", scheme, version, agreement_id, root, hash_)

    def withdraw(
        self,
        scheme: str,
        version: int = 1,
        *,
        agreement_id: str = "gd-hk-mutual",
        root: bool = True,
        hash_: str | None = None,
    ) -> AgreementEvent:
        return self._refer("withdraw", scheme, version, agreement_id, root, hash_)

    def statuses(self, at: datetime | date | None = None) -> dict[tuple[str, int], str]:
        return {(v.agreement_id, v.version): v.status for v in versions(self.history, at or self.now)}


# A step: (method, positional args, keyword args, expected error code or None).
Step = tuple[str, tuple[Any, ...], dict[str, Any], str | None]


def S(method: str, *args: Any, expect: str | None = None, **kwargs: Any) -> Step:
    return (method, args, kwargs, expect)


M = "gd-hk-mutual"
FUTURE = {"valid_from": "2025-06-01", "valid_until": "2026-12-31"}
SHORT = {"valid_from": "2025-01-01", "valid_until": "2025-03-31"}

SCENARIOS: dict[str, tuple[list[Step], dict[tuple[str, int], str]]] = {
    "propose then accept": ([S("propose", GD), S("accept", HK)], {(M, 1): "in_force"}),
    "proposed only": ([S("propose", GD)], {(M, 1): "proposed"}),
    "counter then accept": (
        [S("propose", GD), S("propose", HK, 2, answers=1, tolerance="0.02"), S("accept", GD, 2)],
        {(M, 1): "superseded", (M, 2): "in_force"},
    ),
    "counter, counter, accept": (
        [
            S("propose", GD),
            S("propose", HK, 2, answers=1, tolerance="0.02"),
            S("propose", GD, 3, answers=2, tolerance="0.015"),
            S("accept", HK, 3),
        ],
        {(M, 1): "superseded", (M, 2): "superseded", (M, 3): "in_force"},
    ),
    "accept of a stale (countered) version": (
        [
            S("propose", GD),
            S("propose", HK, 2, answers=1, tolerance="0.02"),
            S("accept", HK, 1, expect="stale_version"),
        ],
        {(M, 1): "superseded", (M, 2): "proposed"},
    ),
    "the proposer revises its own open proposal": (
        [S("propose", GD), S("propose", GD, 2, answers=1, tolerance="0.02"), S("accept", HK, 2)],
        {(M, 1): "superseded", (M, 2): "in_force"},
    ),
    "a later proposal makes the earlier one stale even without answers": (
        [S("propose", GD), S("propose", HK, 2), S("accept", HK, 1, expect="stale_version"), S("accept", GD, 2)],
        {(M, 1): "superseded", (M, 2): "in_force"},
    ),
    "answering a version no longer open": (
        [S("propose", GD), S("accept", HK), S("propose", HK, 2, answers=1, expect="stale_version")],
        {(M, 1): "in_force"},
    ),
    "withdraw in force": ([S("propose", GD), S("accept", HK), S("withdraw", HK)], {(M, 1): "withdrawn"}),
    "withdraw by the proposer": ([S("propose", GD), S("accept", HK), S("withdraw", GD)], {(M, 1): "withdrawn"}),
    "withdraw an open proposal, then accept it": (
        [S("propose", GD), S("withdraw", GD), S("accept", HK, expect="stale_version")],
        {(M, 1): "withdrawn"},
    ),
    "the other party declines a proposal": ([S("propose", GD), S("withdraw", HK)], {(M, 1): "withdrawn"}),
    "withdraw twice by the same party": (
        [S("propose", GD), S("accept", HK), S("withdraw", HK), S("withdraw", HK, expect="replayed")],
        {(M, 1): "withdrawn"},
    ),
    "withdraw after the other party withdrew": (
        [S("propose", GD), S("accept", HK), S("withdraw", HK), S("withdraw", GD, expect="not_in_force")],
        {(M, 1): "withdrawn"},
    ),
    "withdraw something never proposed": ([S("withdraw", GD, 4, expect="not_in_force")], {}),
    "accept after withdrawal": (
        [S("propose", GD), S("accept", HK), S("withdraw", GD), S("accept", HK, expect="replayed")],
        {(M, 1): "withdrawn"},
    ),
    "withdraw with a different hash": (
        [S("propose", GD), S("accept", HK), S("withdraw", GD, hash_="ab" * 32, expect="hash_mismatch")],
        {(M, 1): "in_force"},
    ),
    "expiry": (
        [S("propose", GD, **SHORT), S("accept", HK), S("tick", 40)],
        {(M, 1): "expired"},
    ),
    "accept after the window ended": (
        [S("propose", GD, **SHORT), S("tick", 40), S("accept", HK, expect="stale_version")],
        {(M, 1): "expired"},
    ),
    "withdraw after expiry": (
        [S("propose", GD, **SHORT), S("accept", HK), S("tick", 40), S("withdraw", HK, expect="not_in_force")],
        {(M, 1): "expired"},
    ),
    "propose terms whose window is over": (
        [S("propose", GD, valid_from="2024-01-01", valid_until="2024-12-31", expect="invalid_terms")],
        {},
    ),
    "accepted ahead of its window": (
        [S("propose", GD, **FUTURE), S("accept", HK)],
        {(M, 1): "proposed"},
    ),
    "accepted ahead of its window, then it opens": (
        [S("propose", GD, **FUTURE), S("accept", HK), S("tick", 100)],
        {(M, 1): "in_force"},
    ),
    "a third scheme tries to accept": (
        [S("propose", GD), S("accept", CT, expect="not_party")],
        {(M, 1): "proposed"},
    ),
    "a third scheme tries to withdraw": (
        [S("propose", GD), S("accept", HK), S("withdraw", CT, expect="not_party")],
        {(M, 1): "in_force"},
    ),
    "a third scheme proposes terms between others": ([S("propose", CT, expect="not_party")], {}),
    "replayed accept": (
        [S("propose", GD), S("accept", HK), S("accept", HK, expect="replayed")],
        {(M, 1): "in_force"},
    ),
    "self accept": ([S("propose", GD), S("accept", GD, expect="self_accept")], {(M, 1): "proposed"}),
    "accept over a different terms hash": (
        [S("propose", GD), S("accept", HK, hash_="cd" * 32, expect="hash_mismatch")],
        {(M, 1): "proposed"},
    ),
    "accept of an unknown version": (
        [S("propose", GD), S("accept", HK, 2, expect="unknown_version")],
        {(M, 1): "proposed"},
    ),
    "accept of an unknown agreement": ([S("accept", HK, agreement_id="gd-hk-other", expect="unknown_version")], {}),
    "non-root signer accepts": (
        [S("propose", GD), S("accept", HK, root=False, expect="not_root"), S("accept", HK)],
        {(M, 1): "in_force"},
    ),
    "non-root signer proposes": ([S("propose", GD, root=False, expect="not_root")], {}),
    "non-root signer withdraws": (
        [S("propose", GD), S("accept", HK), S("withdraw", GD, root=False, expect="not_root")],
        {(M, 1): "in_force"},
    ),
    "replayed proposal": ([S("propose", GD), S("propose", GD, expect="replayed")], {(M, 1): "proposed"}),
    "duplicate version with other terms": (
        [S("propose", GD), S("propose", HK, tolerance="0.05", expect="duplicate_version")],
        {(M, 1): "proposed"},
    ),
    "version not increasing": (
        [S("propose", GD, 3), S("propose", HK, 2, expect="version_not_increasing")],
        {(M, 3): "proposed"},
    ),
    "parties cannot change": (
        [
            S("propose", GD),
            S("propose", GD, 2, parties=[GD, CT], expect="invalid_terms"),
        ],
        {(M, 1): "proposed"},
    ),
    "amendment supersedes the version in force": (
        [S("propose", GD), S("accept", HK), S("propose", GD, 2, supersedes=1, tolerance="0.02"), S("accept", HK, 2)],
        {(M, 1): "superseded", (M, 2): "in_force"},
    ),
    "amendment proposed, version 1 still in force": (
        [S("propose", GD), S("accept", HK), S("propose", GD, 2, supersedes=1, tolerance="0.02")],
        {(M, 1): "in_force", (M, 2): "proposed"},
    ),
    "amendment pending its window keeps version 1 in force": (
        [S("propose", GD), S("accept", HK), S("propose", GD, 2, supersedes=1, **FUTURE), S("accept", HK, 2)],
        {(M, 1): "in_force", (M, 2): "proposed"},
    ),
    "amendment pending its window, then it opens": (
        [
            S("propose", GD),
            S("accept", HK),
            S("propose", GD, 2, supersedes=1, **FUTURE),
            S("accept", HK, 2),
            S("tick", 100),
        ],
        {(M, 1): "superseded", (M, 2): "in_force"},
    ),
    "renewal accepted after the version it supersedes expired": (
        [
            S("propose", GD, **SHORT),
            S("accept", HK),
            S("propose", GD, 2, supersedes=1, valid_from="2025-04-01"),
            S("tick", 40),
            S("accept", HK, 2),
        ],
        {(M, 1): "expired", (M, 2): "in_force"},
    ),
    "overlapping versions of one agreement (no supersedes)": (
        [S("propose", GD), S("accept", HK), S("propose", HK, 2, tolerance="0.02", expect="overlap_in_force")],
        {(M, 1): "in_force"},
    ),
    "supersedes a version never accepted": (
        [S("propose", GD), S("propose", GD, 2, supersedes=1, expect="stale_version")],
        {(M, 1): "proposed"},
    ),
    "supersedes a withdrawn version": (
        [
            S("propose", GD),
            S("accept", HK),
            S("withdraw", GD),
            S("propose", GD, 2, supersedes=1, expect="stale_version"),
            S("propose", GD, 2),
            S("accept", HK, 2),
        ],
        {(M, 1): "withdrawn", (M, 2): "in_force"},
    ),
    "overlapping agreements for the same direction": (
        [
            S("propose", GD),
            S("accept", HK),
            S("propose", HK, agreement_id="gd-hk-bis"),
            S("accept", GD, agreement_id="gd-hk-bis", expect="overlap_in_force"),
        ],
        {(M, 1): "in_force", ("gd-hk-bis", 1): "proposed"},
    ),
    "a one-way agreement overlaps a mutual one": (
        [
            S("propose", GD),
            S("accept", HK),
            S("propose", GD, agreement_id="gd-to-hk", direction="one-way", **{"from": GD, "to": HK}),
            S("accept", HK, agreement_id="gd-to-hk", expect="overlap_in_force"),
        ],
        {(M, 1): "in_force", ("gd-to-hk", 1): "proposed"},
    ),
    "opposite one-way agreements do not overlap": (
        [
            S("propose", GD, agreement_id="gd-to-hk", direction="one-way", **{"from": GD, "to": HK}),
            S("accept", HK, agreement_id="gd-to-hk"),
            S("propose", HK, agreement_id="hk-to-gd", direction="one-way", **{"from": HK, "to": GD}),
            S("accept", GD, agreement_id="hk-to-gd"),
        ],
        {("gd-to-hk", 1): "in_force", ("hk-to-gd", 1): "in_force"},
    ),
    "agreements with other schemes do not overlap": (
        [
            S("propose", GD),
            S("accept", HK),
            S("propose", GD, agreement_id="gd-ct", parties=[GD, CT]),
            S("accept", CT, agreement_id="gd-ct"),
        ],
        {(M, 1): "in_force", ("gd-ct", 1): "in_force"},
    ),
    "disjoint windows for the same direction do not overlap": (
        [
            S("propose", GD, **SHORT),
            S("accept", HK),
            S("propose", HK, agreement_id="gd-hk-bis", **FUTURE),
            S("accept", GD, agreement_id="gd-hk-bis"),
            S("tick", 100),
        ],
        {(M, 1): "expired", ("gd-hk-bis", 1): "in_force"},
    ),
    "a withdrawn agreement no longer blocks another": (
        [
            S("propose", GD),
            S("accept", HK),
            S("withdraw", HK),
            S("propose", HK, agreement_id="gd-hk-bis"),
            S("accept", GD, agreement_id="gd-hk-bis"),
        ],
        {(M, 1): "withdrawn", ("gd-hk-bis", 1): "in_force"},
    ),
}


def run(steps: list[Step]) -> Ledger:
    ledger = Ledger()
    for method, args, kwargs, expect in steps:
        if method == "tick":
            ledger.tick(*args)
            continue
        if expect is None:
            getattr(ledger, method)(*args, **kwargs)
            continue
        before = list(ledger.history)
        with pytest.raises(MappingError) as e:
            getattr(ledger, method)(*args, **kwargs)
        assert e.value.code == f"agreement.{expect}", f"{method}{args}{kwargs}: {e.value}"
        assert ledger.history == before
    return ledger


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name: str) -> None:
    steps, expected = SCENARIOS[name]
    ledger = run(steps)
    assert ledger.statuses() == expected


def test_counter_with_wrong_answer_hash() -> None:
    ledger = run([S("propose", GD)])
    doc = base_terms(version=2, tolerance="0.02")
    with pytest.raises(MappingError) as e:
        check_event(
            ledger.history,
            AgreementEvent(
                kind="propose",
                index=99,
                signer_scheme=HK,
                signer_is_root=True,
                agreement_id=M,
                version=2,
                terms_hash=terms_hash(doc),
                terms=parse(doc),
                answers={"version": 1, "terms_hash": "ef" * 32},
                at=ledger.now,
            ),
            now=ledger.now,
        )
    assert e.value.code == "agreement.hash_mismatch" and e.value.field == "/answers/terms_hash"


def test_counter_answering_an_unknown_version() -> None:
    ledger = run([S("propose", GD)])
    doc = base_terms(version=2)
    ev = AgreementEvent(
        kind="propose",
        index=99,
        signer_scheme=HK,
        signer_is_root=True,
        agreement_id=M,
        version=2,
        terms_hash=terms_hash(doc),
        terms=parse(doc),
        answers=VersionRef(7, "ab" * 32),
        at=ledger.now,
    )
    with pytest.raises(MappingError) as e:
        check_event(ledger.history, ev, now=ledger.now)
    assert e.value.code == "agreement.unknown_version"


def test_propose_event_must_match_its_terms() -> None:
    doc = base_terms(version=2)
    ev = AgreementEvent(
        kind="propose",
        index=1,
        signer_scheme=GD,
        signer_is_root=True,
        agreement_id=M,
        version=1,
        terms_hash=terms_hash(doc),
        terms=parse(doc),
        at=START,
    )
    with pytest.raises(MappingError) as e:
        check_event([], ev, now=START)
    assert e.value.code == "agreement.invalid_terms" and e.value.field == "/terms/version"
    no_terms = AgreementEvent(
        kind="propose",
        index=1,
        signer_scheme=GD,
        signer_is_root=True,
        agreement_id=M,
        version=1,
        terms_hash="0" * 64,
        at=START,
    )
    with pytest.raises(MappingError) as e:
        check_event([], no_terms, now=START)
    assert e.value.code == "agreement.invalid_terms"


def test_events_must_come_in_log_order() -> None:
    ledger = run([S("propose", GD)])
    late = AgreementEvent(
        kind="accept",
        index=ledger.index - 1,
        signer_scheme=HK,
        signer_is_root=True,
        agreement_id=M,
        version=1,
        terms_hash=ledger.find(M, 1).terms_hash,
        at=ledger.now,
    )
    with pytest.raises(MappingError) as e:
        check_event(ledger.history, late, now=ledger.now)
    assert e.value.code == "agreement.out_of_order"


def test_unknown_event_kind() -> None:
    with pytest.raises(MappingError) as e:
        AgreementEvent(
            kind="amend",
            index=1,
            signer_scheme=GD,
            signer_is_root=True,
            agreement_id=M,
            version=1,
            terms_hash="0" * 64,
            at=START,
        )
    assert e.value.code == "agreement.invalid_event"


def test_check_event_is_deterministic_and_history_order_free() -> None:
    ledger = run([S("propose", GD), S("propose", HK, 2, answers=1, tolerance="0.02")])
    ev = AgreementEvent(
        kind="accept",
        index=ledger.index + 1,
        signer_scheme=GD,
        signer_is_root=True,
        agreement_id=M,
        version=2,
        terms_hash=ledger.find(M, 2).terms_hash,
        at=ledger.now,
    )
    snapshot = copy.deepcopy(ledger.history)
    check_event(list(reversed(ledger.history)), ev, now=ledger.now)
    check_event(ledger.history, ev, now=ledger.now)
    assert ledger.history == snapshot


# ------------------------------------------------------------------------------------------------- versions()


def test_version_list_items() -> None:
    ledger = run([S("propose", GD), S("propose", HK, 2, answers=1, tolerance="0.02"), S("accept", GD, 2)])
    items = [v.to_dict() for v in versions(ledger.history, ledger.now)]
    v1, v2 = items
    for item in items:
        assert {"id", "version", "schemes", "terms_hash", "status", "proposed_index", "accepted_index"} <= set(item)
        assert {"withdrawn_index", "in_force_from", "in_force_until"} <= set(item)
        assert item["status"] in STATUSES
        assert item["schemes"] == [GD, HK]
    assert v1["status"] == "superseded" and v1["superseded_by"] == 2 and v1["accepted_index"] is None
    assert v2["status"] == "in_force" and v2["proposer"] == HK and v2["accepter"] == GD
    assert v2["answers"] == {"version": 1, "terms_hash": ledger.find(M, 1).terms_hash}
    assert v2["accepted_index"] == ledger.history[-1].index
    assert v2["in_force_from"] == ledger.history[-1].at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert v2["in_force_until"] == "2027-01-01T00:00:00Z"  # the end of its valid_until day


def test_versions_at_an_earlier_time_ignore_later_events() -> None:
    ledger = run([S("propose", GD), S("accept", HK)])
    accepted_at = ledger.history[-1].at
    ledger.tick(10)
    run_withdraw = ledger.withdraw(HK)
    assert ledger.statuses(accepted_at - timedelta(seconds=1)) == {(M, 1): "proposed"}
    assert ledger.statuses(accepted_at) == {(M, 1): "in_force"}
    assert ledger.statuses(run_withdraw.at - timedelta(seconds=1)) == {(M, 1): "in_force"}
    assert ledger.statuses(run_withdraw.at) == {(M, 1): "withdrawn"}
    assert ledger.statuses(START - timedelta(days=1)) == {}
    state = versions(ledger.history, run_withdraw.at)[0]
    assert state.withdrawn_index == run_withdraw.index and state.end_index == run_withdraw.index
    assert state.in_force_until == run_withdraw.at and state.end_reason == "withdrawn"


def test_a_date_means_the_end_of_that_day() -> None:
    ledger = run([S("propose", GD), S("accept", HK)])
    assert ledger.statuses(ledger.now.date()) == {(M, 1): "in_force"}
    assert ledger.statuses(ledger.now.date() - timedelta(days=1)) == {}


def test_supersession_end_is_the_successors_start() -> None:
    ledger = run([S("propose", GD), S("accept", HK), S("propose", GD, 2, supersedes=1, **FUTURE), S("accept", HK, 2)])
    v1, v2 = versions(ledger.history, date(2025, 7, 1))
    assert v1.status == "superseded" and v2.status == "in_force"
    assert v1.in_force_until == datetime(2025, 6, 1, tzinfo=UTC) == v2.in_force_from
    assert v1.end_index is None  # ended by the successor's window opening, not by an entry


def test_negotiation_log_is_the_full_history() -> None:
    ledger = run(
        [S("propose", GD), S("propose", HK, 2, answers=1, tolerance="0.02"), S("accept", GD, 2), S("withdraw", HK, 2)]
    )
    log = negotiation_log(ledger.history, M)
    assert [e["kind"] for e in log] == [
        "agreement.propose",
        "agreement.propose",
        "agreement.accept",
        "agreement.withdraw",
    ]
    assert [e["scheme"] for e in log] == [GD, HK, GD, HK]
    assert log[1]["answers"]["version"] == 1
    assert log[3]["reason"] == "ended"
    assert negotiation_log(ledger.history, "other") == []


# ------------------------------------------------------------------------------------------------- properties

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["propose", "counter", "amend", "accept", "accept", "accept", "withdraw", "tick"]),
        st.sampled_from([GD, HK, HK, GD, CT]),
        st.sampled_from(["gd-hk-mutual", "gd-hk-mutual", "gd-hk-bis"]),
        st.integers(min_value=-1, max_value=2),  # which version: offset back from the latest (-1: the next one)
        st.sampled_from([True, True, True, False]),  # signed by the root key?
    ),
    max_size=25,
)


def _pick(ledger: Ledger, agreement_id: str, back: int) -> int:
    known = sorted(e.version for e in ledger.history if e.kind == "propose" and e.agreement_id == agreement_id)
    if back < 0 or not known:
        return (known[-1] if known else 0) + 1
    return known[max(0, len(known) - 1 - back)]


def drive(actions: list[Any], *, start_in_force: bool = False) -> Ledger:
    """Attempt every action; keep what check_event admits."""
    ledger = Ledger()
    if start_in_force:
        ledger.propose(GD, valid_until="2027-12-31")
        ledger.accept(HK)
    for action, scheme, agreement_id, back, root in actions:
        version = _pick(ledger, agreement_id, back)
        nxt = _pick(ledger, agreement_id, -1)
        try:
            if action == "tick":
                ledger.tick(90 * (back + 2))
            elif action == "propose":
                ledger.propose(scheme, nxt, agreement_id=agreement_id, root=root, valid_until="2027-12-31")
            elif action == "counter":
                ledger.propose(scheme, nxt, agreement_id=agreement_id, answers=version, tolerance="0.02")
            elif action == "amend":
                ledger.propose(scheme, nxt, agreement_id=agreement_id, supersedes=version, tolerance="0.03")
            else:
                target = _pick(ledger, agreement_id, max(back, 0))
                getattr(ledger, action)(scheme, target, agreement_id=agreement_id, root=root)
        except (MappingError, StopIteration):
            pass
    return ledger


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ACTIONS, st.booleans())
def test_random_negotiations_keep_one_version_in_force_per_direction(actions: list[Any], start_in_force: bool) -> None:
    """Whatever is attempted, what check_event admits never puts two versions in force for one direction."""
    ledger = drive(actions, start_in_force=start_in_force)
    times = sorted({e.at for e in ledger.history} | {ledger.now, ledger.now + timedelta(days=900)})
    for t in times:
        states = versions(ledger.history, t)
        assert all(s.status in STATUSES for s in states)
        in_force = [s for s in states if s.status == "in_force"]
        assert len(in_force) <= 1, [(s.agreement_id, s.version) for s in in_force]
        for s in states:
            if s.status == "in_force":
                assert s.accepter is not None and s.accepter != s.proposer
                assert {s.accepter, s.proposer} == set(s.terms.parties)
