"""Steps 2, 3 and 4 of DESIGN §6, read from the bundle's fold (:mod:`verifier.bundle_fold`) and the trust file.

2. the label's signature verifies under its signer key;
3. that key was authorized by the label's scheme for issuing by an entry earlier in the log than the label,
   and not revoked by an earlier one — nor by a later revocation naming an index at or before the label's
   (a compromised key's entries stop counting from there);
4. the scheme's registration (and rotations) lead to a root key the trust file names.

A bundle v2 proves the key's and the scheme's status records (:mod:`verifier.bundle_status`): step 3 then
reads the key's revocation from the proven record (a revocation whose compromise index reaches back to the
label, even one the bundle leaves out, fails it; one after the label passes, saying so) and only then claims
"not revoked"; step 4 requires the root the bundle's entries lead to to be the scheme's proven current root
(a rotation left out of the bundle fails it). A bundle v1 says what its entries show.

The rule book decides what the log would have admitted (the fold refuses a label whose key was not
authorized, revoked, expired at its ``signed_at`` or of another scheme); these steps say what it means for
the buyer, and anchor the scheme's root chain in the trust file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapping.errors import SignatureError, Unestablished

from .bundle import Bundle
from .bundle_fold import FoldedBundle
from .ledger_state import KeyRecord
from .memory_state import MemoryState
from .report import FAILED, PASSED, PROVEN_STEP_NAMES, Report
from .status_commit import ProvenStatus
from .trust import Trust

__all__ = ["Anchor", "anchor", "step4_proven_root", "step4_scheme", "steps_2_and_3"]


@dataclass(frozen=True)
class Anchor:
    """A scheme's root chain as the fold established it, and whether the trust file anchors it.

    ``problem`` is None when one of the roots is a key the trust file names for the scheme; otherwise
    ``unregistered`` (the bundle establishes no registration), ``not_in_trust`` or ``unanchored``."""

    scheme: str
    roots: tuple[KeyRecord, ...]
    problem: str | None
    registered_index: int | None = None
    trusted: KeyRecord | None = None

    def why(self) -> str:
        return {
            "unregistered": "the bundle holds no registration of it that the log's rules accept",
            "not_in_trust": "no root key in the trust file",
            "unanchored": f"none of its {len(self.roots)} root keys in the bundle is one the trust file names",
        }.get(self.problem or "", "not authenticated")

    def root_at(self, index: int) -> KeyRecord | None:
        """The root in force at ``index``: registered (or rotated in) before it, not yet rotated out."""
        for r in self.roots:
            if r.authorized_index < index and (r.revoked_index is None or index < r.revoked_index):
                return r
        return None


def anchor(state: MemoryState, t: Trust, scheme: str) -> Anchor:
    record = state.scheme(scheme)
    if record is None:
        return Anchor(scheme, (), "unregistered")
    roots = tuple(state.roots(scheme))
    trusted = t.scheme_roots.get(scheme)
    if trusted is None:
        return Anchor(scheme, roots, "not_in_trust", record.registered_index)
    anchored = [r for r in roots if r.verifying_key.public_key in trusted]
    if not anchored:
        return Anchor(scheme, roots, "unanchored", record.registered_index)
    return Anchor(scheme, roots, None, record.registered_index, anchored[-1])


def step4_scheme(report: Report, a: Anchor) -> None:
    """Step 4: the scheme's registration (and rotations) lead to the root key in the trust file."""
    if a.problem == "unregistered":
        report.set(4, FAILED, f"the bundle holds no registration of scheme {a.scheme!r} that the log's rules accept")
    elif a.problem == "not_in_trust":
        report.set(4, FAILED, f"scheme {a.scheme!r} is not in the trust file")
    elif a.problem == "unanchored":
        report.set(
            4, FAILED, f"none of the {len(a.roots)} root keys of {a.scheme!r} in the bundle is one the trust file names"
        )
    else:
        assert a.trusted is not None  # anchor() sets it whenever problem is None
        rotations = f", rotated {len(a.roots) - 1} time(s)" if len(a.roots) > 1 else ""
        report.set(
            4,
            PASSED,
            f"{a.scheme!r} registered at index {a.registered_index}{rotations}; "
            f"root key {a.trusted.key_id[:16]}… is trusted",
        )


def step4_proven_root(report: Report, a: Anchor, state: MemoryState, proven: ProvenStatus | None) -> None:
    """Step 4 for a bundle v2 (``proven``): the root the bundle's entries lead to is the scheme's proven
    current root key; a rotation left out of the bundle fails the step."""
    if proven is None or a.problem is not None:
        return
    record = state.scheme(a.scheme)
    current = None if record is None else record.root_key_id
    has, rec = proven.get("scheme", a.scheme)
    size = proven.size
    if not has:
        report.set(
            4,
            FAILED,
            f"the bundle (v2) carries no status proof for scheme {a.scheme!r}: its current root is not proven",
        )
        return
    if rec is None or current is None:
        report.set(
            4,
            FAILED,
            f"the status map proves no scheme {a.scheme!r} as of tree size {size}, yet the bundle registers it",
        )
        return
    if rec.get("root_key") != current:
        rotations = rec.get("rotations")
        n = len(rotations) if isinstance(rotations, list) else "?"
        report.set(
            4,
            FAILED,
            f"the status map proves {a.scheme!r}'s current root key is {str(rec.get('root_key'))[:16]}… "
            f"({n} rotation(s)) as of tree size {size}, but the bundle's entries lead to root {current[:16]}…: "
            f"a rotation is missing from the bundle",
        )
        return
    step4 = report.steps[4]
    which = (
        "it is the scheme's current root"
        if a.trusted is not None and a.trusted.key_id == current
        else f"the scheme's current root is {current[:16]}…, rotated in by the bundle's entries"
    )
    report.set(4, PASSED, f"{step4.detail}; {which}, proven as of tree size {size}")


def _int_or_none(value: Any) -> int | str | None:
    """A record's index: an int, None, or ``"invalid"`` for any other value (a record is the log's word)."""
    return value if value is None or type(value) is int else "invalid"


def _proven_key_problem(proven: ProvenStatus, signer: KeyRecord, scheme: str, label_index: int) -> str | None:
    """Why the signer key's proven record fails step 3, or None when it passes."""
    kid, size = signer.key_id, proven.size
    has, rec = proven.get("key", kid)
    if not has:
        return f"the bundle (v2) carries no status proof for the signer key {kid[:16]}…: its revocation is not proven"
    if rec is None:
        return f"the status map proves no key {kid[:16]}… as of tree size {size}, yet the bundle's entries authorize it"
    if rec.get("scheme") != scheme or rec.get("authorized_index") != signer.authorized_index:
        return (
            f"the status map's record of key {kid[:16]}… (scheme {rec.get('scheme')!r}, authorized at index "
            f"{rec.get('authorized_index')!r}) is not the authorization the bundle holds ({scheme!r}, index "
            f"{signer.authorized_index})"
        )
    revoked, void_from = _int_or_none(rec.get("revoked_index")), _int_or_none(rec.get("revoked_from_index"))
    if "invalid" in (revoked, void_from) or (void_from is not None and revoked is None):
        return f"the status map's record of key {kid[:16]}… holds no readable revocation: {rec!r:.200}"
    if isinstance(void_from, int) and void_from <= label_index:
        held = "holds that revocation" if signer.revoked_index is not None else "leaves that revocation out"
        return (
            f"the status map proves the signer key revoked at index {revoked} with its entries void from index "
            f"{void_from} (a compromise reaching back to the label at index {label_index}), as of tree size "
            f"{size}; the bundle {held}"
        )
    return None


def steps_2_and_3(
    report: Report, b: Bundle, folded: FoldedBundle, proven: ProvenStatus | None = None
) -> KeyRecord | None:
    """Steps 2 and 3 from the rule book's judgement of the label (and, for a bundle v2, the signer key's proven
    status record); returns the signer's key record."""
    label = b.label
    err = folded.label_error
    signer = folded.state.key(label.entry.signer)
    if isinstance(err, SignatureError):
        report.set(2, FAILED, f"signature does not verify under the authorized key {label.entry.signer[:16]}…")
        report.set(3, FAILED, "not checked: the label's signature does not verify")
        return signer
    if isinstance(err, Unestablished):
        report.set(2, FAILED, "the signer's public key is not established by an authorization in the bundle")
        later = [e.index for e in b.of_kind("key.authorize") if e.index > label.index]
        report.set(
            3,
            FAILED,
            f"no key.authorize for signer {label.entry.signer[:16]}… earlier than the label's index {label.index}"
            + (f" (an authorization at index {later[0]} comes after it)" if later else ""),
        )
        return None
    if err is not None:
        report.set(2, PASSED, f"signature verifies under key {label.entry.signer[:16]}…")
        report.set(3, FAILED, f"the log's rules refuse the label at index {label.index} [{err.code}]: {err.message}")
        return signer
    assert signer is not None  # the rule book admitted the label, so its signer is established
    report.set(2, PASSED, f"signature verifies under key {signer.key_id[:16]}…")
    if signer.revoked_from_index is not None and signer.revoked_from_index <= label.index:
        report.set(
            3,
            FAILED,
            f"the signer key was revoked at index {signer.revoked_index} (its entries stop counting from index "
            f"{signer.revoked_from_index}); the label is at index {label.index}",
        )
        return signer
    holder = signer.holder or "its holder"
    until = "" if signer.not_after is None else f" until {signer.not_after.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    name = None
    if proven is not None:
        problem = _proven_key_problem(proven, signer, label.entry.body["label"]["scheme"], label.index)
        if problem is not None:
            report.set(3, FAILED, problem)
            return signer
        rec = proven.get("key", signer.key_id)[1] or {}
        name = PROVEN_STEP_NAMES[3]
        revoked = (
            f"proven not revoked as of tree size {proven.size}"
            if rec.get("revoked_index") is None
            else f"revoked at index {rec['revoked_index']}, after the label, its entries void only from index "
            f"{rec.get('revoked_from_index')} (proven as of tree size {proven.size})"
        )
    elif signer.revoked_index is None:
        revoked = "no revocation of it seen in the bundle (a bundle v1 proves no absence)"
    else:
        revoked = f"revoked at index {signer.revoked_index}, after the label, without reaching back to it"
    report.set(
        3,
        PASSED,
        f"key of {holder} authorized for label.issue at index {signer.authorized_index}{until}, before the label "
        f"at index {label.index} (signed at {label.entry.signed_at}); {revoked}",
        name,
    )
    return signer
