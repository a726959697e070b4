"""The witness's HTTP service (Starlette, the ``server`` extra): C2SP tlog-witness ``POST /add-checkpoint``, and
``GET /checkpoints/{origin}`` for monitors (not in the spec: the newest checkpoint note this witness cosigned
for the origin, its own cosignature line included; 404 when none).

Answers are plain text with the spec's status codes (ledger/witness_core.py); the 409 body is the size line
alone, as ``text/x.tlog.size``. A body over the limit is refused with 413 before it is read whole. The
state-free checks (parse, origin, signature) run outside the state's lock, the rest inside it
(ledger/witness_state.py), in a worker thread: SQLite's fsync must not stall the event loop. Refusals of
trusted-signed checkpoints as inconsistent are logged at WARNING with the note, as evidence. Every request
is logged on the ``carbonledger.witness`` logger (method, path, status, answer code, client).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mapping.errors import CarbonLedgerError, InputError, UnavailableError

from .witness_core import (
    MAX_BODY_BYTES,
    TEXT_CONTENT_TYPE,
    Answer,
    TrustedLogs,
    WitnessIdentity,
)
from .witness_requests import add_checkpoint as handle_add_checkpoint
from .witness_state import WitnessStore

__all__ = ["create_witness_app"]

log = logging.getLogger("carbonledger.witness")


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (``_TooLarge``) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _respond(result: Answer) -> Response:
    # The content type exactly as given: Starlette would add "; charset=utf-8" to a text/* media type, and the
    # spec's 409 type is "text/x.tlog.size" itself.
    return Response(result.body, status_code=result.status, headers={"Content-Type": result.content_type})


def _error(e: CarbonLedgerError) -> Response:
    headers = {"Retry-After": str(e.retry_after_s)} if isinstance(e, UnavailableError) else None
    return Response(e.message + "\n", status_code=e.http_status, media_type=TEXT_CONTENT_TYPE, headers=headers)


def create_witness_app(
    witness: WitnessIdentity,
    logs: TrustedLogs,
    store: WitnessStore,
    clock: Callable[[], float] = time.time,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Starlette:
    """Requires a store opened for ``witness.vkey``. The ASGI app; ``clock`` gives the cosignatures' time
    (seconds since the epoch)."""

    def add(body: bytes) -> Answer:
        return handle_add_checkpoint(body, witness, logs, store, int(clock()), max_body_bytes)

    async def add_checkpoint(request: Request) -> Response:
        try:
            body = await _read_body(request, max_body_bytes)
        except _TooLarge:
            request.state.code = "input.oversized"
            return Response(f"body over {max_body_bytes} bytes\n", status_code=413, media_type=TEXT_CONTENT_TYPE)
        try:
            result = await run_in_threadpool(add, body)
        except (InputError, UnavailableError) as e:
            request.state.code = e.code
            return _error(e)
        request.state.code = result.code
        if result.evidence:
            log.warning(
                "refused a trusted-signed checkpoint (%d %s), possible log misbehaviour; body:\n%s",
                result.status,
                result.code,
                body.decode("utf-8", "replace"),
            )
        return _respond(result)

    async def checkpoint(request: Request) -> Response:
        origin = request.path_params["origin"]
        try:
            state = await run_in_threadpool(store.latest, origin)
        except UnavailableError as e:
            return _error(e)
        if state is None:
            request.state.code = "witness.none_cosigned"
            return Response(
                f"no checkpoint cosigned for origin {origin!r}\n", status_code=404, media_type=TEXT_CONTENT_TYPE
            )
        request.state.code = "witness.checkpoint"
        return Response(state.note, media_type=TEXT_CONTENT_TYPE)

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/checkpoints/{origin:path}", checkpoint, methods=["GET"]),
        ],
        middleware=[Middleware(_AccessLog)],
    )


class _AccessLog:
    """ASGI middleware: one INFO line per HTTP request (method, path, status, answer code, client)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        scope.setdefault("state", {})
        try:
            await self.app(scope, receive, sending)
        finally:
            client = scope.get("client")
            log.info(
                "%s %s %s %s %s",
                scope["method"],
                scope["path"],
                status[0] if status else "-",
                scope["state"].get("code", "-"),
                f"{client[0]}:{client[1]}" if client else "-",
            )
