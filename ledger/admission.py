"""Admission: the log's gate before it appends an entry (DESIGN §3).

The rules are the rule book's (:func:`verifier.rules.fold_entry`), the same ones a buyer's verifier folds a
bundle through; admission adds only what belongs to the operator and cannot be re-checked from the log:

1. ``signed_at`` is within ``policy.max_clock_skew_s`` of the log's clock (``clock.skew``);
2. the operator's allow-list of new scheme registrations (``policy``, passed to the rule book).

Pure: the clock (``now``), the log's authority state (``view``) and the policy are passed in; the result is
the list of changes the entry makes. A refusal raises a :class:`~mapping.errors.RuleError` (or the verifier's
own error for bad bytes or signatures) with a stable code, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from mapping.errors import AdmissionError
from verifier.envelope import Entry
from verifier.ledger_state import AuthorityView, Change, Policy
from verifier.rules import fold_entry, parse_time

__all__ = ["admit", "parse_time"]


def admit(
    entry: Entry,
    index: int,
    view: AuthorityView,
    now: datetime,
    policy: Policy,
    preverified: Collection[tuple[str, bytes, bytes]] = (),
) -> list[Change]:
    """Decide whether ``entry`` may be appended at ``index``; return its changes or raise.

    ``preverified`` holds (entry id, signature, public key) triples whose signature the caller already checked
    (the log checks signatures in parallel ahead of admission). The entry id is the SHA-256 of the payload and
    the payload type is fixed, so a triple names the exact bytes verified: a copy of an envelope with another
    signature is never taken for a verified one. Any other entry's signature is checked by the rule book."""
    _check_clock(entry, now, policy)
    return fold_entry(entry, index, view, policy, preverified)


def _check_clock(entry: Entry, now: datetime, policy: Policy) -> None:
    signed_at = parse_time(entry.signed_at)
    skew = abs((signed_at - now).total_seconds())
    if skew > policy.max_clock_skew_s:
        raise AdmissionError(
            f"signed_at {entry.signed_at} is {int(skew)} s from the log's clock {now.strftime('%Y-%m-%dT%H:%M:%SZ')}; "
            f"at most {policy.max_clock_skew_s} s allowed",
            code="clock.skew",
            field="/signed_at",
        )
