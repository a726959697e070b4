"""Where a reader of a log gets what it checks: the log's HTTP API, or its static tiles (C2SP tlog-tiles).

A monitor, ``bundle refresh`` or the verifier's online mode follows a log it does not trust; what it needs
is the newest checkpoint, the entries in order and the proofs between sizes. Each reader asks one
:class:`LogSource` and verifies everything it is given — a source is a transport, never a witness of truth.

Implementations: :class:`ledger.log_source_api.ApiSource` (the ``/v1`` API) and
:class:`ledger.tiles_source.TilesSource` (a tiles directory or URL).
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["LogSource"]


class LogSource(Protocol):
    """Requires nothing of the log's honesty: every answer is checked by the caller."""

    def checkpoint(self) -> str:
        """The newest signed checkpoint note as served (log signature and any cosignature lines)."""
        ...

    def entries(self, start: int, end: int) -> list[bytes]:
        """Requires 0 <= start <= end <= the tree size. The envelopes at indexes [start, end), in log order."""
        ...

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """Requires 0 <= size1 <= size2 <= the tree size. RFC 9162 §2.1.4's proof between the two sizes."""
        ...

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Requires 0 <= index < size <= the tree size. RFC 9162 §2.1.3's proof of the index in that tree."""
        ...
