"""App factory: the log and its limits are passed in; routes are thin and the store owns transactions."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from mapping.errors import CarbonLedgerError, InputError
from verifier import schemas
from verifier.envelope import MAX_ENTRY_BYTES
from verifier.merkle import leaf_hash

from ..log import Log
from ..sequencer import Sequencer, SequencerLimits
from .errors import carbonledger_error_handler
from .params import Bounded, LabelScheme

access_log = logging.getLogger("carbonledger.api")


@dataclass(frozen=True)
class ApiLimits:
    max_body_bytes: int = MAX_ENTRY_BYTES + 1024
    sequencer: SequencerLimits = field(default_factory=SequencerLimits)


class _Deps:
    def __init__(self, log: Log, sequencer: Sequencer, limits: ApiLimits) -> None:
        self.log, self.sequencer, self.limits = log, sequencer, limits


def create_app(log: Log, limits: ApiLimits | None = None) -> FastAPI:
    limits = limits or ApiLimits()
    sequencer = Sequencer(log, limits.sequencer)
    deps = _Deps(log, sequencer, limits)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        sequencer.close()

    app = FastAPI(
        title="carbonledger",
        version="0.1.0",
        lifespan=lifespan,
        description="Carbon-label transparency log: submit signed entries, read checkpoints and proofs.",
    )
    app.state.deps = deps
    app.add_exception_handler(CarbonLedgerError, carbonledger_error_handler)

    @app.exception_handler(RequestValidationError)
    async def _validation(_r: Request, e: RequestValidationError) -> JSONResponse:
        first = e.errors()[0] if e.errors() else {"loc": [], "msg": "invalid request"}
        field = "/".join(str(p) for p in first.get("loc", []))
        return JSONResponse(
            {"error": {"code": "request.invalid", "message": first.get("msg", "invalid request"), "field": field}},
            status_code=422,
        )

    app.include_router(_log_router())
    from .dataset_routes import dataset_router

    app.include_router(dataset_router())
    from .domain_routes import domain_router

    app.include_router(domain_router())
    from ..web import register_pages

    register_pages(app, log)
    return app


def get_deps(request: Request) -> _Deps:
    return request.app.state.deps


Deps = Annotated[_Deps, Depends(get_deps)]


async def read_body(request: Request, limit: int, content_types: tuple[str, ...]) -> bytes:
    """Read a request body, refusing wrong content types and bodies over ``limit`` before buffering them."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in content_types:
        raise InputError(
            f"content type {ctype or 'none'!r} is not accepted; send {content_types[0]}", code="input.content_type"
        )
    return await read_limited(request, limit)


async def read_limited(request: Request, limit: int, what: str = "body") -> bytes:
    """The request body, refused as soon as its declared or streamed length passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):  # "²".isdigit() too, and int("²") raises
            raise InputError(f"Content-Length {declared[:40]!r} is not a number of bytes", code="input.content_length")
        if len(declared.lstrip("0")) > len(str(limit)) or int(declared) > limit:  # int() of a short string only
            raise InputError(f"{what} of {declared[:40]} bytes is over the limit of {limit}", code="input.oversized")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise InputError(f"{what} is over the limit of {limit} bytes", code="input.oversized")
    return bytes(body)


def _log_router() -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.post("/entries", status_code=201, summary="Submit a signed entry envelope; returns its receipt")
    async def submit(request: Request, deps: Deps) -> dict[str, Any]:
        body = await read_body(request, deps.limits.max_body_bytes, ("application/json",))
        from starlette.concurrency import run_in_threadpool

        receipt = await run_in_threadpool(deps.sequencer.submit, body)
        access_log.info("admitted entry %s at index %d", receipt.entry_id, receipt.index)
        return receipt.to_dict()

    @r.get("/entries/{index}", summary="The entry at a log index")
    def get_entry(
        index: Annotated[int, Path(description="A log index, from 0"), Bounded()], deps: Deps
    ) -> dict[str, Any]:
        row = deps.log.entry(index)
        return {
            "index": row.idx,
            "entry_id": row.entry_id,
            "kind": row.kind,
            "signer": row.signer,
            "seq": row.seq,
            "leaf_hash": leaf_hash(row.envelope).hex(),
            "envelope": json.loads(row.envelope),
        }

    @r.get("/checkpoint", response_class=PlainTextResponse, summary="The newest signed checkpoint (C2SP note)")
    def checkpoint(deps: Deps) -> str:
        return deps.log.checkpoint()

    @r.get("/log", summary="The log's origin, verifier key and size")
    def log_info(deps: Deps) -> dict[str, Any]:
        return {"origin": deps.log.origin, "vkey": deps.log.vkey, "tree_size": deps.log.store.tree_size()}

    @r.get("/proofs/inclusion", summary="Inclusion proof of an index in a tree size")
    def inclusion(
        deps: Deps,
        index: Annotated[int, Query(description="The entry's log index"), Bounded()],
        size: Annotated[int | None, Query(description="Tree size (default: the newest)"), Bounded(1)] = None,
    ) -> dict[str, Any]:
        size = deps.log.store.tree_size() if size is None else size
        proof = deps.log.inclusion_proof(index, size)
        return {"index": index, "size": size, "proof": [h.hex() for h in proof]}

    @r.get("/proofs/consistency", summary="Consistency proof between two tree sizes")
    def consistency(
        deps: Deps, size1: Annotated[int, Query(), Bounded()], size2: Annotated[int, Query(), Bounded()]
    ) -> dict[str, Any]:
        proof = deps.log.consistency_proof(size1, size2)
        return {"size1": size1, "size2": size2, "proof": [h.hex() for h in proof]}

    @r.get("/labels", summary="Labels, optionally of one scheme")
    def labels(
        deps: Deps, scheme: str | None = None, limit: Annotated[int, Query(), Bounded(1, 10000)] = 100
    ) -> list[dict[str, Any]]:
        return [
            {
                "label_id": x.label_id,
                "scheme": x.scheme,
                "product": x.product_name,
                "model": x.model,
                "gtin": x.gtin,
                "manufacturer": x.manufacturer,
                "status": x.status,
                "index": x.idx,
            }
            for x in deps.log.store.labels(scheme, limit)
        ]

    @r.get("/labels/{label_id}/bundle", summary="A self-contained bundle for offline verification")
    def bundle(label_id: str, deps: Deps, scheme: LabelScheme = None, to: str | None = None) -> Response:
        from ..bundles import build_bundle

        return Response(build_bundle(deps.log, label_id, scheme or None, to), media_type="application/json")

    @r.get("/schemas/{name}", summary="A JSON Schema of an entry kind or record")
    def schema(name: str) -> dict[str, Any]:
        if name not in schemas.schema_names():
            from mapping.errors import NotFoundError

            raise NotFoundError(f"no schema named {name!r}", code="schema.unknown")
        return schemas.load_schema(name)

    return r
