"""The cyclic garbage collector in a long-running log process.

Ingest allocates about a hundred objects per entry (parsed bodies, rows, proofs) that all die by reference
counting when their batch is done. They still count towards the collector's thresholds, and every full
collection walks every tracked object alive — several hundred thousand of them after start-up (modules,
schemas, SQLAlchemy's metadata, the web app), none of which will ever be garbage. On the ingest benchmark
that walking cost about a quarter of the sequencer's time. :func:`settle_startup_heap` moves what start-up
built into the collector's permanent generation (:func:`gc.freeze`), so later collections walk only what
the work itself allocates. Garbage is still collected; only the start-up objects are no longer re-examined.

:func:`verifier.collector.collector_paused` goes one step further for the length of one append
batch, as the verifier does for one shipment.
"""

from __future__ import annotations

import gc

__all__ = ["settle_startup_heap"]


def settle_startup_heap() -> None:
    """Call once a process has loaded what it keeps for its lifetime, before its hot loop."""
    gc.collect()  # start-up garbage goes now, not into the permanent generation
    gc.freeze()
