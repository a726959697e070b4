"""Step 10 of DESIGN §6: equivalence under the target scheme, from the agreement entries the rule book folded.

The target scheme is the one the buyer asks about (``--to``, else the trust file's ``buyer_scheme``), never an
unsigned field of the bundle. Every agreement entry of the bundle went through the rule book
(:mod:`verifier.bundle_fold`): a self-accept, an accept by a non-party or of other terms than the version
proposed, a second proposal of the same version — each makes the bundle not authentic (step 5) instead of
reaching this step. Here only events spoken by schemes whose root chain the trust file anchors count; the
verdict is :func:`verifier.equivalence_offline.offline_verdict`'s, the same rules the log service applies.

What the bundle shows about the two schemes' agreements comes first (:mod:`verifier.equivalence_evidence`):
no evidence is the verdict ``no_evidence`` (saying how to get it), a proven absence ``no_agreement``
("proven: no agreement between A and B as of tree size N"); an agreement that has expired, with no version
in force, is ``not_recognized`` ("agreement X version V expired on D"), not ``no_agreement``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mapping.errors import CarbonLedgerError
from mapping.negotiation import AgreementEvent

from .bundle import Bundle
from .bundle_fold import FoldedBundle
from .equivalence_evidence import MISSING, PROVEN, PROVEN_ABSENT, Evidence, agreement_evidence
from .equivalence_offline import EVENT_KINDS, offline_verdict
from .report import FAILED, NOT_APPLICABLE, PASSED, Report
from .status_commit import ProvenStatus
from .steps_authority import Anchor, anchor
from .trust import Trust

__all__ = ["step10_equivalence"]


def step10_equivalence(
    report: Report,
    b: Bundle,
    t: Trust,
    target: str | None,
    at: date,
    folded: FoldedBundle,
    proven: ProvenStatus | None = None,
) -> None:
    label = b.label.entry.body["label"]
    scheme = label["scheme"]
    if target is None:
        report.set(10, NOT_APPLICABLE, "no target scheme asked (give one, or name buyer_scheme in the trust file)")
        return
    if target == scheme:
        report.equivalence = {
            "verdict": "recognized",
            "agreement": None,
            "reasons": ["same scheme"],
            "failed_conditions": [],
            "target_scheme": target,
            "excluded": [],
        }
        report.set(10, PASSED, f"same scheme: the label is a {scheme} label")
        return
    state = folded.state
    evidence = agreement_evidence(b, state, scheme, target, proven)
    if evidence.kind == MISSING:
        report.equivalence = {
            "verdict": "no_evidence",
            "agreement": None,
            "reasons": [evidence.detail],
            "failed_conditions": [],
            "target_scheme": target,
            "excluded": [],
        }
        report.set(10, FAILED, f"no_evidence under {target}: {evidence.detail}")
        return
    anchors: dict[str, Anchor] = {}

    def anchor_of(s: str) -> Anchor:
        if s not in anchors:
            anchors[s] = anchor(state, t, s)
        return anchors[s]

    excluded = [
        f"{e.entry.kind} at index {e.index} left out: {why}"
        for e, why in folded.left_out
        if e.entry.kind in EVENT_KINDS
    ]
    unanchored: dict[str, list[int]] = {}
    events: list[AgreementEvent] = []
    for added in state.agreements:
        if evidence.kind == PROVEN_ABSENT or (evidence.kind == PROVEN and added.event.index not in evidence.events):
            continue  # the status map proves which agreement entries are between the two schemes
        speaker = added.scheme
        if anchor_of(speaker).problem is not None:
            unanchored.setdefault(speaker, []).append(added.event.index)
            continue
        events.append(added.event)
    for speaker, indexes in unanchored.items():
        role = "target scheme" if speaker == target else ("label's scheme" if speaker == scheme else "scheme")
        n = len(indexes)
        excluded.insert(
            0,
            f"{role} {speaker}: {anchor_of(speaker).why()} — agreements signed by it cannot be checked "
            f"({n} entr{'y' if n == 1 else 'ies'} left out, at index {', '.join(map(str, indexes))})",
        )
    datasets: dict[str, dict[str, Any]] = {
        entry_id: payload
        for entry_id, (record, payload) in state.dataset_payloads.items()
        if anchor_of(record.publisher).problem is None
    }
    pinned = {pin.entry for ev in events if ev.terms is not None for pin in ev.terms.datasets}
    for entry in sorted(pinned):
        if entry not in datasets and entry in state.dataset_payloads:
            record = state.dataset_payloads[entry][0]
            excluded.append(
                f"dataset.publish at index {record.index} left out: publisher {record.publisher}: "
                f"{anchor_of(record.publisher).why()} (a dataset entry an agreement pins)"
            )
    try:
        verdict = offline_verdict(
            label, scheme, b.label.index, b.label.entry.signed_at, target, at, events, datasets=datasets
        ).to_dict()
    except CarbonLedgerError as e:
        verdict = {
            "verdict": "no_agreement",
            "agreement": None,
            "reasons": [f"the agreement entries break a negotiation rule [{e.code}]: {e.message}"],
            "failed_conditions": [],
        }
    verdict.update(target_scheme=target, excluded=excluded)
    report.equivalence = verdict
    _report_verdict(report, target, verdict, len(events), excluded, evidence)


def _evidence_words(evidence: Evidence, scheme: str, target: str, size: int | None) -> str:
    """What a failed verdict rests on: a proof (bundle v2) or the entries a bundle v1 happens to hold."""
    if evidence.kind == PROVEN_ABSENT:
        return evidence.detail
    if evidence.kind == PROVEN:
        listed = ", ".join(evidence.agreements)
        return f"proven: the agreements between {scheme} and {target} as of tree size {size} are {listed}"
    return (
        f"as the bundle shows: a bundle v1 holds what the log included as of tree size {size}, and proves no "
        f"absence of other agreement entries"
    )


def _report_verdict(
    report: Report, target: str, verdict: dict[str, Any], n_events: int, excluded: list[str], evidence: Evidence
) -> None:
    tail = "".join(f"; {n}" for n in excluded)
    ref = verdict["agreement"]
    if verdict["verdict"] in ("recognized", "recognized_after_conversion"):
        assert ref is not None  # evaluate names the agreement of every such verdict but "same scheme" (above)
        converted = verdict.get("converted")
        conv = ""
        if converted is not None:
            conv = f"; converted value {converted['value']} {converted['unit']}" + (
                " (approximate)" if converted.get("approximate") else ""
            )
        judged = (
            f"judged from the {n_events} authenticated agreement entries the status map lists, all in the bundle, "
            f"as of tree size {report.tree_size} (proven: no other agreement entry between the schemes then)"
            if evidence.kind == PROVEN
            else f"judged from the {n_events} authenticated agreement entries the bundle holds as of tree size "
            f"{report.tree_size} (a log proves inclusion, not the absence of a later withdrawal)"
        )
        report.set(
            10,
            PASSED,
            f"{verdict['verdict']} under {target} by agreement {ref['id']} version {ref['version']} (terms hash "
            f"{ref['terms_hash'][:16]}…, in force by the accept at index {ref['index']}){conv}; {judged}{tail}",
        )
        return
    by = "" if ref is None else f" by agreement {ref['id']} version {ref['version']} (accept at index {ref['index']})"
    label = report.label or {}  # the label's summary: its scheme
    words = _evidence_words(evidence, str(label.get("scheme")), target, report.tree_size)
    report.set(10, FAILED, f"{verdict['verdict']} under {target}{by}: {words}; " + "; ".join(verdict["reasons"]) + tail)
