"""The witness's HTTP service (Starlette, the ``server`` extra): C2SP tlog-witness ``POST /add-checkpoint``, and
``GET /checkpoints/{origin}`` for monitors (not in the spec: the newest checkpoint note this witness cosigned
for the origin, its own cosignature line included; 404 when none).

Answers are plain text with the spec's status codes (ledger/witness_core.py); the 409 body is the size line
alone, as ``text/x.tlog.size``. The body is read by ledger/http_inputs.read_limited: over the limit (declared
or streamed) it is refused with 413 before it is read whole, a Content-Length that is no decimal number is a
400. A body not received whole within :data:`BODY_TIMEOUT_S` is answered 408 (and the connection closed):
uvicorn has no such deadline, and a client trickling a body — or sending nothing after its headers — would
hold its connection forever. A client that hangs up mid-body gets no answer, and no error is logged. The
state-free checks (parse, origin, signature) run outside the state's lock, the rest inside it
(ledger/witness_state.py), in a worker thread: SQLite's fsync must not stall the event loop. Refusals of
trusted-signed checkpoints as inconsistent are logged at WARNING with the note, as evidence. Every request
is logged on the ``carbonledger.witness`` logger (method, path, status, answer code, client).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from mapping.errors import CarbonLedgerError, InputError, UnavailableError

from .http_inputs import read_limited
from .witness_core import (
    MAX_BODY_BYTES,
    TEXT_CONTENT_TYPE,
    Answer,
    TrustedLogs,
    WitnessIdentity,
)
from .witness_requests import add_checkpoint as handle_add_checkpoint
from .witness_state import WitnessStore

__all__ = ["BODY_TIMEOUT_S", "BodyTimeoutError", "create_witness_app"]

log = logging.getLogger("carbonledger.witness")

# The deadline for receiving a whole add-checkpoint body once its headers are in: at MAX_BODY_BYTES (256 KiB)
# that is about 210 kbit/s at the slowest; a log's request is usually a few kB, sent at once.
BODY_TIMEOUT_S = 10.0


class BodyTimeoutError(InputError):
    """A request body not received whole within its deadline (HTTP 408, RFC 9110 §15.5.9)."""

    code = "input.body_timeout"
    http_status = 408


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
    body_timeout_s: float | None = None,
) -> Starlette:
    """Requires a store opened for ``witness.vkey``. The ASGI app; ``clock`` gives the cosignatures' time
    (seconds since the epoch; read under the state's lock); a body must arrive within ``body_timeout_s``
    (None: :data:`BODY_TIMEOUT_S` as it is when the request comes)."""

    def add(body: bytes) -> Answer:
        return handle_add_checkpoint(body, witness, logs, store, clock, max_body_bytes)

    async def add_checkpoint(request: Request) -> Response:
        deadline_s = BODY_TIMEOUT_S if body_timeout_s is None else body_timeout_s
        try:
            async with asyncio.timeout(deadline_s):
                body = await read_limited(request, max_body_bytes, "add-checkpoint body")
        except TimeoutError:
            e = BodyTimeoutError(f"add-checkpoint body not received whole within {deadline_s:g} s")
            request.state.code = e.code
            response = _error(e)
            response.headers["Connection"] = "close"  # the rest of the body may still come: not one more request
            return response
        except ClientDisconnect:
            # The client hung up before sending its whole body: nobody to answer (the access line says why).
            gone = InputError("client disconnected before sending the whole body", code="input.client_disconnected")
            request.state.code = gone.code
            return _error(gone)
        except InputError as e:  # a Content-Length that is no number (400), or over the limit (413)
            request.state.code = e.code
            return _error(e)
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
