"""The one place errors become HTTP answers, each with its class's status.

Bodies: ``{"error": {"code", "message", "field"?}}`` on every status — the service's own errors, Starlette's
own answers (an unknown path 404 ``http.not_found``, a wrong method 405 ``http.method_not_allowed``, …) and
anything unexpected (500 ``internal.error``, its details only in the server's log). A retry-later error adds
``Retry-After``; a storage fault that escaped the store's own translation (ledger/store_session.py) is still
answered as one (503).

A browser is not an API client: a 404 outside ``/v1`` asked for with ``Accept: text/html`` (a mistyped page
address, a scanned product code this log has no label for) is the pages' own HTML 404, in the reader's
language, when the pages are served (``app.state.pages``); the API keeps its JSON envelope whatever it accepts.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse, Response
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


def _html_404(request: Request, message: str) -> Response | None:
    """The pages' 404 for a browser's page request, or None when the JSON envelope is the answer."""
    pages = getattr(request.app.state, "pages", None)
    accept = request.headers.get("accept", "").lower()
    if pages is None or "text/html" not in accept or request.url.path.startswith("/v1/"):
        return None
    answer: Response = pages.not_found(request, message)
    return answer


async def carbonledger_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, CarbonLedgerError)  # registered for CarbonLedgerError only (app.py)
    if status_for(error) == 404 and (page := _html_404(request, error.message)) is not None:
        return page
    return _answer(error)


async def http_error_handler(request: Request, error: Exception) -> Response:
    """Requires a Starlette HTTPException. Its status, its headers (``Allow`` on a 405), in the envelope — but
    a URL over the limit is a 414 whether or not a route matched it (:func:`ledger.http_inputs.check_url`)."""
    assert isinstance(error, HTTPException)  # registered for HTTPException only (app.py)
    try:
        check_url(request)
    except CarbonLedgerError as refused:
        return _answer(refused)
    code = _HTTP_CODES.get(error.status_code, f"http.{error.status_code}")
    message = error.detail if isinstance(error.detail, str) else str(error.detail)
    if error.status_code == 404 and (page := _html_404(request, f"No page at {request.url.path}")) is not None:
        return page
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
