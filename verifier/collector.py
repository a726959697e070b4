"""The cyclic garbage collector during a burst of work whose objects die by reference counting.

Verifying a shipment, or appending a batch to the log, allocates tens of thousands of short-lived containers
(parsed documents, entry bodies, reports, proofs, the status map's node lists), all acyclic and all freed by
reference counting once their bundle or batch is done. They still count towards the collector's thresholds,
so it would run hundreds of times per shipment for nothing, each time walking every object the shipment holds
so far: on ``bench verify`` that was about a quarter of the verifier's time. :func:`collector_paused` turns
automatic collection off for the length of the block and back on after it; garbage with cycles made meanwhile
is collected then. The work's size is bounded by its input (a shipment, a batch), so memory is too.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["collector_paused"]


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
