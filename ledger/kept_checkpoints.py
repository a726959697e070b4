"""The checkpoints a buyer keeps (step 7's state), one per log, in ``kept-checkpoints.json`` of a home.

A log is its origin *and* its key (:func:`kept_key`): two independent logs may both be called
``carbonledger.local/log``, and keying by origin alone would report their checkpoints as inconsistent.

Policy, written once: a checkpoint is kept only from a verification that succeeded (exit 0), and the kept
one never moves back to a smaller tree. What is kept is the report's ``keep_checkpoint`` — the verifier
decides which checkpoint that is; this store only remembers it, atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mapping.errors import CarbonLedgerError, InputError
from verifier.bundle import parse_bundle
from verifier.note import parse_checkpoint, split_note
from verifier.report import Report
from verifier.trust import parse_trust
from verifier.verify import KeptCheckpoint

from .home import write_json_atomic

__all__ = ["KEPT_FILE", "KeptCheckpoints", "bundle_origin", "consistency_sizes", "kept_key"]

KEPT_FILE = "kept-checkpoints.json"


def bundle_origin(bundle: bytes) -> str | None:
    """The log origin a bundle names, or None when it cannot be read (the verifier then says why)."""
    try:
        return parse_bundle(bundle).origin
    except CarbonLedgerError:
        return None


def kept_key(origin: str | None, trust: bytes) -> str | None:
    """The key a log's kept checkpoint is filed under: the trust file's log verifier key (its name is the
    origin), when the bundle's origin is that log's; the bare origin when the trust file cannot be read (the
    verifier then refuses the input at step 1 and nothing is kept)."""
    if origin is None:
        return None
    try:
        t = parse_trust(trust)
    except CarbonLedgerError:
        return origin
    return f"{origin} {t.log_vkey}" if t.origin == origin else origin


def consistency_sizes(bundle: bytes, kept: KeptCheckpoint) -> tuple[int, int] | None:
    """The (smaller, larger) tree sizes of the consistency proof between ``kept`` and the bundle's checkpoint,
    or None when no proof is needed (the same size) or the bundle's checkpoint cannot be read."""
    try:
        size = parse_checkpoint(split_note(parse_bundle(bundle).checkpoint)[0]).size
    except CarbonLedgerError:
        return None
    if size == kept.size:
        return None
    small, large = sorted((size, kept.size))
    return small, large


class KeptCheckpoints:
    """The kept checkpoints of one home (read once, written after each success that moves one forward)."""

    def __init__(self, home: Path, path: Path | None = None) -> None:
        self.path = path if path is not None else home / KEPT_FILE  # ``verify --state FILE`` chooses another
        self._all: dict[str, Any] | None = None

    def _read(self) -> dict[str, Any]:
        if self._all is None:
            if not self.path.exists():
                self._all = {}
            else:
                try:
                    self._all = json.loads(self.path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as e:
                    raise InputError(f"cannot read kept checkpoints {self.path}: {e}", code="state.invalid") from e
                if not isinstance(self._all, dict):
                    raise InputError(f"{self.path} is not a kept-checkpoints file", code="state.invalid")
        return self._all

    def get(self, origin: str | None) -> KeptCheckpoint | None:
        """The checkpoint kept for ``origin``, or None (``state.invalid`` when the kept state is unusable)."""
        kept = self._read()
        return KeptCheckpoint.from_dict(kept[origin]) if origin in kept else None

    def keep(self, origin: str | None, report: Report) -> bool:
        """Keep ``report``'s checkpoint for ``origin`` when the verification succeeded and it does not move the
        kept one back to a smaller tree; True when it was written."""
        new = report.keep_checkpoint
        if report.exit_code() != 0 or new is None or origin is None:
            return False
        kept = self.get(origin)
        if kept is not None and new["size"] < kept.size:
            return False
        self._read()[origin] = new
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path, self._read())
        return True
