"""The buyer's verification: the ten numbered steps of DESIGN §6, pure (clock and kept state passed in).

:func:`verify_bundle` never raises on bad input: it returns a :class:`Report`
whose steps say passed / failed / not applicable with a detail a person can
read. :func:`verify_bundle_or_raise` is the raising wrapper.

Every proof is checked against the verified checkpoint's own size and root —
never against a root stated elsewhere in the bundle. A log proves inclusion,
never absence: step 8 reports "none seen as of tree size N", never "not revoked".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mapping.errors import CarbonLedgerError, InputError
from verifier.bundle import Bundle, BundleEntry, CachedItem, ItemKey, parse_bundle
from verifier.bundle_fold import FoldedBundle, check_label_signature, describe_refusal, fold_bundle
from verifier.merkle import leaf_hash, verify_consistency
from verifier.note import Checkpoint, parse_checkpoint, split_note, verify_note, witness_cosignatures
from verifier.proven_paths import ProvenPaths
from verifier.report import FAILED, NOT_APPLICABLE, PASSED, Report
from verifier.steps_authority import anchor, step4_scheme, steps_2_and_3
from verifier.steps_equivalence import step10_equivalence
from verifier.steps_status import add_citation_summary, citations, judge_dates, step8_status
from verifier.trust import Trust, parse_trust


@dataclass(frozen=True)
class KeptCheckpoint:
    """The newest checkpoint this buyer verified for a log (step 7 state)."""

    origin: str
    size: int
    root: bytes

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "size": self.size, "root": self.root.hex()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KeptCheckpoint:
        try:
            root = bytes.fromhex(d["root"])
            if len(root) != 32 or not isinstance(d["size"], int) or d["size"] < 0:
                raise ValueError("bad size or root")
            return cls(str(d["origin"]), d["size"], root)
        except (KeyError, ValueError, TypeError) as e:
            raise InputError(f"kept checkpoint state is unusable: {e}", code="state.invalid") from e


@dataclass
class VerifierCache:
    """Results shared by many bundles against one checkpoint, keyed by content hash (bench: a shipment)."""

    # (checkpoint note, log key, witness keys, threshold) -> step 6's verdict on it
    # (checkpoint note, log key, witness keys, threshold, the verifier's clock) -> step 6's verdict on it
    checkpoints: dict[tuple[str, str, tuple[str, ...], int, int], tuple[Any, str, str]] = field(default_factory=dict)
    note_origins: dict[str, str] = field(default_factory=dict)  # checkpoint note -> its body's origin line
    # (entry id = SHA-256 of the payload, signature, public key) of each shared entry's verified signature
    signatures: set[tuple[str, bytes, bytes]] = field(default_factory=set)
    # (shared item, tree size, root) of each verified inclusion; the key holds the item, so its identity
    # stays unique while remembered
    inclusions: set[tuple[BundleEntry, int, bytes]] = field(default_factory=set)
    items: dict[ItemKey, CachedItem] = field(default_factory=dict)  # see parse_bundle
    # Results derived from shared items alone (a scheme's root timeline, a key's authorizations), keyed by
    # the items themselves: a key holds its items, so their identities stay unique while it is kept.
    derived: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def remember(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered under ``key`` (a bounded memo: cleared when it grows past its limit)."""
        hit = self.derived.get(key, _MISSING)
        if hit is _MISSING:
            if len(self.derived) >= _DERIVED_LIMIT:
                self.derived.clear()
            hit = self.derived[key] = compute()
        return hit


_MISSING = object()
_DERIVED_LIMIT = 4096


# What callers may hand in; anything but bytes-like is reported as unusable input (step 1), never raised.
BundleInput = bytes | bytearray | memoryview | str
TrustInput = Trust | bytes | bytearray | memoryview | str


def _read_as_bytes(data: BundleInput, what: str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise InputError(f"a {what} is read as bytes, not {type(data).__name__}", code="input.type", field=what)


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
    started = [_steps_1_to_6(bundle, trust, now, cache, label_id, label_scheme) for bundle in bundles]
    for s in started:  # every label signature in one phase (Ed25519's code and tables stay hot)
        if isinstance(s, _Started):
            check_label_signature(s.b, s.folded)
            if s.bound:
                steps_2_and_3(s.report, s.b, s.folded)
    return [
        _steps_7_to_10(s, at, now, kept, consistency_proof, target_scheme, cache) if isinstance(s, _Started) else s
        for s in started
    ]


@dataclass(slots=True)
class _Started:
    """A bundle past step 1, with the results of steps 2-6 that later steps use."""

    report: Report
    b: Bundle
    t: Trust
    cp: _VerifiedCheckpoint | None
    folded: FoldedBundle
    bound: bool  # the bundle holds the label asked about


def _steps_1_to_6(
    bundle_bytes: BundleInput,
    trust: TrustInput,
    now: datetime,
    cache: VerifierCache,
    label_id: str | None,
    label_scheme: str | None,
) -> _Started | Report:
    """Step 1, then steps 6 and 5, the rule book's fold of the bundle and step 4 (steps 2 and 3 follow once the
    shipment's label signatures are checked); the finished report when step 1 fails."""
    report = Report()
    # Step 1: parse and schema-validate the bundle and the trust file; canonical bytes only.
    try:
        t = trust if isinstance(trust, Trust) else parse_trust(_read_as_bytes(trust, "trust file"))
        b = parse_bundle(_read_as_bytes(bundle_bytes, "bundle"), cache.items)
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
    report.label, report.label_index = label.entry.body["label"], label.index
    report.set(1, PASSED, f"bundle of {len(b.entries)} entries and trust file parsed; all canonical")
    cp = _step6_checkpoint(report, b, t, now, cache)
    included = _step5_inclusion(report, b, cp, cache)
    folded = fold_bundle(b, included, cache)
    if folded.refused:
        # The log included entries its own rules refuse: the bundle is not authentic (DESIGN §2).
        first, err = folded.refused[0]
        more = f" (and {len(folded.refused) - 1} more)" if len(folded.refused) > 1 else ""
        report.set(5, FAILED, describe_refusal(first, err) + more)
    scheme = label.entry.body["label"]["scheme"]
    step4_scheme(
        report,
        cache.remember(  # a shipment's bundles share their fold's state when nothing follows their labels
            ("anchor", folded.state, scheme, t.scheme_roots.get(scheme)), lambda: anchor(folded.state, t, scheme)
        ),
    )
    bound = _bound_to_question(report, b, label_id, label_scheme)
    return _Started(report, b, t, cp, folded, bound)


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
    _step7_consistency(report, s.cp, kept, consistency_proof)
    if not report.authentic:
        # DESIGN §6: "After a failed step, the steps that depend on it are 'not checked', never 'passed'."
        failed = ", ".join(str(r.step) for r in report.failed(1, 2, 3, 4, 5, 6))
        for step in (8, 9, 10):
            report.set(step, NOT_APPLICABLE, f"not checked: the label is not authentic (step {failed} failed)")
        return report
    step8_status(report, b, s.folded)
    report.citations = citations(report, b, t, s.folded)
    add_citation_summary(report)
    _step9_validity(report, b, at, now, t, s.cp, cache)
    step10_equivalence(report, b, t, target_scheme or t.buyer_scheme, at, s.folded)
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


# ---- step 6 -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _VerifiedCheckpoint:
    cp: Checkpoint
    witnesses: list[str]
    newest_cosignature_s: int | None


def _step6_checkpoint(
    report: Report, b: Bundle, t: Trust, now: datetime, cache: VerifierCache
) -> _VerifiedCheckpoint | None:
    now_s = int(now.timestamp())
    key = (b.checkpoint, t.log_vkey, t.witness_vkeys, t.threshold, now_s)
    hit = cache.checkpoints.get(key)
    if hit is None:
        hit = cache.checkpoints[key] = _judge_checkpoint(b.checkpoint, t, now_s)
    vc, status, detail = hit
    if vc is not None:
        report.tree_size = vc.cp.size
    report.set(6, status, detail)
    return vc


def _judge_checkpoint(note: str, t: Trust, now_s: int) -> tuple[_VerifiedCheckpoint | None, str, str]:
    """Step 6 for one checkpoint note and trust file at the verifier's clock ``now_s``: the verified checkpoint
    (None when the log's key did not sign it), the step's status and its detail. Witnesses count by distinct
    public key, never the log's own; a cosignature dated after ``now_s`` counts neither toward the threshold
    nor for freshness (step 9)."""
    try:
        verify_note(note, [t.log_vkey])  # raises unless the log's key signed it
        cp = parse_checkpoint(split_note(note)[0])
        cos = (
            witness_cosignatures(note, list(t.witness_vkeys), cp, now_s=now_s, log_vkey=t.log_vkey)
            if t.witness_vkeys
            else {}
        )
    except CarbonLedgerError as e:
        return None, FAILED, f"checkpoint not signed by the trusted log key [{e.code}]: {e.message}"
    vc = _VerifiedCheckpoint(cp, sorted(cos), max(cos.values()) if cos else None)
    if len(vc.witnesses) < t.threshold:
        return vc, FAILED, f"{len(vc.witnesses)} distinct witness cosignatures, {t.threshold} required"
    if t.threshold == 0:
        return vc, PASSED, f"signed by the log at tree size {cp.size}; witness threshold 0: no split-view protection"
    return (
        vc,
        PASSED,
        f"signed by the log at tree size {cp.size} and cosigned by {len(vc.witnesses)} of "
        f"{len(t.witness_vkeys)} witnesses (threshold {t.threshold}): {', '.join(vc.witnesses)}",
    )


# ---- step 5 -----------------------------------------------------------------------------------
def _step5_inclusion(report: Report, b: Bundle, vc: _VerifiedCheckpoint | None, cache: VerifierCache) -> frozenset[int]:
    """Step 5 over EVERY entry of the bundle (label, authority, status, agreement and dataset entries);
    returns the indexes whose inclusion verified, so steps 8 and 10 never use an entry outside the tree."""
    if vc is None:
        report.set(5, FAILED, "no verified checkpoint to check inclusion against")
        return frozenset()
    size, root = vc.cp.size, vc.cp.root_hash
    # The inclusion paths proven in this tree: a shipment's labels share their upper nodes.
    paths: ProvenPaths = cache.remember(("proven paths", size, root), lambda: ProvenPaths(size, root))
    included: set[int] = set()
    failures: list[str] = []
    for be in b.entries:
        # A parsed item is one object (the item cache hands out the same one only for the same envelope,
        # index and proof), so the item itself keys its verified inclusion in this tree.
        k = (be, size, root)
        if k not in cache.inclusions:
            lh = leaf_hash(be.entry.envelope)
            try:
                paths.verify(lh, be.index, be.proof)
            except CarbonLedgerError as e:
                failures.append(
                    f"{be.entry.kind} at index {be.index} is not in the checkpoint's tree of size "
                    f"{size} [{e.code}]: {e.message}"
                )
                continue
            if be is not b.label:
                cache.inclusions.add(k)
        included.add(be.index)
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        report.set(5, FAILED, failures[0] + more)
    else:
        report.set(5, PASSED, f"all {len(b.entries)} envelopes are in the tree of size {size}")
    return frozenset(included)


# ---- step 7 -----------------------------------------------------------------------------------
def _step7_consistency(
    report: Report, vc: _VerifiedCheckpoint | None, kept: KeptCheckpoint | None, proof: list[bytes] | None
) -> None:
    if vc is None:
        report.set(7, NOT_APPLICABLE, "no verified checkpoint")
        return
    cp = vc.cp
    new = KeptCheckpoint(cp.origin, cp.size, cp.root_hash)
    if kept is None or kept.origin != cp.origin:
        report.set(7, PASSED, f"no earlier checkpoint kept for {cp.origin}; keeping tree size {cp.size}")
        report.keep_checkpoint = new.to_dict()
        return
    if kept.size == cp.size:
        if kept.root == cp.root_hash:
            report.set(7, PASSED, f"same tree size {cp.size} and root as the checkpoint kept")
            report.keep_checkpoint = kept.to_dict()
        else:
            report.set(
                7,
                FAILED,
                f"tree size {cp.size} has root {cp.root_hash.hex()[:16]}… here but "
                f"{kept.root.hex()[:16]}… in the checkpoint kept: the log forked",
            )
        return
    if proof is None:
        report.set(
            7,
            NOT_APPLICABLE,
            f"offline: no consistency proof between the kept size {kept.size} and {cp.size}; fetch one with --server",
        )
        report.keep_checkpoint = kept.to_dict()
        return
    small, large = (kept, new) if kept.size < cp.size else (new, kept)
    try:
        verify_consistency(small.size, large.size, proof, small.root, large.root)
    except CarbonLedgerError as e:
        report.set(
            7, FAILED, f"no valid consistency proof from size {small.size} to {large.size} [{e.code}]: {e.message}"
        )
        return
    report.set(7, PASSED, f"consistent with the kept checkpoint (size {kept.size} → {cp.size})")
    report.keep_checkpoint = large.to_dict()  # never move back to a smaller tree


# ---- step 9 -----------------------------------------------------------------------------------
def _step9_validity(
    report: Report, b: Bundle, at: date, now: datetime, t: Trust, vc: _VerifiedCheckpoint | None, cache: VerifierCache
) -> None:
    assert report.label is not None
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
