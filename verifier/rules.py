"""The rule book: one pure fold from (state, entry, index) to the entry's changes, or a refusal naming the rule.

DESIGN §2: "The ledger admits only what the verifier accepts: the same code checks a submission on the way in
and a label in a buyer's hands." The log's admission (``ledger/admission.py``) calls :func:`fold_entry` with
its store-backed state before appending; the buyer's verifier (``verifier/bundle_fold.py``) folds a bundle's
entries through it in log order; a monitor or a test replays a whole log through it
(:func:`verifier.memory_state.replay`). Only the operator's own policy stays outside: the clock window of
``signed_at`` (the log's clock is not in the entry) and the allow-list of new schemes (``policy``).

Rules, in order (each refusal is a :class:`~mapping.errors.RuleError` whose ``code`` names the rule):

1. the signer resolves to a key: a ``scheme.register`` brings its own root key (whose id must be the signer:
   ``scheme.not_self_signed``); every other entry's signer is a key an earlier entry registered or authorized
   (``entry.unknown_signer``);
2. the signature verifies under that key (``signature.invalid``) — never skipped: a caller's list of verified
   signatures names exact bytes (entry id = SHA-256 of the payload, signature, public key);
3. ``seq``/``prev`` continue that key's hash chain (``chain.gap``, ``chain.fork``; ``entry.duplicate`` for the
   same bytes again);
4. the key may sign this kind: not revoked by an earlier entry (``authority.key_revoked``), its authorization's
   ``not_after`` not passed at the entry's ``signed_at`` (``authority.key_expired``: admission holds
   ``signed_at`` within minutes of the log's clock, so the entry's own time is the log's time), authorized for
   the kind (``authority.unauthorized_kind``) — "authority by log order, not by claimed dates";
5. the kind's own rules (:mod:`verifier.rules_kinds`).

On a partial view (a bundle), what the view does not hold is not evidence: a signer the bundle does not
establish raises :class:`Unestablished` (the entry is left out, not refused), and a key's chain may skip
sequence numbers; everything the bundle does hold must obey every rule.
"""

from __future__ import annotations

from collections.abc import Collection

from mapping.errors import AuthorityError, ConflictError, RuleError, Unestablished

from .envelope import ZERO_ENTRY_ID, Entry, public_key_from_b64
from .ledger_state import ROOT, AuthorityView, Change, KeyRecord, Policy
from .rules_common import LABEL_STATUS_KINDS, parse_time, root_kinds
from .rules_kinds import RULES

__all__ = ["LABEL_STATUS_KINDS", "Unestablished", "fold_entry", "parse_time"]

VerifiedSignatures = Collection[tuple[str, bytes, bytes]]


def fold_entry(
    entry: Entry,
    index: int,
    view: AuthorityView,
    policy: Policy | None = None,
    verified: VerifiedSignatures = (),
) -> list[Change]:
    """Judge ``entry`` at log ``index`` against ``view`` (the state after every earlier entry); return its changes.

    ``policy`` is the operator's allow-list of new schemes (None: any scheme, as a replay or a bundle folds).
    ``verified`` holds (entry id, signature, public key) triples whose signature the caller already checked;
    any other entry's signature is checked here. Raises :class:`RuleError` naming the rule broken, or
    :class:`Unestablished` when a partial view cannot establish the signer."""
    key = _resolve_signer(entry, view)
    if (entry.entry_id, entry.signature, key.verifying_key.public_key) not in verified:
        entry.verify_signature(key.verifying_key)
    _check_chain(entry, key, view)
    kind = entry.kind
    if kind != "scheme.register":
        _check_key_may_sign(entry, key, check_kind=kind not in LABEL_STATUS_KINDS)
    rule = RULES.get(kind)
    if rule is None:
        raise RuleError(
            f"entry kind {kind!r} is not admitted by this log yet", code="entry.kind_not_admitted", field="/kind"
        )
    return rule(entry, entry.body, key, index, view, policy)


def _resolve_signer(entry: Entry, view: AuthorityView) -> KeyRecord:
    if entry.kind == "scheme.register":
        vk = public_key_from_b64(entry.body["public_key"], "/public_key")
        if vk.key_id != entry.signer:
            raise AuthorityError(
                f"scheme.register must be signed by the key it registers ({vk.key_id}), not {entry.signer}",
                code="scheme.not_self_signed",
                field="/signer",
            )
        existing = view.key(vk.key_id)
        if existing is not None:
            _refuse_if_duplicate(entry, view)
            raise ConflictError(
                f"key {vk.key_id} is already bound to scheme {existing.scheme!r}",
                code="key.already_bound",
                field="/public_key",
            )
        scheme = entry.body["scheme"]
        return KeyRecord(vk.key_id, vk, scheme["id"], ROOT, root_kinds(scheme["role"]), authorized_index=-1)
    key = view.key(entry.signer)
    if key is None:
        message = f"unknown signer {entry.signer}: no earlier entry registered or authorized it"
        if not view.complete:
            raise Unestablished(message + " in this bundle", field="/signer")
        raise AuthorityError(message, code="entry.unknown_signer", field="/signer")
    return key


def _check_chain(entry: Entry, key: KeyRecord, view: AuthorityView) -> None:
    """Per-key hash chain: seq = previous seq + 1 and prev = previous entry id (64 zeros at seq 0).

    On a partial view the previous entries may be absent: seq must still increase, and where the view holds
    the entry just before (or the key has none yet at seq 0), prev must name it."""
    seq, expected = entry.seq, key.head_seq + 1
    if seq < expected:
        _refuse_if_duplicate(entry, view)
        raise ConflictError(
            f"key {entry.signer} already has an entry with seq {seq} (its chain is at seq {key.head_seq}): "
            f"a fork or replay",
            code="chain.fork",
            field="/seq",
        )
    if seq > expected:
        if not view.complete:
            return
        raise ConflictError(
            f"seq {seq} skips ahead: key {entry.signer} expects seq {expected}", code="chain.gap", field="/seq"
        )
    expected_prev = key.head_id if key.head_seq >= 0 else ZERO_ENTRY_ID
    if entry.prev != expected_prev:
        raise ConflictError(
            f"prev {entry.prev} is not the key's previous entry id {expected_prev}", code="chain.fork", field="/prev"
        )


def _refuse_if_duplicate(entry: Entry, view: AuthorityView) -> None:
    """Duplicates are refused by entry id: the same bytes at the same (signer, seq)."""
    stored = view.entry_at_seq(entry.signer, entry.seq)
    if stored is not None and stored.entry_id == entry.entry_id:
        raise ConflictError(
            f"entry {entry.entry_id} is already in the log at index {stored.index}", code="entry.duplicate"
        )


def _check_key_may_sign(entry: Entry, key: KeyRecord, *, check_kind: bool) -> None:
    if key.revoked_index is not None:
        raise AuthorityError(
            f"key {key.key_id} was revoked (or rotated out) at index {key.revoked_index}",
            code="authority.key_revoked",
            field="/signer",
        )
    if key.not_after is not None and parse_time(entry.signed_at) > key.not_after:
        raise AuthorityError(
            f"key {key.key_id} was authorized until {key.not_after.strftime('%Y-%m-%dT%H:%M:%SZ')}; this entry "
            f"was signed at {entry.signed_at}",
            code="authority.key_expired",
            field="/signer",
        )
    if check_kind and entry.kind not in key.kinds:
        raise AuthorityError(
            f"key {key.key_id} ({key.role} of {key.scheme!r}) is not authorized for {entry.kind}",
            code="authority.unauthorized_kind",
            field="/kind",
        )
