"""One tlog-witness ``add-checkpoint`` request, handled the one way both the HTTP witness
(ledger/witness_app.py) and the in-process one (ledger/witness_local.py) handle it."""

from __future__ import annotations

from collections.abc import Callable

from .witness_core import MAX_BODY_BYTES, Answer, TrustedLogs, WitnessIdentity, decide, parse_add_checkpoint, precheck
from .witness_state import WitnessStore

__all__ = ["add_checkpoint"]


def add_checkpoint(
    body: bytes,
    witness: WitnessIdentity,
    logs: TrustedLogs,
    store: WitnessStore,
    clock: Callable[[], float],
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Answer:
    """Requires a store opened for ``witness.vkey``. One tlog-witness ``add-checkpoint`` request: parse, the
    stateless checks, then decide and persist under the state's write lock (raises ``InputError`` for a
    malformed body, ``UnavailableError`` when the state cannot be written).

    ``clock`` (seconds since the epoch) is read under the lock, once the state is read: a request that waited
    for the lock is stamped after the one it waited for, and :func:`decide` never stamps earlier than the
    origin's last cosignature."""
    request = parse_add_checkpoint(body, max_body_bytes)
    refusal = precheck(request, logs)
    if refusal is not None:
        return refusal
    return store.check_and_store(
        request.checkpoint.origin,
        lambda state: decide(request, state, witness, int(clock()), logs),
        body,
        clock,
    )
