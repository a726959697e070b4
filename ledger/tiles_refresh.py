"""Bundles from static tiles (C2SP tlog-tiles): what `verify --tiles` and `bundle refresh --tiles` read.

Issue 17: "the verifier's online mode, ``bundle refresh`` and the monitor can read from a tiles URL instead of the
API". Tiles hold the tree and the entries, not the status map, so the status proofs a bundle v2 carries are made
here: every entry the tiles' checkpoint covers is read and appended, in log order, to a mirror log in a temporary
SQLite store — the same rule book (an entry it refuses is ``tiles.refused_entry``), with admission's scheme policy
and clock window left open, since the log admitted these entries when they were new. The mirror's tree root and
status map root must be the ones the tiles' checkpoint signs for (``tiles.root_mismatch``: the tiles are not what
the log signed). The bundle is then built from the mirror but carries the tiles' own signed checkpoint, with its
witnesses' cosignatures; the mirror's key signs nothing a buyer sees, and the buyer's verifier checks the bundle
like any other (:mod:`verifier.bundle_refresh`, then every step). The cost is one read of every entry.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime

import orjson

from mapping.errors import CarbonLedgerError, InputError
from verifier.canonical import canonicalize
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.note import Checkpoint, parse_checkpoint, split_note
from verifier.status_commit import status_commitment
from verifier.steps_log import judge_checkpoint
from verifier.trust import Trust, parse_trust

from .bundles import build_bundle
from .log import Log
from .store import Store
from .tiles_source import TilesSource

__all__ = ["MIRROR_BATCH", "TilesRefresh"]

MIRROR_BATCH = 1000  # entries appended to the mirror at a time
_ANY_TIME_S = 1 << 40  # the mirror's clock window: the entries' own times, however old, were the log's to judge


class TilesRefresh:
    """Bundles of the tiled log ``source`` reads, answering as :class:`cli.remote.LogService` does, so a buyer's
    command reads either. With the buyer's ``trust`` file, the tiles' checkpoint must be signed by its log key
    before a single entry is read (``tiles.unauthenticated``): whoever writes a checkpoint file would otherwise
    choose how much this reads and stores. A trust file that does not parse is left to the verifier to refuse."""

    def __init__(self, source: TilesSource, trust: bytes | None = None) -> None:
        self.source = source
        self.trust: Trust | None = None
        if trust is not None:
            try:
                self.trust = parse_trust(trust)
            except CarbonLedgerError:
                self.trust = None

    def bundle(self, label_id: str, target: str | None, scheme: str | None = None) -> bytes:
        """The bundle of ``label_id`` (of ``scheme``) for ``target`` against the tiles' checkpoint."""
        note = self.source.checkpoint()
        return self._bundle(note, parse_checkpoint(split_note(note)[0]), label_id, scheme, target)

    def bundle_refresh(
        self, label_id: str, from_size: int, target: str | None, scheme: str | None = None
    ) -> tuple[bytes, list[bytes]]:
        """A bundle against the tiles' checkpoint and the consistency proof to it from ``from_size`` (none when the
        tiles' tree is smaller: the caller refuses that refresh as older)."""
        note = self.source.checkpoint()
        cp = parse_checkpoint(split_note(note)[0])
        proof = self.source.consistency_proof(from_size, cp.size) if from_size <= cp.size else []
        return self._bundle(note, cp, label_id, scheme, target), proof

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """RFC 9162 PROOF(size1, D[size2]) from the hash tiles (checked by the verifier)."""
        return self.source.consistency_proof(size1, size2)

    def _bundle(self, note: str, cp: Checkpoint, label_id: str, scheme: str | None, target: str | None) -> bytes:
        """The bundle of the label against ``note`` (whose checkpoint is ``cp``), from a mirror of its entries."""
        if self.trust is not None:
            verified, _, detail = judge_checkpoint(note, self.trust, int(datetime.now(UTC).timestamp()))
            if verified is None:
                raise InputError(f"the tiles' checkpoint: {detail}", code="tiles.unauthenticated")
        commitment = status_commitment(cp)
        with tempfile.TemporaryDirectory(prefix="carbonledger-tiles-") as tmp:
            store = Store(f"sqlite:///{tmp}/mirror.db")
            try:
                mirror = Log(
                    store,
                    SigningKey.generate(),
                    cp.origin,
                    Policy(allow_any_scheme=True, max_clock_skew_s=_ANY_TIME_S),
                    lambda: datetime.now(UTC).replace(microsecond=0),
                )
                self._fill(mirror, cp.size)
                if mirror.root() != cp.root_hash:
                    raise InputError(
                        f"the tiles' entries give tree root {mirror.root().hex()[:16]}… at size {cp.size}, not the "
                        f"{cp.root_hash.hex()[:16]}… their checkpoint signs",
                        code="tiles.root_mismatch",
                    )
                status_root = mirror.status_root(cp.size)[1]
                if commitment is not None and status_root != commitment.root:
                    raise InputError(
                        f"the tiles' entries give status map root {status_root.hex()[:16]}… at size "
                        f"{cp.size}, not the {commitment.root.hex()[:16]}… their checkpoint commits to",
                        code="tiles.root_mismatch",
                    )
                data = build_bundle(mirror, label_id, scheme, target, version=2 if commitment is not None else 1)
            finally:
                store.close()
        doc = orjson.loads(data)
        doc["checkpoint"] = note  # the tiles' signed checkpoint, for the same tree (and status map) as the mirror's
        return canonicalize(doc)

    def _fill(self, mirror: Log, size: int) -> None:
        """Append the tiles' entries [0, size) to ``mirror``, in log order; ``tiles.refused_entry`` at the first the
        rule book refuses."""
        for start in range(0, size, MIRROR_BATCH):
            envelopes = self.source.entries(start, min(size, start + MIRROR_BATCH))
            for at, outcome in enumerate(mirror.submit_many(envelopes, with_proofs=False), start):
                if isinstance(outcome, CarbonLedgerError):
                    raise InputError(
                        f"the tiles' entry {at} is one the rule book refuses [{outcome.code}]: {outcome.message}",
                        code="tiles.refused_entry",
                    ) from outcome
