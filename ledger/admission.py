"""Admission: the log's gate before it appends an entry (DESIGN §3).

The rules are the rule book's (:func:`verifier.rules.fold_entry`), the same ones a buyer's verifier folds a
bundle through; admission adds only what belongs to the operator and cannot be re-checked from the log:

1. ``signed_at`` is within ``policy.max_clock_skew_s`` of the log's clock (``clock.skew``);
2. the operator's allow-list of new scheme registrations (``policy``, passed to the rule book);
3. what the store can hold: text without NUL characters, strings and numbers that fit their columns — one rule
   for SQLite and PostgreSQL, read from the table definitions (``ledger/store_limits.py``);
4. ids that round-trip: the id an entry is about (a label, dataset, profile or agreement id) and its scheme
   name a URL path segment of the API and the pages, so they hold no ``/`` and are not ``.`` or ``..``
   (``entry.id_not_addressable``): an id no URL can read back is refused rather than stored.

Pure: the clock (``now``), the log's authority state (``view``) and the policy are passed in; the result is
the list of changes the entry makes. A refusal raises a :class:`~mapping.errors.RuleError` (or the verifier's
own error for bad bytes or signatures) with a stable code, and changes nothing.

Besides refusals, admission flags (:func:`findings`): what the issuer should be told but the rule book does not
refuse — a label citing a value published after its ``issued_at`` (``citation.published_after_issue``, the
verifier's own rule, :mod:`verifier.citations_published`, which says why it flags and never refuses). The
receipt carries the findings; the offline verifier reports the same ones to a buyer.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from mapping.errors import AdmissionError
from verifier.citations_published import label_findings
from verifier.envelope import Entry
from verifier.ledger_state import AuthorityView, Change, Policy
from verifier.rules import fold_entry, parse_time

from . import rows
from .store_limits import check_storable

__all__ = ["admit", "findings", "parse_time"]

_NAMING_KINDS = frozenset({"scheme.register", "label.issue", "dataset.publish", "profile.publish", "agreement.propose"})


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
    changes = fold_entry(entry, index, view, policy, preverified)
    row = rows.entry_row(entry, index, 0)  # once, for both checks below
    check_storable(entry, index, changes, row)
    _check_addressable(entry, row)
    return changes


def findings(entry: Entry, view: AuthorityView) -> tuple[dict[str, Any], ...]:
    """The flags of an admitted ``entry`` (module docstring), judged against ``view``: for a ``label.issue``, each
    cited value published after the label's ``issued_at``; nothing for other kinds."""
    if entry.kind != "label.issue":
        return ()

    def payload_of(entry_id: str) -> dict[str, Any] | None:
        found = view.dataset_payload(entry_id)
        return None if found is None else found[1]

    return tuple(label_findings(entry.body["label"], payload_of))


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


def _check_addressable(entry: Entry, row: tuple[Any, ...]) -> None:
    """Only entries that create a name: one stored before this rule can still be revoked, superseded, retired."""
    if entry.kind not in _NAMING_KINDS:
        return
    _, _, kind, _, _, scheme, subject, *_ = row
    for what, value in (("scheme", scheme), ("id", subject)):
        if isinstance(value, str) and ("/" in value or value in (".", "..")):
            raise AdmissionError(
                f"the {kind} entry's {what} {value[:80]!r} cannot be read back through a URL: it holds '/' "
                "or is '.' or '..'",
                code="entry.id_not_addressable",
            )
