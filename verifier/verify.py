"""The buyer's verification: the ten numbered steps of DESIGN §6, pure (clock and kept state passed in).

:func:`verify_bundle` never raises on bad input: it returns a :class:`Report`
whose steps say passed / failed / not applicable with a detail a person can
read. :func:`verify_bundle_or_raise` is the raising wrapper.

Every proof is checked against the verified checkpoint's own size and root —
never against a root stated elsewhere in the bundle. A log proves inclusion,
never absence: for a bundle v1 step 8 reports "none seen as of tree size N", never
"not revoked". A bundle v2 carries status map proofs against the status root the
checkpoint commits to (step 5 checks them: a forged one is not authentic); steps 3,
4, 8 and 10 then judge from the proven records (the key's revocation, the scheme's
current root, the label's status, the agreements between the two schemes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mapping.errors import CarbonLedgerError, InputError
from verifier.bundle import Bundle, parse_bundle
from verifier.bundle_fold import FoldedBundle, check_label_signature, describe_refusal, fold_bundle
from verifier.collector import collector_paused
from verifier.note import split_note
from verifier.report import FAILED, NOT_APPLICABLE, PASSED, Report, label_summary
from verifier.shipment_cache import VerifierCache
from verifier.status_commit import ProvenStatus
from verifier.steps_authority import anchor, step4_proven_root, step4_scheme, steps_2_and_3
from verifier.steps_equivalence import step10_equivalence
from verifier.steps_log import (
    KeptCheckpoint,
    VerifiedCheckpoint,
    fail_step5,
    step5_inclusion,
    step5_status,
    step6_checkpoint,
    step7_consistency,
)
from verifier.steps_status import add_citation_summary, citations, judge_dates, step8_status
from verifier.trust import Trust, parse_trust

# What callers may hand in; anything but bytes-like is reported as unusable input (step 1), never raised.
BundleInput = bytes | bytearray | memoryview | str
TrustInput = Trust | bytes | bytearray | memoryview | str


def _read_as_bytes(data: BundleInput, what: str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise InputError(f"a {what} is read as bytes, not {type(data).__name__}", code="input.type", field=what)


def parsed_trust(trust: TrustInput) -> Trust | CarbonLedgerError:
    """Requires nothing. ``trust`` parsed, or why it was refused (each bundle's step 1 then says so)."""
    if isinstance(trust, Trust):
        return trust
    try:
        return parse_trust(_read_as_bytes(trust, "trust file"))
    except CarbonLedgerError as e:
        return e


def verify_bundle(
    bundle_bytes: BundleInput,
    trust: TrustInput,
    *,
    at: date,
    now: datetime,
    kept: KeptCheckpoint | None = None,
    consistency_proof: list[bytes] | None = None,
    target_scheme: str | None = None,
    cache: VerifierCache | None = None,
    label_id: str | None = None,
    label_scheme: str | None = None,
) -> Report:
    """Every step of DESIGN §6 for one bundle: a shipment of one (:func:`verify_shipment`)."""
    return verify_shipment(
        (bundle_bytes,),
        trust,
        at=at,
        now=now,
        kept=kept,
        consistency_proof=consistency_proof,
        target_scheme=target_scheme,
        cache=cache,
        label_id=label_id,
        label_scheme=label_scheme,
    )[0]


def verify_shipment(
    bundles: Sequence[BundleInput],
    trust: TrustInput,
    *,
    at: date,
    now: datetime,
    kept: KeptCheckpoint | None = None,
    consistency_proof: list[bytes] | None = None,
    target_scheme: str | None = None,
    cache: VerifierCache | None = None,
    label_id: str | None = None,
    label_scheme: str | None = None,
) -> list[Report]:
    """:func:`verify_bundle` of each bundle of a shipment, each report the one it returns for that bundle.

    The steps run phase by phase across the bundles (parsing, steps 6, 5 and the rule book's fold of every
    bundle, then steps 7-10), so each phase's code and tables stay in the processor's caches. Every bundle
    gets every step; no result of one bundle decides another's beyond what :class:`VerifierCache` shares.

    The question is bound to the answer: ``label_id`` (and ``label_scheme``), when given, name the label the
    buyer asks about, and a bundle holding another label fails (not authentic: "the bundle holds label X, not
    Y"). The target scheme is ``target_scheme``, else the trust file's ``buyer_scheme`` — never the bundle's
    unsigned ``target_scheme`` field."""
    if cache is None:
        cache = VerifierCache()
    t = parsed_trust(trust)  # one trust file for the whole shipment: parsed once, its refusal each bundle's step 1
    with collector_paused():  # a shipment's objects die by reference counting (verifier.collector)
        started = [_steps_1_to_6(bundle, t, now, cache, label_id, label_scheme) for bundle in bundles]
        for s in started:  # every label signature in one phase (Ed25519's code and tables stay hot)
            if isinstance(s, _Started):
                check_label_signature(s.b, s.folded)
                if s.bound:
                    steps_2_and_3(s.report, s.b, s.folded, s.proven)
        reports = [
            _steps_7_to_10(s, at, now, kept, consistency_proof, target_scheme, cache) if isinstance(s, _Started) else s
            for s in started
        ]
        # The bundles' parsed documents and folds die here, while the collector is paused: alive at its
        # resumption, they would all be walked by the collection it then starts.
        del started
    return reports


__all__ = [
    "BundleInput",
    "KeptCheckpoint",
    "TrustInput",
    "VerifierCache",
    "parsed_trust",
    "verify_bundle",
    "verify_bundle_or_raise",
    "verify_shipment",
]


@dataclass(slots=True)
class _Started:
    """A bundle past step 1, with the results of steps 2-6 that later steps use."""

    report: Report
    b: Bundle
    t: Trust
    cp: VerifiedCheckpoint | None
    folded: FoldedBundle
    bound: bool  # the bundle holds the label asked about
    proven: ProvenStatus | None  # what a bundle v2's status proofs prove (None: v1, or they failed step 5)


def _steps_1_to_6(
    bundle_bytes: BundleInput,
    t: Trust | CarbonLedgerError,
    now: datetime,
    cache: VerifierCache,
    label_id: str | None,
    label_scheme: str | None,
) -> _Started | Report:
    """Step 1, then steps 6 and 5, the rule book's fold of the bundle and step 4 (steps 2 and 3 follow once the
    shipment's label signatures are checked); the finished report when step 1 fails (``t``: the parsed trust file,
    or why it was refused)."""
    report = Report()
    # Step 1: parse and schema-validate the bundle and the trust file; canonical bytes only.
    if isinstance(t, CarbonLedgerError):
        report.set(1, FAILED, f"unusable input [{t.code}]: {t.message}")
        return report
    try:
        b = parse_bundle(_read_as_bytes(bundle_bytes, "bundle"), cache.items, cache.status_items)
        body_origin = cache.note_origins.get(b.checkpoint)
        if body_origin is None:
            body_origin = cache.note_origins[b.checkpoint] = split_note(b.checkpoint)[0].split("\n", 1)[0]
        if not (b.origin == t.origin == body_origin):
            raise InputError(
                f"mixed origins: bundle {b.origin!r}, checkpoint {body_origin!r}, trust file {t.origin!r}",
                code="bundle.origin_mismatch",
                field="/origin",
            )
    except CarbonLedgerError as e:
        report.set(1, FAILED, f"unusable input [{e.code}]: {e.message}")
        return report
    label = b.label
    report.label, report.label_index = label_summary(label.entry.body["label"]), label.index
    report.set(1, PASSED, f"bundle of {len(b.entries)} entries and trust file parsed; all canonical")
    cp = step6_checkpoint(report, b, t, now, cache)
    included = step5_inclusion(report, b, cp, cache)
    proven = step5_status(report, b, cp, cache)
    folded = fold_bundle(b, included, cache)
    if folded.refused:
        # The log included entries its own rules refuse: the bundle is not authentic (DESIGN §2).
        first, err = folded.refused[0]
        more = f" (and {len(folded.refused) - 1} more)" if len(folded.refused) > 1 else ""
        fail_step5(report, describe_refusal(first, err) + more)
    scheme = label.entry.body["label"]["scheme"]
    a = cache.remember(  # a shipment's bundles share their fold's state when nothing follows their labels
        ("anchor", folded.state, scheme, t.scheme_roots.get(scheme)), lambda: anchor(folded.state, t, scheme)
    )
    step4_scheme(report, a)
    step4_proven_root(report, a, folded.state, proven)
    bound = _bound_to_question(report, b, label_id, label_scheme)
    return _Started(report, b, t, cp, folded, bound, proven)


def _steps_7_to_10(
    s: _Started,
    at: date,
    now: datetime,
    kept: KeptCheckpoint | None,
    consistency_proof: list[bytes] | None,
    target_scheme: str | None,
    cache: VerifierCache,
) -> Report:
    report, b, t = s.report, s.b, s.t
    step7_consistency(report, s.cp, kept, consistency_proof)
    if not report.authentic:
        # DESIGN §6: "After a failed step, the steps that depend on it are 'not checked', never 'passed'."
        failed = ", ".join(str(r.step) for r in report.failed(1, 2, 3, 4, 5, 6))
        for step in (8, 9, 10):
            report.set(step, NOT_APPLICABLE, f"not checked: the label is not authentic (step {failed} failed)")
        return report
    witnessed = s.cp.witnessed_s(t.threshold) if s.cp is not None and t.threshold else None
    step8_status(report, b, s.folded, t, now, s.proven, witnessed)
    report.citations = citations(report, b, t, s.folded)
    add_citation_summary(report)
    _step9_validity(report, b, at, now, t, s.cp, cache)
    if report.failed(8) and not report.stale:
        # A revoked, superseded or unproven label is not judged for equivalence (DESIGN §6: "not checked").
        report.set(10, NOT_APPLICABLE, "not checked: the label's status fails step 8")
    else:
        step10_equivalence(report, b, t, target_scheme or t.buyer_scheme, at, s.folded, s.proven)
    return report


def _bound_to_question(report: Report, b: Bundle, label_id: str | None, label_scheme: str | None) -> bool:
    """Whether the bundle holds the label asked about; if not, step 2 fails saying which label it holds."""
    held = b.label.entry.body["label"]
    if (label_id is None or held["label_id"] == label_id) and (label_scheme is None or held["scheme"] == label_scheme):
        return True
    asked = f"{label_id or '(any id)'}" + (f" of {label_scheme}" if label_scheme else "")
    report.set(
        2,
        FAILED,
        f"the bundle holds label {held['label_id']} of {held['scheme']}, not the label {asked} asked about",
    )
    report.set(3, FAILED, "not checked: the bundle holds another label than the one asked about")
    return False


def verify_bundle_or_raise(bundle_bytes: BundleInput, trust: TrustInput, **kw: Any) -> Report:
    report = verify_bundle(bundle_bytes, trust, **kw)
    if report.exit_code() != 0:
        bad = next(s for s in report.steps.values() if s.status == FAILED)
        raise InputError(f"verification failed at step {bad.step}: {bad.detail}", code=f"verify.{report.verdict()}")
    return report


# ---- step 9 -----------------------------------------------------------------------------------
def _step9_validity(
    report: Report, b: Bundle, at: date, now: datetime, t: Trust, vc: VerifiedCheckpoint | None, cache: VerifierCache
) -> None:
    assert report.label is not None  # step 1 set it (_steps_1_to_6) before any later step runs
    issued_at, valid_until = report.label["issued_at"], report.label["valid_until"]
    status, detail = cache.remember(
        ("step 9", issued_at, valid_until, at), lambda: judge_dates(issued_at, valid_until, at)
    )
    if status == FAILED:
        report.set(9, status, detail)
        return
    if t.max_checkpoint_age_s is not None:
        newest = vc.newest_cosignature_s if vc is not None else None
        if newest is None:
            report.set(
                9,
                FAILED,
                f"the trust file requires a checkpoint at most {t.max_checkpoint_age_s} s old, and "
                f"no witness cosignature dates this one",
            )
            return
        age = int(now.timestamp()) - newest
        if age > t.max_checkpoint_age_s:
            report.set(
                9, FAILED, f"checkpoint's newest cosignature is {age} s old; at most {t.max_checkpoint_age_s} s allowed"
            )
            return
    label = b.label
    signed_on = label.entry.signed_at[:10]
    before = (
        f"; the date asked is before the label entered the log ({signed_on}): validity then rests on the "
        f"issuer's word alone"
        if at.isoformat() < signed_on
        else ""
    )
    report.set(
        9,
        status,
        f"{detail}; the log holds the label at index {label.index}, signed at {label.entry.signed_at} "
        f"(the stated dates are the issuer's){before}",
    )
