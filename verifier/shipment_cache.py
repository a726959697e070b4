"""What a shipment's bundles share while they are verified against one checkpoint (DESIGN §6, :mod:`verifier.verify`).

Every entry is keyed by content (or by the parsed item itself, which the item cache hands out only for the
same bytes), so a hit is the result the same input gave before; the label's own results are never kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from verifier.bundle import BundleEntry, CachedItem, ItemKey
from verifier.bundle_status import BundleStatusItem, StatusItemCache

__all__ = ["VerifierCache"]


@dataclass
class VerifierCache:
    """Results shared by many bundles against one checkpoint, keyed by content hash (bench: a shipment)."""

    # (checkpoint note, log key, witness keys, threshold, the verifier's clock) -> step 6's verdict on it
    checkpoints: dict[tuple[str, str, tuple[str, ...], int, int], tuple[Any, str, str]] = field(default_factory=dict)
    note_origins: dict[str, str] = field(default_factory=dict)  # checkpoint note -> its body's origin line
    # (entry id = SHA-256 of the payload, signature, public key) of each shared entry's verified signature
    signatures: set[tuple[str, bytes, bytes]] = field(default_factory=set)
    # (shared item, tree size, root) of each verified inclusion; the key holds the item, so its identity
    # stays unique while remembered
    inclusions: set[tuple[BundleEntry, int, bytes]] = field(default_factory=set)
    items: dict[ItemKey, CachedItem] = field(default_factory=dict)  # see parse_bundle
    # bundle v2: parsed status items (kind, id, proof text -> item) and the (item, status root) pairs whose map
    # proof verified (verifier/bundle_status.py); a label's own item is never kept
    status_items: StatusItemCache = field(default_factory=dict)
    status_proven: set[tuple[BundleStatusItem, bytes]] = field(default_factory=set)
    # Results derived from shared items alone (a scheme's root timeline, a key's authorizations), keyed by
    # the items themselves: a key holds its items, so their identities stay unique while it is kept.
    derived: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    # names this shipment to worker processes, which keep their own caches for it (verifier/shipment_workers.py)
    token: str = field(default_factory=lambda: secrets.token_hex(8))

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
