"""The cyclic garbage collector in a long-running log process.

Ingest allocates about a hundred objects per entry (parsed bodies, rows, proofs) that all die by reference
counting when their batch is done. They still count towards the collector's thresholds, and every full
collection walks every tracked object alive — several hundred thousand of them after start-up (modules,
schemas, SQLAlchemy's metadata, the web app), none of which will ever be garbage. On the ingest benchmark
that walking cost about a quarter of the sequencer's time. :func:`settle_startup_heap` moves what start-up
built into the collector's permanent generation (:func:`gc.freeze`), so later collections walk only what
the work itself allocates. Garbage is still collected; only the start-up objects are no longer re-examined.

:func:`collector_paused` goes one step further for the length of one append batch: the batch allocates tens of
thousands of short-lived containers (parsed bodies, rows, and the status map's update: a list per node it
visits), all freed by reference counting, and the collector would otherwise run a hundred times a batch for
nothing. It runs again as soon as the batch is written.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused", "settle_startup_heap"]


def settle_startup_heap() -> None:
    """Call once a process has loaded what it keeps for its lifetime, before its hot loop."""
    gc.collect()  # start-up garbage goes now, not into the permanent generation
    gc.freeze()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic cyclic collection while the block runs (left as it was if it was already off)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
