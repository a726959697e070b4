"""Negotiation of recognition agreements: the state machine over ledger events (issue 5 §2).

"It is proposed, may be countered, and is in force only when both schemes' root keys have signed the same
terms hash; every step is a ledger entry." (DESIGN §5)

Pure: the ledger reads the agreement entries from its store, turns each into an :class:`AgreementEvent`
(index and integration time from the log, the signer's scheme and whether the key is that scheme's root
from the key registry) and calls :func:`check_event` before admitting a new one. Nothing here reads a clock
or a store; the same history always gives the same answer.

Rules (the codes are stable; every error is a :class:`~mapping.errors.MappingError`):

1. Log order decides. Events are applied in ``index`` order; a new event's index must exceed every index in
   the history (``agreement.out_of_order``). Times are the log's integration times, never claimed dates.
2. Every event is signed by a root key (``agreement.not_root``) of one of the two parties named in the terms
   (``agreement.not_party``). An agreement id is bound to the parties of its first version: later versions
   may change anything but the parties (``agreement.invalid_terms``).
3. ``propose`` carries the terms; ``terms.id`` and ``terms.version`` must equal the event's
   (``agreement.invalid_terms``). Versions of one id strictly increase (``agreement.version_not_increasing``);
   the same version again is ``agreement.replayed`` (same terms hash) or ``agreement.duplicate_version``
   (different hash). Terms whose window has already ended are refused (``agreement.invalid_terms``).
4. A counter-proposal is a ``propose`` whose ``answers`` names (version, terms hash) of an open proposal:
   unknown version → ``agreement.unknown_version``; other hash → ``agreement.hash_mismatch``; not open any
   more → ``agreement.stale_version``. Either party may answer (the other party counters; the proposer
   revises).
5. Only the latest proposal of an agreement id is open: proposing version n+1 makes every earlier
   proposal that was never accepted ``superseded`` (whether or not it ``answers`` it), and accepting one of
   them is ``agreement.stale_version``.
6. ``accept`` names (id, version, terms hash) of the open proposal: unknown → ``agreement.unknown_version``;
   other hash → ``agreement.hash_mismatch``; by the proposing scheme → ``agreement.self_accept``; accepted
   already → ``agreement.replayed``; withdrawn, superseded or past its ``valid_until`` →
   ``agreement.stale_version``.
7. In force: a version is in force from ``max(its accept's time, valid_from 00:00Z)`` until the earliest of
   its withdrawal, the moment a later version of the same id comes into force (then it is ``superseded``) and
   the end of its ``valid_until`` day (then ``expired``). A version both schemes signed whose window has not
   opened yet is reported ``proposed`` with ``accepted_index`` set.
8. No overlap (``agreement.overlap_in_force``): while a version of an id is accepted and not ended, a new
   version of that id must name it in ``terms.supersedes`` (checked on propose and on accept); and accepting
   a version is refused while a version of *another* agreement covering a common direction between the same
   schemes is, or will be, in force during an overlapping window.
   ``terms.supersedes`` naming an unknown version → ``agreement.unknown_version``, another hash →
   ``agreement.hash_mismatch``, a version never accepted or already ended → ``agreement.stale_version``
   (on propose; by the time of the accept the version named may have ended, which is harmless).
9. ``withdraw`` ends an open proposal or an accepted version (in force or pending), signed by either party.
   A version that was never proposed, or is already superseded, expired or withdrawn by the other party,
   → ``agreement.not_in_force``; withdrawn again by the same party → ``agreement.replayed``; other hash →
   ``agreement.hash_mismatch``.

Statuses (:func:`versions`): ``proposed``, ``in_force``, ``superseded``, ``withdrawn``, ``expired``.
A ``date`` passed as ``at`` means the end of that UTC day (the ledger as it stood when the day ended).

This module holds the admission rules (:func:`check_event`); the events and their instants are
:mod:`mapping.negotiation_events`, replaying a history into versions and statuses
:mod:`mapping.negotiation_replay`. Their names are re-exported here.
"""

from __future__ import annotations

from datetime import datetime

from .agreement_terms import Terms, VersionRef
from .negotiation_events import KINDS, AgreementEvent, instant, negotiation_error, window_end, window_start
from .negotiation_replay import STATUSES, Book, VersionState, negotiation_log, replay, versions


def _covered_pairs(terms: Terms) -> set[tuple[str, str]]:
    a, b = terms.parties
    if terms.direction == "mutual":
        return {(a, b), (b, a)}
    assert terms.from_scheme is not None and terms.to_scheme is not None  # parse_terms requires them one-way
    return {(terms.from_scheme, terms.to_scheme)}


def _check_signer(ev: AgreementEvent, parties: tuple[str, str], what: str) -> None:
    if ev.signer_scheme not in parties:
        raise negotiation_error(
            f"{ev.signer_scheme} is not a party to {what} (parties: {parties[0]}, {parties[1]})", "not_party", "/scheme"
        )
    if not ev.signer_is_root:
        raise negotiation_error(
            f"agreement entries are signed by a scheme's root key; {ev.signer_scheme} signed with another key",
            "not_root",
            "/signer",
        )


def _check_ref(book: Book, agreement_id: str, ref: VersionRef, pointer: str, what: str) -> VersionState:
    v = book.get(agreement_id, ref.version)
    if v is None:
        raise negotiation_error(
            f"{what} names {agreement_id} version {ref.version}, which was never proposed",
            "unknown_version",
            f"{pointer}/version",
        )
    if v.terms_hash != ref.terms_hash:
        raise negotiation_error(
            f"{what} names {agreement_id} version {ref.version} with terms hash {ref.terms_hash}; "
            f"the proposed terms hash to {v.terms_hash}",
            "hash_mismatch",
            f"{pointer}/terms_hash",
        )
    return v


def _window_overlaps(a_from: datetime, a_until: datetime | None, b_from: datetime, b_until: datetime | None) -> bool:
    return (b_until is None or a_from < b_until) and (a_until is None or b_from < a_until)


def check_event(history: list[AgreementEvent], event: AgreementEvent, *, now: datetime) -> None:
    """Raise :class:`MappingError` if ``event`` may not follow ``history`` at log time ``now``; else return.

    ``history`` holds the agreement events already in the log (any order; sorted by index here). The rules
    and codes are the numbered list at the top of this module.
    """
    now = instant(now)
    if history and event.index <= max(e.index for e in history):
        raise negotiation_error(f"event index {event.index} is not after the history's last index", "out_of_order")
    book = replay(history, now, every_event=True)  # the history is what the log holds, whatever its clock said
    if event.kind == "propose":
        _check_propose(book, event, now)
    elif event.kind == "accept":
        _check_accept(book, event, now)
    else:
        _check_withdraw(book, event)


def _check_propose(book: Book, ev: AgreementEvent, now: datetime) -> None:
    terms = ev.terms
    if terms is None:
        raise negotiation_error("a proposal carries its terms", "invalid_terms", "/terms")
    if terms.id != ev.agreement_id or terms.version != ev.version:
        raise negotiation_error(
            f"the entry proposes {ev.agreement_id} version {ev.version} "
            f"but its terms are {terms.id} version {terms.version}",
            "invalid_terms",
            "/terms/id" if terms.id != ev.agreement_id else "/terms/version",
        )
    what = f"agreement {terms.id}"
    _check_signer(ev, terms.parties, what)  # rule 2
    earlier = book.by_id.get(ev.agreement_id, [])
    if earlier and set(earlier[0].terms.parties) != set(terms.parties):
        raise negotiation_error(
            f"{what} is between {' and '.join(earlier[0].terms.parties)}; a new version cannot change the parties",
            "invalid_terms",
            "/terms/parties",
        )
    same = book.get(ev.agreement_id, ev.version)
    if same is not None:  # rule 3
        if same.terms_hash == ev.terms_hash:
            raise negotiation_error(
                f"{what} version {ev.version} was already proposed at index {same.proposed_index}", "replayed"
            )
        raise negotiation_error(
            f"{what} version {ev.version} already exists (index {same.proposed_index}) with other terms; "
            "propose a new version number",
            "duplicate_version",
            "/terms/version",
        )
    latest = max((v.version for v in earlier), default=0)
    if ev.version <= latest:
        raise negotiation_error(
            f"{what}: version {ev.version} is not above the latest version {latest}",
            "version_not_increasing",
            "/terms/version",
        )
    end = window_end(terms)
    if end is not None and now >= end:
        raise negotiation_error(
            f"{what} version {ev.version}: its window ended on {terms.valid_until}",
            "invalid_terms",
            "/terms/valid_until",
        )
    if ev.answers is not None:  # rule 4
        answered = _check_ref(book, ev.agreement_id, ev.answers, "/answers", "the counter-proposal")
        if answered.accepted_index is not None or answered.status != "proposed":
            state = "accepted" if answered.accepted_index is not None else answered.status
            raise negotiation_error(
                f"the counter-proposal answers {what} version {answered.version}, which is {state}; "
                "only an open proposal can be answered",
                "stale_version",
                "/answers/version",
            )
    _check_supersedes(book, ev, terms, what, on_propose=True)


def _check_supersedes(book: Book, ev: AgreementEvent, terms: Terms, what: str, *, on_propose: bool) -> None:
    """Rule 8, within one agreement id. On accept, the version named may have ended meanwhile: that is fine."""
    current = book.current(ev.agreement_id)
    if terms.supersedes is not None and on_propose:
        named = _check_ref(
            book, ev.agreement_id, terms.supersedes, "/terms/supersedes", f"version {ev.version}'s supersedes"
        )
        if named.accepted_index is None or named.status not in ("in_force", "proposed"):
            state = "never accepted" if named.accepted_index is None else named.status
            raise negotiation_error(
                f"version {ev.version} supersedes {what} version {named.version}, which is {state}",
                "stale_version",
                "/terms/supersedes/version",
            )
    if current is not None and (terms.supersedes is None or terms.supersedes.version != current.version):
        raise negotiation_error(
            f"{what} version {current.version} (accepted at index {current.accepted_index}) has not ended; "
            f"version {ev.version} must name it in supersedes, or two versions would be in force",
            "overlap_in_force",
            "/terms/supersedes",
        )


def _check_accept(book: Book, ev: AgreementEvent, now: datetime) -> None:
    what = f"agreement {ev.agreement_id}"
    v = book.get(ev.agreement_id, ev.version)
    if v is None:
        raise negotiation_error(
            f"{what} version {ev.version} was never proposed", "unknown_version", "/agreement/version"
        )
    _check_signer(ev, v.terms.parties, what)
    if ev.terms_hash != v.terms_hash:
        raise negotiation_error(
            f"the accept signs terms hash {ev.terms_hash} but {what} version {ev.version} hashes to {v.terms_hash}",
            "hash_mismatch",
            "/agreement/terms_hash",
        )
    if ev.signer_scheme == v.proposer:
        raise negotiation_error(
            f"{ev.signer_scheme} proposed {what} version {ev.version}; the other party accepts it",
            "self_accept",
            "/scheme",
        )
    if v.accepted_index is not None:
        raise negotiation_error(
            f"{what} version {ev.version} was already accepted at index {v.accepted_index}", "replayed"
        )
    if v.status != "proposed":
        detail = {
            "withdrawn": f"withdrawn at index {v.withdrawn_index}",
            "superseded": f"superseded by version {v.superseded_by}",
            "expired": f"past its valid_until {v.terms.valid_until}",
        }[v.status]
        raise negotiation_error(
            f"{what} version {ev.version} cannot be accepted: it is {detail}", "stale_version", "/agreement/version"
        )
    _check_supersedes(book, ev, v.terms, what, on_propose=False)
    # Rule 8 across agreements: one agreement at a time decides a direction between two schemes.
    start = max(now, window_start(v.terms))
    end = window_end(v.terms)
    pairs = _covered_pairs(v.terms)
    for other_id, others in book.by_id.items():
        if other_id == ev.agreement_id:
            continue
        for u in others:
            if u.accepted_index is None or u.status not in ("in_force", "proposed") or u.in_force_from is None:
                continue
            common = pairs & _covered_pairs(u.terms)
            if common and _window_overlaps(start, end, u.in_force_from, u.in_force_until):
                a, b = sorted(common)[0]
                raise negotiation_error(
                    f"agreement {other_id} version {u.version} (accepted at index {u.accepted_index}) already covers "
                    f"{a} -> {b} during this window; withdraw it first or amend it instead",
                    "overlap_in_force",
                    "/agreement/id",
                )


def _check_withdraw(book: Book, ev: AgreementEvent) -> None:
    what = f"agreement {ev.agreement_id}"
    v = book.get(ev.agreement_id, ev.version)
    if v is None:
        raise negotiation_error(
            f"{what} version {ev.version} was never proposed: nothing to withdraw", "not_in_force", "/agreement/version"
        )
    _check_signer(ev, v.terms.parties, what)
    if ev.terms_hash != v.terms_hash:
        raise negotiation_error(
            f"the withdrawal names terms hash {ev.terms_hash} but {what} version {ev.version} hashes to {v.terms_hash}",
            "hash_mismatch",
            "/agreement/terms_hash",
        )
    if v.status == "withdrawn":
        if v.withdrawn_by == ev.signer_scheme:
            raise negotiation_error(
                f"{ev.signer_scheme} already withdrew {what} version {ev.version} at index {v.withdrawn_index}",
                "replayed",
            )
        raise negotiation_error(
            f"{what} version {ev.version} was already withdrawn at index {v.withdrawn_index}",
            "not_in_force",
            "/agreement/version",
        )
    if v.status in ("superseded", "expired"):
        raise negotiation_error(
            f"{what} version {ev.version} is {v.status}: nothing to withdraw", "not_in_force", "/agreement/version"
        )


__all__ = [
    "KINDS",
    "STATUSES",
    "AgreementEvent",
    "VersionState",
    "check_event",
    "instant",
    "negotiation_log",
    "versions",
    "window_end",
    "window_start",
]
