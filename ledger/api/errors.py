"""The one place errors become HTTP answers, each with its class's status.

Bodies: ``{"error": {"code", "message", "field"?}}`` on every status — the service's own errors, Starlette's
own answers (an unknown path 404 ``http.not_found``, a wrong method 405 ``http.method_not_allowed``, …) and
anything unexpected (500 ``internal.error``, its details only in the server's log). A retry-later error adds
``Retry-After``; a storage fault that escaped the store's own translation (ledger/store_session.py) is still
answered as one (503).
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from mapping.errors import BackPressureError, CarbonLedgerError, UnavailableError

from ..http_inputs import check_url
from ..store_session import fault_of

__all__ = ["carbonledger_error_handler", "http_error_handler", "status_for", "unexpected_error_handler"]

log = logging.getLogger("carbonledger.api")

# Starlette's own answers (routing, methods, malformed requests), by status: the envelope's stable code.
_HTTP_CODES = {
    400: "http.bad_request",
    404: "http.not_found",
    405: "http.method_not_allowed",
    413: "http.too_large",
    414: "http.uri_too_long",
    415: "http.media_type",
}


def status_for(error: CarbonLedgerError) -> int:
    """The HTTP status of a carbonledger error: its class's (mapping/errors.py draws the tree). A bad signature
    on a submission is 422: HTTP 401 is about HTTP authentication, not a signed entry."""
    return error.http_status


def _answer(error: CarbonLedgerError) -> JSONResponse:
    headers = {}
    if isinstance(error, BackPressureError | UnavailableError):
        headers["Retry-After"] = str(error.retry_after_s)
    return JSONResponse({"error": error.to_dict()}, status_code=status_for(error), headers=headers)


async def carbonledger_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, CarbonLedgerError)
    return _answer(error)


async def http_error_handler(request: Request, error: Exception) -> JSONResponse:
    """Requires a Starlette HTTPException. Its status, its headers (``Allow`` on a 405), in the envelope — but
    a URL over the limit is a 414 whether or not a route matched it (:func:`ledger.http_inputs.check_url`)."""
    assert isinstance(error, HTTPException)
    try:
        check_url(request)
    except CarbonLedgerError as refused:
        return _answer(refused)
    code = _HTTP_CODES.get(error.status_code, f"http.{error.status_code}")
    message = error.detail if isinstance(error.detail, str) else str(error.detail)
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=error.status_code, headers=error.headers
    )


async def unexpected_error_handler(request: Request, error: Exception) -> JSONResponse:
    """Anything no other handler answers: a storage fault is a 503; the rest a 500 that says only that."""
    fault = fault_of(error)
    if fault is not None:
        return _answer(fault)
    log.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse(
        {"error": {"code": "internal.error", "message": "the server failed to answer this request; see its log"}},
        status_code=500,
    )
