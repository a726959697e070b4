"""A bundle's entries folded through the rule book, as the log folded them (DESIGN §2, §6 steps 3, 4, 8, 10).

The buyer does not depend on the operator having applied the rules: every entry of the bundle that is in the
checkpoint's tree (step 5) is judged by :func:`verifier.rules.fold_entry` at its index, in log order, on a
partial view (:class:`~verifier.memory_state.MemoryState` with ``complete=False``). An entry the rules refuse
makes the bundle not authentic, naming the rule and the entry; an entry whose signer the bundle does not
establish is left out (missing evidence, not a broken rule). Steps 3, 4, 8 and 10 then read the folded state.

A shipment's bundles share every entry but their labels, so the fold of the entries before a label is
remembered (keyed by those parsed items, which the shipment's item cache shares) and forked for each label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mapping.errors import CarbonLedgerError, Unestablished

from .bundle import Bundle, BundleEntry
from .ledger_state import KeyRecord
from .memory_state import MemoryState
from .rules import fold_entry


class _Cache(Protocol):
    signatures: set[tuple[str, bytes, bytes]]

    def remember(self, key: tuple[Any, ...], compute: Any) -> Any: ...


@dataclass(slots=True)
class FoldedBundle:
    """The state after every included entry of a bundle, with what the rules refused or could not establish."""

    state: MemoryState
    refused: list[tuple[BundleEntry, CarbonLedgerError]]  # entries other than the label that break a rule
    left_out: list[tuple[BundleEntry, str]]  # entries whose signer (or subject) the bundle does not establish
    label_error: CarbonLedgerError | None  # why the rules refuse the label itself, if they do
    deferred_signer: KeyRecord | None = None  # whose signature on the label is still to be checked


def fold_bundle(b: Bundle, included: frozenset[int], cache: _Cache) -> FoldedBundle:
    """Fold the bundle's included entries in index order, the label at its own index."""
    label = b.label
    before = tuple(e for e in b.entries if e is not label and e.index < label.index and e.index in included)
    after = sorted(
        (e for e in b.entries if e is not label and e.index > label.index and e.index in included),
        key=lambda e: e.index,
    )
    prefix: tuple[MemoryState, tuple[Any, ...], tuple[Any, ...]] = cache.remember(
        ("fold before", before), lambda: _fold_prefix(before, cache)
    )
    shared, refused, left_out = prefix[0], list(prefix[1]), list(prefix[2])
    label_error: CarbonLedgerError | None = None
    changes: list[Any] = []
    # With nothing after the label, its signature is checked later (check_label_signature), with the rest of
    # the shipment's: the rules after the signature do not depend on it, and the phase keeps Ed25519 hot.
    signer = None if after else shared.key(label.entry.signer)
    deferred = (
        () if signer is None else ((label.entry.entry_id, label.entry.signature, signer.verifying_key.public_key),)
    )
    try:  # judged even when not included (step 5 then fails): steps 2 and 3 still say what holds
        changes = fold_entry(label.entry, label.index, shared, None, deferred)
    except CarbonLedgerError as err:
        label_error = err
    if not after:
        # Nothing follows the label: the state before it is the state steps 2-10 read (a label's own record
        # is read from the bundle), so the shared prefix serves as it is — the rules only read a view.
        return FoldedBundle(shared, refused, left_out, label_error, signer)
    state = shared.fork()
    if label_error is None:
        state.apply(label.entry, label.index, changes)
    for item in after:
        _fold_one(state, item, cache, refused, left_out)
    return FoldedBundle(state, refused, left_out, label_error)


def check_label_signature(b: Bundle, folded: FoldedBundle) -> None:
    """The label signature :func:`fold_bundle` deferred: a bad one is the label's refusal, before any other."""
    signer = folded.deferred_signer
    if signer is None:
        return
    folded.deferred_signer = None
    try:
        b.label.entry.verify_signature(signer.verifying_key)
    except CarbonLedgerError as err:
        folded.label_error = err


def _fold_prefix(items: tuple[BundleEntry, ...], cache: _Cache) -> tuple[MemoryState, tuple[Any, ...], tuple[Any, ...]]:
    state = MemoryState(complete=False)
    refused: list[tuple[BundleEntry, CarbonLedgerError]] = []
    left_out: list[tuple[BundleEntry, str]] = []
    for e in sorted(items, key=lambda e: e.index):
        _fold_one(state, e, cache, refused, left_out)
    return state, tuple(refused), tuple(left_out)


def _fold_one(
    state: MemoryState,
    e: BundleEntry,
    cache: _Cache,
    refused: list[tuple[BundleEntry, CarbonLedgerError]],
    left_out: list[tuple[BundleEntry, str]],
) -> None:
    """Fold one shared entry; its verified signature is remembered by the exact bytes verified."""
    try:
        changes = fold_entry(e.entry, e.index, state, None, cache.signatures)
    except Unestablished as err:
        left_out.append((e, err.message))
        return
    except CarbonLedgerError as err:
        refused.append((e, err))
        return
    state.apply(e.entry, e.index, changes)
    signer = state.key(e.entry.signer)  # a scheme.register's own key is in the state now
    if signer is not None:
        cache.signatures.add((e.entry.entry_id, e.entry.signature, signer.verifying_key.public_key))


def describe_refusal(e: BundleEntry, err: CarbonLedgerError) -> str:
    """ "agreement.accept at index 12 breaks agreement.self_accept: …" — the entry and the rule it breaks."""
    return f"{e.entry.kind} at index {e.index} breaks the log's rule {err.code}: {err.message}"
