"""Steps 8 and 9 of DESIGN §6, and the citations reported with step 8, read from the bundle's fold.

8. status. A bundle v2 proves it (:mod:`verifier.bundle_status`): the label's record in the checkpoint's
   status map says ``active`` (the step passes: "active, proven as of tree size N (signed at T)"), or
   ``revoked`` / ``superseded`` naming the deciding entry (the step fails, exit 6) — even when the bundle leaves
   that entry out. A bundle v1 proves inclusion, never absence: a revocation or supersession among its entries
   that the rule book accepts fails the step, and without one it says "none seen as of tree size N", never "not
   revoked". A trust file's ``max_status_age_s`` makes an older status (or none proven) ``status_stale``: the
   step fails and the report's exit code is 8 — unless the label is revoked or superseded, which stays so.
9. the label is within its validity window on the date asked. ``issued_at`` and ``valid_until`` are the
   issuer's statement; what the log shows is the label's index and its entry's ``signed_at``, and the report
   says which is which.

Citations (DESIGN §5 "Background data": "the verifier check[s] each citation"): a dataset entry counts when
the rule book folded it (signed by its publisher's key, the publisher registered as a data publisher) and the
publisher's root chain is anchored in the trust file; its version status comes from the folded versions.
Citations never change the exit code: a label whose stated factor disagrees with the signed value it cites is
refused by the rule book itself (step 3).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mapping.errors import CarbonLedgerError

from .bundle import Bundle
from .bundle_fold import FoldedBundle
from .bundle_status import label_status_id, signed_time
from .citations import check_citation
from .datasets import newer_versions, version_statuses
from .report import FAILED, PASSED, PROVEN_STEP_NAMES, Report
from .status_commit import ProvenStatus
from .steps_authority import Anchor, anchor
from .trust import Trust

__all__ = ["add_citation_summary", "citations", "judge_dates", "step8_status"]

_CITATION_ORDER = ("matched", "superseded", "retired", "missing", "unverified", "mismatch")


def step8_status(
    report: Report,
    b: Bundle,
    folded: FoldedBundle,
    t: Trust,
    now: datetime,
    proven: ProvenStatus | None = None,
    witnessed_s: int | None = None,
) -> None:
    """Step 8 (module docstring); sets ``report.status`` (see :meth:`Report.to_dict`) and ``report.stale``.

    ``witnessed_s``: when the trust file demands witnesses, the time by which that many cosigned the
    checkpoint; the status is then as fresh as the witnesses say, never the log: a log can sign any time it
    likes, but a witness cosigns only the newest checkpoint consistent with all it saw, at its own clock."""
    label = b.label.entry.body["label"]
    ended = folded.state.label_status.get((label["scheme"], label["label_id"]))
    if proven is None:
        _step8_shown(report, b, ended, t)
        return
    as_of_s = proven.time_s if witnessed_s is None else witnessed_s
    size, signed = proven.size, signed_time(as_of_s)
    ahead = as_of_s - int(now.timestamp())  # a time after now: a signer's clock (or word) no buyer can take as fresh
    age = max(0, -ahead)
    stale = t.max_status_age_s is not None and (age > t.max_status_age_s or ahead > MAX_CLOCK_AHEAD_S)
    has, record = proven.get("label", label_status_id(label["scheme"], label["label_id"]))
    state = record.get("status") if has and record is not None else None
    name = PROVEN_STEP_NAMES[8]
    status: dict[str, Any] = {
        "as_of_size": size,
        "label": state,
        "proven": True,
        "signed_at": signed,
        "age_s": age,
        "max_age_s": t.max_status_age_s,
        "time_from": "log" if witnessed_s is None else "witnesses",
        "stale": stale,
        "decided_by": None if record is None else record.get("decided_by"),
        "bundle_version": 2,
    }
    if state in ("revoked", "superseded"):
        assert record is not None  # state was read from the record
        report.status = status
        by = _deciding_entry(b, record.get("decided_by"), record.get("replacement"))
        report.set(8, FAILED, f"label {state}{by}, proven as of tree size {size} (signed at {signed})", name)
        return
    if state != "active":
        report.status = None if has else {**status, "label": ended.status if ended else "active", "proven": False}
        missing = "carries no status proof for the label" if not has else f"proves the label's status as {state!r}"
        report.set(8, FAILED, f"the bundle (v2) {missing}: its status is not proven as of tree size {size}")
        return
    report.status = status
    if ended is not None:  # the bundle holds a revocation the map does not show: the log contradicts itself
        report.set(
            8,
            FAILED,
            f"the bundle holds a {ended.status} of the label at index {ended.index} that the status map (active "
            f"as of tree size {size}) does not show",
        )
        return
    if stale:
        report.stale = True
        when = f"{ahead} s after this verifier's now" if ahead > MAX_CLOCK_AHEAD_S else f"{age} s ago"
        report.set(
            8,
            FAILED,
            f"status_stale: active, proven as of tree size {size}, but signed at {signed}, {when}; the trust "
            f"file accepts a status at most {t.max_status_age_s} s old — {_REFRESH}",
            name,
        )
        return
    report.set(8, PASSED, f"active, proven as of tree size {size} (signed at {signed})", name)


# A status time may run this far ahead of the verifier's clock (two honest clocks disagree); beyond it, a trust file
# with a maximum age cannot count the status as fresh: a log signing times in the future would stay fresh for ever.
MAX_CLOCK_AHEAD_S = 300

_REFRESH = (
    "refresh the bundle (`carbonledger bundle refresh BUNDLE --server URL --out FILE`) or verify online "
    "(`carbonledger verify BUNDLE --trust TRUST --server URL`)"
)


def _deciding_entry(b: Bundle, decided_by: Any, replacement: Any) -> str:
    """ " by entry 3f2a…  at index 7 (reason: recalled)" — the entry that decided the label's status."""
    if not isinstance(decided_by, str):
        return ""
    held = next((e for e in b.entries if e.entry.entry_id == decided_by), None)
    extra = f", replaced by entry {replacement[:16]}…" if isinstance(replacement, str) else ""
    if held is None:
        return f" by entry {decided_by[:16]}… (not in the bundle){extra}"
    reason = held.entry.body.get("reason")
    why = f": {reason}" if isinstance(reason, str) and reason else ""
    return f" by entry {decided_by[:16]}… ({held.entry.kind} at index {held.index}{why}){extra}"


def _step8_shown(report: Report, b: Bundle, ended: Any, t: Trust) -> None:
    """Step 8 for a bundle v1: what its entries show."""
    size = report.tree_size
    report.status = {
        "as_of_size": size,
        "label": "active" if ended is None else ended.status,
        "proven": False,
        "signed_at": None,
        "age_s": None,
        "max_age_s": t.max_status_age_s,
        "time_from": None,
        "stale": False,
        "decided_by": None if ended is None else ended.by_entry,
        "bundle_version": 1,
    }
    if ended is not None:
        by = next((e for e in b.entries if e.index == ended.index), None)
        reason = "" if by is None else f": {by.entry.body.get('reason', '')}"
        extra = f" by entry {ended.replacement_entry[:16]}…" if ended.replacement_entry else ""
        report.set(8, FAILED, f"label {ended.status}{extra} at index {ended.index}{reason}")
        return
    if t.max_status_age_s is not None:
        report.stale = report.status["stale"] = True
        report.set(
            8,
            FAILED,
            f"status_stale: the trust file accepts a status proven at most {t.max_status_age_s} s ago, and this "
            f"bundle (v1) proves none (none seen as of tree size {size}) — {_REFRESH}",
        )
        return
    report.set(
        8,
        PASSED,
        f"none seen as of tree size {size}: the bundle proves no revocation or supersession "
        f"(a log proves inclusion, not absence)",
    )


def judge_dates(issued_at: str, valid_until: str, at: date) -> tuple[str, str]:
    """Step 9's date rule on the issuer's stated dates (a shipment's labels share dates: the caller memoizes)."""
    try:
        issued, until = date.fromisoformat(issued_at), date.fromisoformat(valid_until)
    except (TypeError, ValueError):
        return FAILED, f"the label's dates are not real dates (issued_at {issued_at!r}, valid_until {valid_until!r})"
    if at < issued:
        return FAILED, f"{at} is before the issuer's stated issue date {issued}"
    if at > until:
        return FAILED, f"expired: valid until {until} as the issuer states, asked for {at}"
    return PASSED, f"the issuer states it valid from {issued} to {until}; asked for {at}"


def citations(report: Report, b: Bundle, t: Trust, folded: FoldedBundle) -> list[dict[str, Any]]:
    """Each item of the label's ``cites`` against the dataset entries the bundle holds and the fold accepted."""
    label = b.label.entry.body["label"]
    cites = [c for c in label.get("cites") or () if isinstance(c, dict)]
    if not cites:
        return []
    state = folded.state
    publishes = {e.entry.entry_id: e for e in b.of_kind("dataset.publish")}
    not_folded = {e.entry.entry_id: why for e, why in folded.left_out}
    not_folded.update({e.entry.entry_id: f"{err.code}: {err.message}" for e, err in folded.refused})
    anchors: dict[str, Anchor] = {}
    out: list[dict[str, Any]] = []
    for cite in cites:
        entry_id = str(cite.get("entry"))
        held = publishes.get(entry_id)
        found = state.dataset_payload(entry_id)
        if held is None or found is None:
            res = check_citation(cite, None, "missing", label).to_dict()
            if held is None:
                res.update(authenticated=False, reason="the bundle does not hold the cited dataset entry")
            else:
                why = not_folded.get(entry_id, "it is not in the checkpoint's tree (step 5)")
                res.update(
                    status="unverified", authenticated=False, reason=f"the cited dataset entry is left out: {why}"
                )
            out.append(res)
            continue
        record, body = found
        publisher = record.publisher
        if publisher not in anchors:
            anchors[publisher] = anchor(state, t, publisher)
        a = anchors[publisher]
        versions = state.dataset_versions(record.dataset_id)
        published = [v.version for v in versions]
        retired = [v.version for v in versions if v.status == "retired"]
        status = version_statuses(published, retired).get(record.version, "missing")
        try:
            res = check_citation(
                cite,
                body,
                status,
                label,
                newer_versions=newer_versions(record.version, published, retired),
                publisher=publisher,
                entry_id=entry_id,
            ).to_dict()
        except CarbonLedgerError as e:
            res = {m: cite.get(m) for m in ("dataset", "version", "entry", "key")}
            res.update(status="mismatch", value=None, unit=None, kind=None, publisher=publisher, newer_version=None)
            res["findings"] = []
            res.update(error=e.code, reason=e.message)
        res["authenticated"] = a.problem is None
        if a.problem is not None:
            res["reason"] = f"publisher {publisher}: {a.why()}; the bundle's entries say {res['status']}"
            res["status"] = "unverified"
        out.append(res)
    return out


def add_citation_summary(report: Report) -> None:
    """Step 8's detail names the citations' statuses ("citations: 1 matched, 1 superseded") and their findings
    ("1 flagged citation.published_after_issue"): flags, which change no step's status."""
    if not report.citations or 8 not in report.steps:
        return
    counts: dict[str, int] = {}
    for c in report.citations:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    order = sorted(counts, key=lambda s: _CITATION_ORDER.index(s) if s in _CITATION_ORDER else len(_CITATION_ORDER))
    parts = [f"{counts[s]} {s}" + (" (not in the bundle)" if s == "missing" else "") for s in order]
    flags: dict[str, int] = {}
    for c in report.citations:
        for f in c.get("findings") or ():
            flags[f["code"]] = flags.get(f["code"], 0) + 1
    parts += [f"{n} flagged {code}" for code, n in sorted(flags.items())]
    step8 = report.steps[8]
    report.set(8, step8.status, step8.detail + "; citations: " + ", ".join(parts), step8.name)
