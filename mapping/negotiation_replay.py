"""Replaying an agreement history: every version proposed, and where each stands at a given instant.

Events apply in log order (rules 5-7 of :mod:`mapping.negotiation`): a proposal supersedes the open proposals
before it; an accept puts a version in force from ``max(accept time, valid_from)``; a version ends at the
earliest of its withdrawal, its successor coming into force and the end of its window. Statuses
(:data:`STATUSES`): ``proposed``, ``in_force``, ``superseded``, ``withdrawn``, ``expired``. Requires a history
that :func:`mapping.negotiation.check_event` admitted event by event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .agreement_terms import Terms, VersionRef
from .negotiation_events import AgreementEvent, instant, negotiation_error, window_end, window_start

STATUSES = ("proposed", "in_force", "superseded", "withdrawn", "expired")


@dataclass
class VersionState:
    """One agreement version and where it stands at the time asked."""

    agreement_id: str
    version: int
    terms_hash: str
    terms: Terms
    proposer: str
    proposed_index: int
    proposed_at: datetime
    answers: VersionRef | None = None
    status: str = "proposed"
    accepter: str | None = None
    accepted_index: int | None = None
    accepted_at: datetime | None = None
    withdrawn_index: int | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    superseded_by: int | None = None
    in_force_from: datetime | None = None
    in_force_until: datetime | None = None
    end_reason: str | None = None
    # the index of the entry that ended it (a withdrawal, or the accept that put its successor in force at once)
    end_index: int | None = None
    _successor: VersionState | None = field(default=None, repr=False)

    @property
    def schemes(self) -> list[str]:
        return list(self.terms.parties)

    @property
    def ref(self) -> VersionRef:
        return VersionRef(self.version, self.terms_hash)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.agreement_id,
            "version": self.version,
            "schemes": self.schemes,
            "direction": self.terms.direction,
            "from": self.terms.from_scheme,
            "to": self.terms.to_scheme,
            "terms_hash": self.terms_hash,
            "status": self.status,
            "proposer": self.proposer,
            "accepter": self.accepter,
            "proposed_index": self.proposed_index,
            "accepted_index": self.accepted_index,
            "withdrawn_index": self.withdrawn_index,
            "superseded_by": self.superseded_by,
            "answers": None if self.answers is None else self.answers.to_dict(),
            "in_force_from": _iso(self.in_force_from),
            "in_force_until": _iso(self.in_force_until),
            "end_reason": self.end_reason if self.status == self.end_reason else None,
        }


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Book:
    """Every version proposed in a history, with the facts its events established (rules 5-7)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, int], VersionState] = {}
        self.by_id: dict[str, list[VersionState]] = {}

    def get(self, agreement_id: str, version: int) -> VersionState | None:
        return self.by_key.get((agreement_id, version))

    def _known(self, ev: AgreementEvent) -> VersionState:
        v = self.by_key.get((ev.agreement_id, ev.version))
        if v is None:  # only a history check_event did not admit can get here
            raise negotiation_error(
                f"index {ev.index}: {ev.agreement_id} version {ev.version} was never proposed", "unknown_version"
            )
        return v

    def apply(self, ev: AgreementEvent) -> None:
        if ev.kind == "propose":
            assert ev.terms is not None  # event_from_payload parses a propose's terms
            v = VersionState(
                agreement_id=ev.agreement_id,
                version=ev.version,
                terms_hash=ev.terms_hash,
                terms=ev.terms,
                proposer=ev.signer_scheme,
                proposed_index=ev.index,
                proposed_at=ev.at,
                answers=ev.answers,
            )
            for earlier in self.by_id.get(ev.agreement_id, []):
                if earlier.accepted_index is None and earlier.superseded_by is None:
                    earlier.superseded_by = ev.version  # rule 5
            self.by_key[(ev.agreement_id, ev.version)] = v
            self.by_id.setdefault(ev.agreement_id, []).append(v)
        elif ev.kind == "accept":
            v = self._known(ev)
            v.accepter, v.accepted_index, v.accepted_at = ev.signer_scheme, ev.index, ev.at
            v.in_force_from = max(ev.at, window_start(v.terms))
            for earlier in self.by_id[ev.agreement_id]:
                if (
                    earlier is not v
                    and earlier.accepted_index is not None
                    and earlier.withdrawn_index is None
                    and earlier._successor is None
                ):
                    earlier._successor = v  # rule 7: ends when v comes into force
        else:
            v = self._known(ev)
            v.withdrawn_index, v.withdrawn_at, v.withdrawn_by = ev.index, ev.at, ev.signer_scheme

    def settle(self, t: datetime) -> None:
        """Compute every version's end and status at instant ``t`` (after all events up to ``t`` applied)."""
        for v in self.by_key.values():
            v.in_force_until, v.end_reason, v.end_index = None, None, None
            if v.accepted_index is None:
                end = window_end(v.terms)
                if v.withdrawn_index is not None:
                    v.status = "withdrawn"
                elif v.superseded_by is not None:
                    v.status = "superseded"
                elif end is not None and t >= end:
                    v.status = "expired"
                else:
                    v.status = "proposed"
                continue
            assert v.in_force_from is not None  # apply() sets it with accepted_index
            ends: list[tuple[datetime, str, int | None]] = []
            if v.withdrawn_at is not None:
                ends.append((max(v.withdrawn_at, v.in_force_from), "withdrawn", v.withdrawn_index))
            if v._successor is not None:
                s = v._successor
                assert s.in_force_from is not None and s.accepted_at is not None  # a successor is an accepted one
                at_once = s.in_force_from == s.accepted_at
                ends.append(
                    (max(s.in_force_from, v.in_force_from), "superseded", s.accepted_index if at_once else None)
                )
            end = window_end(v.terms)
            if end is not None:
                ends.append((max(end, v.in_force_from), "expired", None))
            if ends:
                rank = {"withdrawn": 0, "superseded": 1, "expired": 2}
                v.in_force_until, v.end_reason, v.end_index = min(ends, key=lambda e: (e[0], rank[e[1]]))
            v.superseded_by = v._successor.version if v._successor and v.end_reason == "superseded" else None
            if v.in_force_until is not None and t >= v.in_force_until:
                assert v.end_reason is not None  # set with in_force_until, above
                v.status = v.end_reason
            elif t >= v.in_force_from:
                v.status = "in_force"
            else:
                v.status = "proposed"  # signed by both; its window has not opened yet (rule 7)

    def current(self, agreement_id: str) -> VersionState | None:
        """The latest accepted version of ``agreement_id`` that has not ended (in force or pending), if any."""
        for v in reversed(self.by_id.get(agreement_id, [])):
            if v.accepted_index is not None and v.status in ("in_force", "proposed"):
                return v
        return None


def replay(history: Iterable[AgreementEvent], upto: datetime, *, every_event: bool = False) -> Book:
    """Replay ``history`` in log order (only events integrated by ``upto`` unless ``every_event``), settled at
    ``upto``."""
    book = Book()
    for ev in sorted(history, key=lambda e: e.index):
        if every_event or ev.at <= upto:
            book.apply(ev)
    book.settle(upto)
    return book


def versions(history: Iterable[AgreementEvent], at: date | datetime) -> list[VersionState]:
    """Every version proposed by ``at`` (a ``date`` means the end of that UTC day), with its status at ``at``.

    Only events the log integrated by ``at`` count. Sorted by agreement id, then version. Requires a history
    that :func:`check_event` admitted event by event.
    """
    book = replay(history, instant(at))
    return sorted(book.by_key.values(), key=lambda v: (v.agreement_id, v.version))


def negotiation_log(history: Iterable[AgreementEvent], agreement_id: str | None = None) -> list[dict[str, Any]]:
    """The full negotiation history (every propose, accept and withdraw), in log order, as plain dicts."""
    out = []
    for ev in sorted(history, key=lambda e: e.index):
        if agreement_id is not None and ev.agreement_id != agreement_id:
            continue
        out.append(
            {
                "index": ev.index,
                "at": _iso(ev.at),
                "kind": f"agreement.{ev.kind}",
                "scheme": ev.signer_scheme,
                "id": ev.agreement_id,
                "version": ev.version,
                "terms_hash": ev.terms_hash,
                "answers": None if ev.answers is None else ev.answers.to_dict(),
                "reason": ev.reason,
            }
        )
    return out


__all__ = ["STATUSES", "Book", "VersionState", "negotiation_log", "replay", "versions"]
