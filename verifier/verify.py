"""The buyer's verification: the ten numbered steps of DESIGN §6, pure (clock and kept state passed in).

:func:`verify_bundle` never raises on bad input: it returns a :class:`Report`
whose steps say passed / failed / not applicable with a detail a person can
read. :func:`verify_bundle_or_raise` is the raising wrapper.

Every proof is checked against the verified checkpoint's own size and root —
never against a root stated elsewhere in the bundle. A log proves inclusion,
never absence: step 8 reports "none seen as of tree size N", never "not revoked".
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from mapping.errors import CarbonLedgerError, InputError
from verifier.bundle import Bundle, BundleEntry, CachedItem, ItemKey, parse_bundle
from verifier.datasets import check_citation, check_retire, newer_versions, version_statuses
from verifier.envelope import Entry
from verifier.equivalence_offline import EVENT_KINDS, history_of, offline_verdict
from verifier.keys import VerifyingKey
from verifier.merkle import leaf_hash, verify_consistency
from verifier.note import Checkpoint, parse_checkpoint, split_note, verify_note, witness_cosignatures
from verifier.proven_paths import ProvenPaths
from verifier.report import FAILED, NOT_APPLICABLE, PASSED, Report
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
    checkpoints: dict[tuple[str, str, tuple[str, ...], int], tuple[Any, str, str]] = field(default_factory=dict)
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
) -> list[Report]:
    """:func:`verify_bundle` of each bundle of a shipment, each report the one it returns for that bundle.

    The steps run phase by phase across the bundles (parsing and steps 3-6 of every bundle, then every label
    signature, then steps 7-10), so each phase's code and tables stay in the processor's caches instead of
    being evicted by the next phase's for every bundle. Every bundle gets every step; no result of one bundle
    decides another's beyond what :class:`VerifierCache` shares."""
    if cache is None:
        cache = VerifierCache()
    started = [_steps_1_and_3_to_6(bundle, trust, now, cache) for bundle in bundles]
    for s in started:
        if isinstance(s, _Started):
            _step2_signature(s.report, s.b.label, s.signer_key, cache)
    return [
        _steps_7_to_10(s, at, now, kept, consistency_proof, target_scheme, cache) if isinstance(s, _Started) else s
        for s in started
    ]


@dataclass(slots=True)
class _Started:
    """A bundle past step 1, with the results of steps 3-6 that later steps use."""

    report: Report
    b: Bundle
    t: Trust
    cp: _VerifiedCheckpoint | None
    included: frozenset[int]
    roots: list[_Root]
    signer_key: VerifyingKey | None


def _steps_1_and_3_to_6(
    bundle_bytes: BundleInput, trust: TrustInput, now: datetime, cache: VerifierCache
) -> _Started | Report:
    """Step 1, then steps 6, 5, 4 and 3; the finished report when step 1 fails."""
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
    roots = _step4_scheme(report, b, t, cache)
    signer_key = _step3_authority(report, b, roots, cache)
    return _Started(report, b, t, cp, included, roots, signer_key)


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
    _step8_status(report, b, s.roots, s.signer_key, cache)
    report.citations = _citations(report, b, t, s.included, cache)
    _step8_add_citation_summary(report)
    _step9_validity(report, at, now, t, s.cp, cache)
    _step10_equivalence(report, b, t, target_scheme or b.target_scheme, at, s.included, cache)
    return report


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
    key = (b.checkpoint, t.log_vkey, t.witness_vkeys, t.threshold)
    hit = cache.checkpoints.get(key)
    if hit is None:
        hit = cache.checkpoints[key] = _judge_checkpoint(b.checkpoint, t)
    vc, status, detail = hit
    if vc is not None:
        report.tree_size = vc.cp.size
    report.set(6, status, detail)
    return vc


def _judge_checkpoint(note: str, t: Trust) -> tuple[_VerifiedCheckpoint | None, str, str]:
    """Step 6 for one checkpoint note and trust file: the verified checkpoint (None when the log's key did not
    sign it), the step's status and its detail. The same note and trust file always get the same verdict."""
    try:
        verify_note(note, [t.log_vkey])  # raises unless the log's key signed it
        cp = parse_checkpoint(split_note(note)[0])
        cos = witness_cosignatures(note, list(t.witness_vkeys), cp) if t.witness_vkeys else {}
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


# ---- step 4 -----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)  # hashed by identity: a timeline's roots are shared by its memo's users
class _Root:
    key: VerifyingKey
    from_index: int
    until_index: int | None  # index of the rotation that replaced it


def _sig_ok(entry: Entry, key: VerifyingKey, cache: VerifierCache, *, remember: bool = True) -> bool:
    """Whether ``key`` signed ``entry``; a verified signature of a shared entry is remembered by (entry id,
    signature, key): the entry id is the SHA-256 of the payload, and the payload type is fixed."""
    k = (entry.entry_id, entry.signature, key.public_key)
    if k in cache.signatures:
        return True
    if key.key_id != entry.signer or not key.is_valid(entry.signed_message(), entry.signature):
        return False
    if remember:
        cache.signatures.add(k)
    return True


@lru_cache(maxsize=1024)
def _pub(text: str) -> VerifyingKey:
    return VerifyingKey(base64.b64decode(text))


@dataclass(frozen=True, eq=False)  # hashed by identity: memoized, one object per distinct timeline
class _Timeline:
    """A scheme's root keys by log index, as the bundle's scheme.register / scheme.rotate chain shows them.

    ``problem`` is None when the chain leads to a root key the trust file names for the scheme; otherwise
    one of ``unregistered``, ``bad_registration``, ``not_in_trust``, ``unanchored`` (see :func:`_why`)."""

    scheme: str
    registration: BundleEntry | None
    roots: list[_Root]
    problem: str | None
    trusted: _Root | None = None


def _root_timeline(b: Bundle, t: Trust, scheme: str, cache: VerifierCache) -> _Timeline:
    """The root-key timeline of any scheme id (step 4's rule, reused by step 10 and the citations): its first
    registration in the bundle, signed by the key it registers, then each rotation signed by the root in force
    (others have no effect); anchored when one of those roots is a key the trust file lists for ``scheme``.
    It depends on the bundle's register/rotate items and the trust file's roots for ``scheme`` only."""
    items = b.of_kind("scheme.register", "scheme.rotate")
    key = ("timeline", scheme, items, t.scheme_roots.get(scheme))
    return cache.remember(key, lambda: _compute_root_timeline(items, t, scheme, cache))  # type: ignore[no-any-return]


def _compute_root_timeline(items: tuple[BundleEntry, ...], t: Trust, scheme: str, cache: VerifierCache) -> _Timeline:
    regs = sorted(
        (e for e in items if e.entry.kind == "scheme.register" and e.entry.body["scheme"]["id"] == scheme),
        key=lambda e: e.index,
    )
    if not regs:
        return _Timeline(scheme, None, [], "unregistered")
    reg = regs[0]
    key = _pub(reg.entry.body["public_key"])
    if not _sig_ok(reg.entry, key, cache):
        return _Timeline(scheme, reg, [], "bad_registration")
    roots = [_Root(key, reg.index, None)]
    for rot in sorted(
        (
            e
            for e in items
            if e.entry.kind == "scheme.rotate" and e.entry.body["scheme"] == scheme and e.index > reg.index
        ),
        key=lambda e: e.index,
    ):
        current = roots[-1]
        if not _sig_ok(rot.entry, current.key, cache):
            continue  # not signed by the root in force: no effect
        roots[-1] = _Root(current.key, current.from_index, rot.index)
        roots.append(_Root(_pub(rot.entry.body["new_public_key"]), rot.index, None))
    trusted = t.scheme_roots.get(scheme)
    if trusted is None:
        return _Timeline(scheme, reg, roots, "not_in_trust")
    anchored = [r for r in roots if r.key.public_key in trusted]
    if not anchored:
        return _Timeline(scheme, reg, roots, "unanchored")
    return _Timeline(scheme, reg, roots, None, anchored[-1])


def _why(tl: _Timeline) -> str:
    """Why entries signed by ``tl.scheme``'s roots cannot be authenticated (``tl.problem`` set)."""
    return {
        "unregistered": "the bundle holds no registration of it",
        "bad_registration": (
            f"its registration at index {tl.registration.index if tl.registration else '?'} is not signed by "
            "the key it registers"
        ),
        "not_in_trust": "no root key in the trust file",
        "unanchored": f"none of its {len(tl.roots)} root keys in the bundle is one the trust file names",
    }.get(tl.problem or "", "not authenticated")


def _root_signed(e: BundleEntry, tl: _Timeline, cache: VerifierCache) -> str | None:
    """None if ``e`` is signed by ``tl.scheme``'s root key in force at ``e``'s index (``tl`` anchored);
    otherwise why not."""
    if tl.problem is not None:
        return f"{tl.scheme}: {_why(tl)}"
    root = _root_at(tl.roots, e.index)
    if root is None:
        return f"index {e.index} is outside the root timeline of {tl.scheme}"
    if root.key.key_id != e.entry.signer:
        return f"its signer {e.entry.signer[:16]}… is not {tl.scheme}'s root key at index {e.index}"
    if not _sig_ok(e.entry, root.key, cache):
        return f"its signature does not verify under {tl.scheme}'s root key at index {e.index}"
    return None


def _step4_scheme(report: Report, b: Bundle, t: Trust, cache: VerifierCache) -> list[_Root]:
    # Step 4: the scheme's registration (and rotations) lead to the root key in the trust file.
    scheme = b.label.entry.body["label"]["scheme"]
    tl = _root_timeline(b, t, scheme, cache)
    status, detail = cache.remember(("step 4", tl), lambda: _judge_timeline(tl))
    report.set(4, status, detail)
    return tl.roots


def _judge_timeline(tl: _Timeline) -> tuple[str, str]:
    scheme = tl.scheme
    if tl.problem == "unregistered":
        return FAILED, f"the bundle holds no registration of scheme {scheme!r}"
    if tl.problem == "bad_registration":
        assert tl.registration is not None
        return (
            FAILED,
            f"the registration of {scheme!r} at index {tl.registration.index} is not signed by the key it registers",
        )
    if tl.problem == "not_in_trust":
        return FAILED, f"scheme {scheme!r} is not in the trust file"
    if tl.problem == "unanchored":
        return FAILED, f"none of the {len(tl.roots)} root keys of {scheme!r} in the bundle is one the trust file names"
    assert tl.registration is not None and tl.trusted is not None
    return (
        PASSED,
        f"{scheme!r} registered at index {tl.registration.index}"
        + (f", rotated {len(tl.roots) - 1} time(s)" if len(tl.roots) > 1 else "")
        + f"; root key {tl.trusted.key.key_id[:16]}… is trusted",
    )


def _root_at(roots: list[_Root], index: int) -> _Root | None:
    for r in roots:
        if r.from_index < index and (r.until_index is None or index < r.until_index):
            return r
    return None


# ---- step 3 -----------------------------------------------------------------------------------
def _authorizations(
    b: Bundle, roots: list[_Root], key_id: str, kind: str, before: int, cache: VerifierCache
) -> list[tuple[BundleEntry, VerifyingKey]]:
    """The key.authorize entries of the label's scheme, earlier than ``before``, that authorize ``key_id``
    for ``kind`` and are signed by the root in force at their index."""
    scheme = b.label.entry.body["label"]["scheme"]
    items = b.of_kind("key.authorize")
    key = ("authorizations", scheme, items, tuple(roots), key_id, kind)
    found = cache.remember(key, lambda: _all_authorizations(items, scheme, roots, key_id, kind, cache))
    return [(e, vk) for e, vk in found if e.index < before]


def _all_authorizations(
    items: tuple[BundleEntry, ...], scheme: str, roots: list[_Root], key_id: str, kind: str, cache: VerifierCache
) -> list[tuple[BundleEntry, VerifyingKey]]:
    out = []
    for e in items:
        body = e.entry.body
        if body["scheme"] != scheme:
            continue
        vk = _pub(body["public_key"])
        root = _root_at(roots, e.index)
        if vk.key_id == key_id and kind in body["kinds"] and root is not None and _sig_ok(e.entry, root.key, cache):
            out.append((e, vk))
    return out


def _revocation_of(b: Bundle, roots: list[_Root], key: VerifyingKey, cache: VerifierCache) -> BundleEntry | None:
    """The earliest key.revoke of ``key`` signed by the key itself or by the root in force at its index."""
    items = b.of_kind("key.revoke")
    found = cache.remember(
        ("revocation", items, tuple(roots), key), lambda: _first_revocation(items, roots, key, cache)
    )
    return found  # type: ignore[no-any-return]


def _first_revocation(
    items: tuple[BundleEntry, ...], roots: list[_Root], key: VerifyingKey, cache: VerifierCache
) -> BundleEntry | None:
    for e in sorted(items, key=lambda e: e.index):
        if e.entry.body["key_id"] != key.key_id:
            continue
        root = _root_at(roots, e.index)
        if _sig_ok(e.entry, key, cache) or (root is not None and _sig_ok(e.entry, root.key, cache)):
            return e
    return None


def _step3_authority(report: Report, b: Bundle, roots: list[_Root], cache: VerifierCache) -> VerifyingKey | None:
    label = b.label
    auths = _authorizations(b, roots, label.entry.signer, "label.issue", label.index, cache)
    if not auths:
        later = [e.index for e in b.of_kind("key.authorize") if e.index > label.index]
        report.set(
            3,
            FAILED,
            f"no key.authorize for signer {label.entry.signer[:16]}… earlier than the label's index "
            f"{label.index}" + (f" (an authorization at index {later[0]} comes after it)" if later else ""),
        )
        return None
    auth, key = auths[0]
    revoke = _revocation_of(b, roots, key, cache)
    if revoke is not None:
        effective = revoke.entry.body.get("effective_from_index", revoke.index)
        if revoke.index < label.index or effective <= label.index:
            report.set(
                3,
                FAILED,
                f"the signer key was revoked at index {revoke.index} (its entries stop counting from "
                f"index {effective}); the label is at index {label.index}",
            )
            return key
    holder = auth.entry.body["holder"]["name"]
    report.set(
        3,
        PASSED,
        f"key of {holder} authorized for label.issue at index {auth.index}, before the label at "
        f"index {label.index}; no revocation of it seen",
    )
    return key


# ---- step 2 -----------------------------------------------------------------------------------
def _step2_signature(report: Report, label: BundleEntry, key: VerifyingKey | None, cache: VerifierCache) -> None:
    if key is None:
        report.set(2, FAILED, "the signer's public key is not established by an authorization in the bundle")
    elif _sig_ok(label.entry, key, cache, remember=False):  # each label is checked once per shipment
        report.set(2, PASSED, f"signature verifies under key {key.key_id[:16]}…")
    else:
        report.set(2, FAILED, f"signature does not verify under the authorized key {key.key_id[:16]}…")


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


# ---- step 8 -----------------------------------------------------------------------------------
def _step8_status(
    report: Report, b: Bundle, roots: list[_Root], signer_key: VerifyingKey | None, cache: VerifierCache
) -> None:
    label = b.label
    size = report.tree_size
    for e in sorted(b.of_kind("label.revoke", "label.supersede"), key=lambda e: e.index):
        if e.entry.body["label_entry"] != label.entry.entry_id:
            continue
        root = _root_at(roots, e.index)
        by_own = signer_key is not None and _sig_ok(e.entry, signer_key, cache)
        by_root = root is not None and _sig_ok(e.entry, root.key, cache)
        by_delegate = any(
            _sig_ok(e.entry, k, cache)
            for _, k in _authorizations(b, roots, e.entry.signer, e.entry.kind, e.index, cache)
        )
        if by_own or by_root or by_delegate:
            what = "revoked" if e.entry.kind == "label.revoke" else "superseded"
            extra = f" by entry {e.entry.body['replacement_entry'][:16]}…" if what == "superseded" else ""
            report.set(8, FAILED, f"label {what}{extra} at index {e.index}: {e.entry.body['reason']}")
            return
    report.set(
        8,
        PASSED,
        f"none seen as of tree size {size}: the bundle proves no revocation or supersession "
        f"(a log proves inclusion, not absence)",
    )


# ---- step 9 -----------------------------------------------------------------------------------
def _step9_validity(
    report: Report, at: date, now: datetime, t: Trust, vc: _VerifiedCheckpoint | None, cache: VerifierCache
) -> None:
    assert report.label is not None
    issued_at, valid_until = report.label["issued_at"], report.label["valid_until"]
    status, detail = cache.remember(
        ("step 9", issued_at, valid_until, at), lambda: _judge_dates(issued_at, valid_until, at)
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
    report.set(9, status, detail)


def _judge_dates(issued_at: str, valid_until: str, at: date) -> tuple[str, str]:
    """Step 9's date rule (labels of a shipment share their dates, so the verdict is remembered)."""
    issued, until = date.fromisoformat(issued_at), date.fromisoformat(valid_until)
    if at < issued:
        return FAILED, f"{at} is before the label was issued ({issued})"
    if at > until:
        return FAILED, f"expired: valid until {until}, asked for {at}"
    return PASSED, f"valid from {issued} to {until}; asked for {at}"


# ---- citations (reported with step 8) ---------------------------------------------------------
_CITATION_ORDER = ("matched", "superseded", "retired", "missing", "unverified", "mismatch")


def _citations(report: Report, b: Bundle, t: Trust, included: frozenset[int], cache: VerifierCache) -> list[dict]:
    """Each item of the label's ``cites`` against the dataset entries the bundle holds (DESIGN §5 "Background
    data": "the verifier check[s] each citation"). A dataset entry counts when it is included (step 5) and
    signed by its publisher's root key in force at its index, on a chain leading to a root the trust file
    names for the publisher (the bundle carries the publisher's register/rotate only, so keys the publisher
    authorized are not accepted). Otherwise the citation is ``unverified`` and says why. The version status
    (matched / superseded / retired) comes from the publisher's versions and retirements in the bundle.
    Never changes the exit code."""
    assert report.label is not None
    label = report.label
    cites = [c for c in label.get("cites") or () if isinstance(c, dict)]
    if not cites:
        return []
    timelines: dict[str, _Timeline] = {}

    def problem_of(e: BundleEntry) -> str | None:
        return _publisher_entry_problem(e, b, t, included, timelines, cache)

    publishes = {e.entry.entry_id: e for e in b.of_kind("dataset.publish")}
    retires = b.of_kind("dataset.retire")
    out: list[dict] = []
    for cite in cites:
        found = publishes.get(cite.get("entry"))  # type: ignore[arg-type]
        if found is None:
            res = check_citation(cite, None, "missing", label).to_dict()
            res.update(authenticated=False, reason="the bundle does not hold the cited dataset entry")
            out.append(res)
            continue
        body = found.entry.body
        publisher, dataset = body["publisher"], body["dataset"]
        problem = problem_of(found)

        def counts(e: BundleEntry, problem: str | None = problem) -> bool:
            # An authentic citation is judged by authentic versions only; an unverified one by what the bundle
            # claims (reported as a claim).
            return e.index in included and (problem is not None or problem_of(e) is None)

        same = {
            e.entry.entry_id: e
            for e in publishes.values()
            if e.entry.body["publisher"] == publisher and e.entry.body["dataset"]["id"] == dataset["id"] and counts(e)
        }
        published = [e.entry.body["dataset"]["version"] for e in same.values()]
        retired = []
        for r in retires:
            target = r.entry.body["dataset"]
            if r.entry.body["publisher"] != publisher or target.get("entry") not in same or not counts(r):
                continue
            try:
                check_retire(r.entry.body, same[target["entry"]].entry.body)
            except CarbonLedgerError:
                continue  # a retirement naming another version has no effect
            retired.append(target["version"])
        status = version_statuses(published, retired).get(dataset["version"], "missing")
        try:
            res = check_citation(
                cite,
                body,
                status,
                label,
                newer_versions=newer_versions(dataset["version"], published, retired),
                publisher=publisher,
                entry_id=found.entry.entry_id,
            ).to_dict()
        except CarbonLedgerError as e:
            res = {m: cite.get(m) for m in ("dataset", "version", "entry", "key")}
            res.update(
                status="mismatch",
                value=None,
                unit=None,
                kind=None,
                publisher=publisher,
                newer_version=None,
                error=e.code,
                reason=e.message,
            )
        res["authenticated"] = problem is None
        if problem is not None:
            res["reason"] = f"{problem}; the bundle's entries say {res['status']}"
            res["status"] = "unverified"
        out.append(res)
    return out


def _step8_add_citation_summary(report: Report) -> None:
    """Step 8's detail names the citations' statuses ("citations: 1 matched, 1 superseded")."""
    if not report.citations or 8 not in report.steps:
        return
    counts: dict[str, int] = {}
    for c in report.citations:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    order = sorted(counts, key=lambda s: _CITATION_ORDER.index(s) if s in _CITATION_ORDER else len(_CITATION_ORDER))
    parts = [f"{counts[s]} {s}" + (" (not in the bundle)" if s == "missing" else "") for s in order]
    report.steps[8].detail += "; citations: " + ", ".join(parts)


# ---- step 10 ----------------------------------------------------------------------------------
def _publisher_entry_problem(
    e: BundleEntry,
    b: Bundle,
    t: Trust,
    included: frozenset[int],
    timelines: dict[str, _Timeline],
    cache: VerifierCache,
) -> str | None:
    """Why a dataset entry of the bundle cannot be trusted, or None: it must be included (step 5) and signed by
    its publisher's root key in force at its index, on a chain leading to a root the trust file names, the
    publisher registered as a data publisher (``timelines`` caches each publisher's root chain)."""
    if e.index not in included:
        return f"{e.entry.kind} at index {e.index} is not included in the checkpoint's tree (step 5)"
    publisher = e.entry.body["publisher"]
    tl = timelines.get(publisher)
    if tl is None:
        tl = timelines[publisher] = _root_timeline(b, t, publisher, cache)
    if tl.problem is not None:
        return f"publisher {publisher}: {_why(tl)}"
    assert tl.registration is not None
    if tl.registration.entry.body["scheme"].get("role") != "data-publisher":
        return f"{publisher} is not registered as a data publisher"
    why = _root_signed(e, tl, cache)
    return None if why is None else f"{e.entry.kind} at index {e.index}: {why}"


def _authentic_datasets(
    b: Bundle, t: Trust, included: frozenset[int], cache: VerifierCache
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(entry id → payload of each authenticated ``dataset.publish`` the bundle holds, entry id → why another
    is left out), authenticated as for citations (:func:`_publisher_entry_problem`)."""
    timelines: dict[str, _Timeline] = {}
    good: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    for e in b.of_kind("dataset.publish"):
        problem = _publisher_entry_problem(e, b, t, included, timelines, cache)
        if problem is None:
            good[e.entry.entry_id] = e.entry.body
        else:
            problems[e.entry.entry_id] = f"dataset.publish at index {e.index} left out: {problem}"
    return good, problems


def _step10_equivalence(
    report: Report,
    b: Bundle,
    t: Trust,
    target: str | None,
    at: date,
    included: frozenset[int],
    cache: VerifierCache,
) -> None:
    # Step 10: equivalence under the target scheme by the agreement version in force.
    assert report.label is not None
    label, scheme = report.label, report.label["scheme"]
    if target is None:
        report.set(10, NOT_APPLICABLE, "no target scheme asked")
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
    # Authenticate each agreement entry: signed by the current root, at its index, of the scheme it speaks for.
    timelines: dict[str, _Timeline] = {}
    unanchored: dict[str, list[int]] = {}
    excluded: list[str] = []
    authentic: list[tuple[int, dict[str, Any]]] = []
    agreement_entries = sorted(b.of_kind(*EVENT_KINDS), key=lambda e: e.index)
    for e in agreement_entries:
        speaker = str(e.entry.body.get("scheme"))
        if e.index not in included:
            excluded.append(f"{e.entry.kind} at index {e.index} left out: not included in the checkpoint's tree")
            continue
        tl = timelines.get(speaker)
        if tl is None:
            tl = timelines[speaker] = _root_timeline(b, t, speaker, cache)
        if tl.problem is not None:
            unanchored.setdefault(speaker, []).append(e.index)
            continue
        why = _root_signed(e, tl, cache)
        if why is not None:
            excluded.append(f"{e.entry.kind} at index {e.index} left out: {why}")
            continue
        authentic.append((e.index, e.entry.body))
    for speaker, indexes in unanchored.items():
        role = "target scheme" if speaker == target else ("label's scheme" if speaker == scheme else "scheme")
        n = len(indexes)
        excluded.insert(
            0,
            f"{role} {speaker}: {_why(timelines[speaker])} — agreements signed by it cannot be checked "
            f"({n} entr{'y' if n == 1 else 'ies'} left out, at index {', '.join(map(str, indexes))})",
        )
    history = history_of(authentic)
    excluded.extend(history.excluded)
    # The dataset entries the agreements pin reach the conversions only when authenticated like a citation's.
    datasets, problems = _authentic_datasets(b, t, included, cache)
    pinned = {pin.entry for ev in history.events if ev.terms is not None for pin in ev.terms.datasets}
    excluded.extend(f"{why} (a dataset entry an agreement pins)" for entry, why in problems.items() if entry in pinned)
    try:
        verdict = offline_verdict(
            label, scheme, b.label.index, b.label.entry.signed_at, target, at, history.events, datasets=datasets
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
    notes = list(excluded)
    if b.target_scheme != target and not agreement_entries:
        built = "without a target scheme" if b.target_scheme is None else f"for target {b.target_scheme}"
        notes.append(f"the bundle was built {built}, so it may lack the agreements between {scheme} and {target}")
    tail = "".join(f"; {n}" for n in notes)
    ref = verdict["agreement"]
    if verdict["verdict"] in ("recognized", "recognized_after_conversion"):
        assert ref is not None
        converted = verdict.get("converted")
        conv = ""
        if converted is not None:
            conv = f"; converted value {converted['value']} {converted['unit']}" + (
                " (approximate)" if converted.get("approximate") else ""
            )
        report.set(
            10,
            PASSED,
            f"{verdict['verdict']} under {target} by agreement {ref['id']} version {ref['version']} (terms hash "
            f"{ref['terms_hash'][:16]}…, in force by the accept at index {ref['index']}){conv}; judged from the "
            f"{len(authentic)} authenticated agreement entries the bundle holds as of tree size {report.tree_size} "
            f"(a log proves inclusion, not the absence of a later withdrawal){tail}",
        )
        return
    by = "" if ref is None else f" by agreement {ref['id']} version {ref['version']} (accept at index {ref['index']})"
    report.set(10, FAILED, f"{verdict['verdict']} under {target}{by}: " + "; ".join(verdict["reasons"]) + tail)
