"""What the API's routes depend on: the service's parts, assembled once by :func:`ledger.api.app.create_app`.

A route declares ``deps: Deps`` and reads ``deps.reads`` (the read layer it shares with the pages),
``deps.sequencer`` (the one write path) or ``deps.limits``; nothing is created at import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from verifier.envelope import MAX_ENTRY_BYTES

from ..log import Log
from ..reads import Reads
from ..sequencer import Sequencer, SequencerLimits

__all__ = ["ApiLimits", "Deps", "Services", "get_services"]


@dataclass(frozen=True)
class ApiLimits:
    max_body_bytes: int = MAX_ENTRY_BYTES + 1024
    sequencer: SequencerLimits = field(default_factory=SequencerLimits)


@dataclass(frozen=True)
class Services:
    """The parts of one service: its log, the sequencer that writes to it, the reads, and the limits."""

    log: Log
    sequencer: Sequencer
    reads: Reads
    limits: ApiLimits


def get_services(request: Request) -> Services:
    services: Services = request.app.state.deps
    return services


Deps = Annotated[Services, Depends(get_services)]
