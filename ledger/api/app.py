"""The composition root of the HTTP service: :func:`create_app` assembles the API and the web pages.

Everything is made here from the log passed in — the sequencer (the one write path), the read layer the
API and the pages share (:class:`ledger.reads.Reads`), the error handlers — and nothing at import (the API's
stateless routers are built on first use, once a process: :func:`api_routers`). The route modules
(``log_routes``, ``domain_routes``, ``dataset_routes``, ``ledger/web``) import only what they read from
(:mod:`ledger.reads`, :mod:`ledger.http_inputs`, :mod:`ledger.api.deps`), never this module.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from mapping.errors import CarbonLedgerError

from ..http_inputs import check_url
from ..log import Log
from ..reads import Reads
from ..sequencer import Sequencer
from ..web import register_pages
from .dataset_routes import dataset_router
from .deps import ApiLimits, Services
from .digital_link_routes import digital_link_router
from .docs_routes import register_docs
from .domain_routes import domain_router
from .entry_range_routes import entry_range_router
from .errors import carbonledger_error_handler, http_error_handler, unexpected_error_handler
from .log_routes import log_router
from .metrics_routes import metrics_router
from .pact_routes import pact_router

__all__ = ["ApiLimits", "api_routers", "create_app"]


def create_app(log: Log, limits: ApiLimits | None = None) -> FastAPI:
    """The service of ``log``: the API under ``/v1`` and the web pages, over one sequencer and one read layer."""
    limits = limits or ApiLimits()
    sequencer = Sequencer(log, limits.sequencer)
    reads = Reads(log)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if log.witnessing is not None:  # a checkpoint left below policy (a crash, a witness down) gets another try
            await run_in_threadpool(log.witnessing.cosign_latest)
        yield
        sequencer.close()

    app = FastAPI(
        title="carbonledger",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served from package data (ledger/api/docs_routes.py), never from a CDN
        redoc_url=None,
        dependencies=[Depends(check_url)],  # every route: URL length and NUL bytes (ledger/http_inputs.py)
        description="Carbon-label transparency log: submit signed entries, read checkpoints and proofs.",
    )
    app.state.deps = Services(log, sequencer, reads, limits)
    app.add_exception_handler(CarbonLedgerError, carbonledger_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
    for router in api_routers():
        app.include_router(router)
    register_pages(app, reads)
    register_docs(app)
    return app


@functools.cache
def api_routers() -> tuple[APIRouter, ...]:
    """The API's routers, built once per process and included in every app: their routes hold no state (each reads
    its services from ``request.app.state``), and building them costs ~70 ms, which a process making many apps
    (the test suite: hundreds) would otherwise pay for each."""
    return (
        log_router(),
        entry_range_router(),
        metrics_router(),
        dataset_router(),
        domain_router(),
        pact_router(),
        digital_link_router(),
    )


async def _validation_error(_r: Request, e: Exception) -> JSONResponse:
    assert isinstance(e, RequestValidationError)  # registered for RequestValidationError only (above)
    first = e.errors()[0] if e.errors() else {"loc": [], "msg": "invalid request"}
    field = "/".join(str(p) for p in first.get("loc", []))
    return JSONResponse(
        {"error": {"code": "request.invalid", "message": first.get("msg", "invalid request"), "field": field}},
        status_code=422,
    )
