"""The one place errors become HTTP answers, each with its class's status.

Bodies: ``{"error": {"code", "message", "field"?}}``; a retry-later error adds ``Retry-After``.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from mapping.errors import BackPressureError, CarbonLedgerError, UnavailableError


def status_for(error: CarbonLedgerError) -> int:
    """The HTTP status of a carbonledger error: its class's (mapping/errors.py draws the tree). A bad signature
    on a submission is 422: HTTP 401 is about HTTP authentication, not a signed entry."""
    return error.http_status


async def carbonledger_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, CarbonLedgerError)
    headers = {}
    if isinstance(error, BackPressureError | UnavailableError):
        headers["Retry-After"] = str(error.retry_after_s)
    return JSONResponse({"error": error.to_dict()}, status_code=status_for(error), headers=headers)
