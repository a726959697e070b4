"""An agreement's negotiation as a timeline (issue 19 item 3): every step in time order, who signed it, and what
each new version changed — what the agreement page draws.

Steps are the agreement entries the log admitted (``propose``; a proposal that answers an open one is a
``counter`` when the other party sends it and a ``revise`` when the proposer does; ``accept``; ``withdraw``) and
the ends no entry marks: a version's window closing (``expiry``, at the first instant after its ``valid_until``
day), shown once it has passed and, for a version in force, ahead of time as ``expiry`` with ``future`` set.
Times are the log's integration times (what :mod:`mapping.negotiation` compares), the signer the entry's own key —
its fingerprint as a buyer compares it (:func:`verifier.trust.fingerprint`) and the holder the log knows for it —
and the changes :func:`mapping.terms_diff.terms_changes` from the previous version of the same agreement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mapping.negotiation import AgreementEvent, VersionState, versions, window_end
from mapping.terms_diff import terms_changes
from verifier.trust import fingerprint

from .log import Log

__all__ = ["STEP_KINDS", "TITLE_KEYS", "agreement_timelines"]

STEP_KINDS = ("propose", "counter", "revise", "accept", "withdraw", "expiry")
TITLE_KEYS = ("title", "title_zh", "title_zh_hant")  # the terms' optional titles a step carries


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def agreement_timelines(log: Log, agreement_ids: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """For each agreement id (those given, in that order; else every one, by first proposal), its steps in time
    order. Each step: ``kind`` (:data:`STEP_KINDS`), ``at``, ``version``, ``index`` (None for an expiry),
    ``scheme``, ``key_id``, ``fingerprint``, ``holder`` (None when the log keeps none), ``terms_hash``,
    ``answers`` (the version a counter or revision answers), ``reason``, ``title``, ``title_zh`` and ``title_zh_hant``
    (a proposal's terms' title in English, Simplified and Traditional Chinese, None where they state none),
    ``compared_to`` (the version a proposal's ``changes`` are from, None for the first), ``changes``
    (:class:`mapping.terms_diff.TermsChange` dicts) and ``future`` (an expiry still ahead)."""
    events = sorted(log.agreement_events(), key=lambda e: e.index)
    now = log.clock()
    wanted = agreement_ids if agreement_ids is not None else list(dict.fromkeys(e.agreement_id for e in events))
    chosen = set(wanted)
    mine = [e for e in events if e.agreement_id in chosen]
    signers = {i: row.signer for i, row in log.store.entries_at(e.index for e in mine).items()}
    states = {(v.agreement_id, v.version): v for v in versions(events, now) if v.agreement_id in chosen}
    out: dict[str, list[dict[str, Any]]] = {a: [] for a in wanted}
    proposals: dict[str, dict[int, AgreementEvent]] = {}
    for ev in mine:
        earlier = proposals.setdefault(ev.agreement_id, {})
        out[ev.agreement_id].append(_step(log, ev, signers.get(ev.index), earlier))
        if ev.kind == "propose":
            earlier[ev.version] = ev
    ends: dict[str, list[dict[str, Any]]] = {}
    for (agreement_id, _), v in sorted(states.items()):
        ending = _expiry(v, now)
        if ending is not None:
            ends.setdefault(agreement_id, []).append(ending)
    return {a: _merge(steps, sorted(ends.get(a, []), key=lambda s: s["at"])) for a, steps in out.items()}


def _merge(entries: list[dict[str, Any]], ends: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries in log order with each end placed before the first entry signed after it."""
    out: list[dict[str, Any]] = []
    for step in entries:
        while ends and ends[0]["at"] < step["at"]:
            out.append(ends.pop(0))
        out.append(step)
    return out + ends


def _step(log: Log, ev: AgreementEvent, key_id: str | None, earlier: dict[int, AgreementEvent]) -> dict[str, Any]:
    """One entry's step; ``earlier`` holds the agreement's proposals before it, by version."""
    kind = ev.kind
    compared_to, changes = None, []
    if kind == "propose":
        if ev.answers is not None:
            answered = earlier.get(ev.answers.version)
            kind = "revise" if answered is not None and answered.signer_scheme == ev.signer_scheme else "counter"
        previous = earlier.get(max((n for n in earlier if n < ev.version), default=0))
        if previous is not None and previous.terms is not None and ev.terms is not None:
            compared_to = previous.version
            changes = [c.to_dict() for c in terms_changes(previous.terms.document, ev.terms.document)]
    key = None if key_id is None else log.key(key_id)
    return {
        "kind": kind,
        "at": _iso(ev.at),
        "version": ev.version,
        "index": ev.index,
        "scheme": ev.signer_scheme,
        "key_id": key_id,
        "fingerprint": None if key is None else fingerprint(key.verifying_key.public_key),
        "holder": None if key is None else key.holder,
        "terms_hash": ev.terms_hash,
        "answers": None if ev.answers is None else ev.answers.version,
        "reason": ev.reason,
        **{key: None if ev.terms is None else ev.terms.document.get(key) for key in TITLE_KEYS},
        "compared_to": compared_to,
        "changes": changes,
        "future": False,
    }


def _expiry(v: VersionState, now: datetime) -> dict[str, Any] | None:
    """The step of ``v``'s window closing: passed (it expired, accepted or not), or ahead while it is in force
    and its window is what ends it; None otherwise."""
    end = window_end(v.terms)
    if end is None:
        return None
    if v.status == "expired":
        at = v.in_force_until if v.accepted_index is not None and v.in_force_until is not None else end
    elif v.status == "in_force" and v.end_reason == "expired" and v.in_force_until is not None:
        at = v.in_force_until
    else:
        return None
    return {
        "kind": "expiry",
        "at": _iso(at),
        "version": v.version,
        "index": None,
        "scheme": None,
        "key_id": None,
        "fingerprint": None,
        "holder": None,
        "terms_hash": v.terms_hash,
        "answers": None,
        "reason": None,
        **dict.fromkeys(TITLE_KEYS),
        "compared_to": None,
        "changes": [],
        "future": at > now,
    }
