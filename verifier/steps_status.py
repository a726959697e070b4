"""Steps 8 and 9 of DESIGN §6, and the citations reported with step 8, read from the bundle's fold.

8. status: a revocation or supersession of the label that the rule book accepts fails the step. A log proves
   inclusion, never absence: without one the step says "none seen as of tree size N", never "not revoked".
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

from datetime import date
from typing import Any

from mapping.errors import CarbonLedgerError

from .bundle import Bundle
from .bundle_fold import FoldedBundle
from .citations import check_citation
from .datasets import newer_versions, version_statuses
from .report import FAILED, PASSED, Report
from .steps_authority import Anchor, anchor
from .trust import Trust

_CITATION_ORDER = ("matched", "superseded", "retired", "missing", "unverified", "mismatch")


def step8_status(report: Report, b: Bundle, folded: FoldedBundle) -> None:
    label = b.label.entry.body["label"]
    ended = folded.state.label_status.get((label["scheme"], label["label_id"]))
    if ended is not None:
        by = next((e for e in b.entries if e.index == ended.index), None)
        reason = "" if by is None else f": {by.entry.body.get('reason', '')}"
        extra = f" by entry {ended.replacement_entry[:16]}…" if ended.replacement_entry else ""
        report.set(8, FAILED, f"label {ended.status}{extra} at index {ended.index}{reason}")
        return
    report.set(
        8,
        PASSED,
        f"none seen as of tree size {report.tree_size}: the bundle proves no revocation or supersession "
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
    assert report.label is not None
    label = report.label
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
            res.update(error=e.code, reason=e.message)
        res["authenticated"] = a.problem is None
        if a.problem is not None:
            res["reason"] = f"publisher {publisher}: {a.why()}; the bundle's entries say {res['status']}"
            res["status"] = "unverified"
        out.append(res)
    return out


def add_citation_summary(report: Report) -> None:
    """Step 8's detail names the citations' statuses ("citations: 1 matched, 1 superseded")."""
    if not report.citations or 8 not in report.steps:
        return
    counts: dict[str, int] = {}
    for c in report.citations:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    order = sorted(counts, key=lambda s: _CITATION_ORDER.index(s) if s in _CITATION_ORDER else len(_CITATION_ORDER))
    parts = [f"{counts[s]} {s}" + (" (not in the bundle)" if s == "missing" else "") for s in order]
    step8 = report.steps[8]
    report.set(8, step8.status, step8.detail + "; citations: " + ", ".join(parts))
