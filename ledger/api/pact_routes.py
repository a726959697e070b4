"""The PACT v3 HTTP API: ``POST /auth/token``, ``GET /3/footprints``, ``GET /3/footprints/{id}``, ``POST /3/events``,
the OpenID Provider Configuration Document and the proof extension's JSON Schema.

Error bodies are PACT's own ``{"code", "message"}`` with its codes: ``AccessDenied`` 403 (no token, or one
never issued — the spec's own example answers a request without a token so), ``TokenExpired`` 401,
``BadRequest`` 400, ``NotFound`` 404, ``NotImplemented`` 501 (the v3 schema's error codes; the deprecated OData
``$filter``), ``InternalError`` 500. The token endpoint answers as RFC 6749 §5.2 says (``invalid_client`` 401
with ``WWW-Authenticate: Basic``, ``unsupported_grant_type`` and ``invalid_request`` 400).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mapping.errors import AuthenticationError, CarbonLedgerError, ForbiddenError, InputError, NotFoundError

from ..pact_api import PROOF_SCHEMA_PATH, Filters, PactHost, proof_schema
from ..pact_auth import PactAuth
from .deps import get_services

__all__ = ["pact_router"]

log = logging.getLogger("carbonledger.pact")
_PAGE_PARAMS = ("limit", "offset", "x-carbonledger-size")
_FILTER_PARAMS = (
    "productId",
    "companyId",
    "geography",
    "classification",
    "validOn",
    "validAfter",
    "validBefore",
    "status",
)


def _error(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _pact_error(e: Exception) -> JSONResponse:
    if isinstance(e, AuthenticationError):
        return _error("TokenExpired", e.message, 401)
    if isinstance(e, ForbiddenError):
        return _error("AccessDenied", e.message, 403)
    if isinstance(e, NotFoundError):
        return _error("NotFound", e.message, 404)
    if isinstance(e, CarbonLedgerError) and e.http_status < 500:
        return _error("BadRequest", e.message, 400)
    log.exception("PACT request failed")
    return _error("InternalError", "An internal or unexpected error has occurred", 500)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _host(request: Request) -> PactHost:
    state = request.app.state
    if not hasattr(state, "pact_host"):
        state.pact_host = PactHost(get_services(request).reads)
        state.pact_auth = PactAuth(get_services(request).log.store)
    return state.pact_host  # type: ignore[no-any-return]


def _auth(request: Request) -> PactAuth:
    _host(request)
    return request.app.state.pact_auth  # type: ignore[no-any-return]


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _int(params: dict[str, list[str]], name: str, minimum: int) -> int | None:
    if name not in params:
        return None
    raw = params[name][-1]
    if not raw.isdigit() or int(raw) < minimum:
        raise InputError(f"{name} must be an integer of at least {minimum}", code="pact.bad_parameter", field=name)
    return int(raw)


def pact_router() -> APIRouter:
    r = APIRouter(tags=["pact"])

    @r.get("/.well-known/openid-configuration", summary="OpenID Provider Configuration Document (PACT v3)")
    def openid_configuration(request: Request) -> dict[str, Any]:
        base = _base(request)
        return {
            "issuer": base,
            "token_endpoint": f"{base}/auth/token",
            "jwks_uri": f"{base}/auth/jwks",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["none"],
            "scopes_supported": ["footprint:list", "footprint:read"],
        }

    @r.get("/auth/jwks", summary="The (empty) key set: access tokens are opaque, no ID token is signed")
    def jwks() -> dict[str, Any]:
        return {"keys": []}

    @r.post("/auth/token", summary="Action Authenticate: OAuth 2.0 client credentials with HTTP Basic")
    async def token(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        oauth_error = {"Cache-Control": "no-store"}
        try:
            client_id, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id, sep, secret = "", "", ""
        if scheme.lower() != "basic" or not sep:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "HTTP Basic client authentication is required"},
                status_code=401,
                headers={**oauth_error, "WWW-Authenticate": 'Basic realm="pact"'},
            )
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        grant = form.get("grant_type", [""])[-1]
        if not grant:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "grant_type is missing"}, 400, headers=oauth_error
            )
        if grant != "client_credentials":
            return JSONResponse(
                {"error": "unsupported_grant_type", "error_description": f"{grant!r}"}, 400, headers=oauth_error
            )
        auth = _auth(request)
        try:
            access, ttl = await run_in_threadpool(auth.issue_token, client_id, secret, _host(request).now())
        except AuthenticationError:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Authentication failed"},
                status_code=401,
                headers={**oauth_error, "WWW-Authenticate": 'Basic realm="pact"'},
            )
        body = {"access_token": access, "token_type": "bearer", "expires_in": ttl}
        return JSONResponse(body, headers={**oauth_error, "Pragma": "no-cache"})

    @r.get("/3/footprints", summary="Action ListFootprints")
    def list_footprints(request: Request) -> Response:
        host = _host(request)
        try:
            _auth(request).check_token(_bearer(request), host.now())
            params: dict[str, list[str]] = {}
            for k, v in request.query_params.multi_items():
                params.setdefault(k, []).append(v)
            if "$filter" in params:
                return _error("NotImplemented", "the deprecated OData $filter is not implemented", 501)
            unknown = [k for k in params if k not in (*_PAGE_PARAMS, *_FILTER_PARAMS) and not k.startswith("x-")]
            if unknown:
                raise InputError(f"unknown parameter {unknown[0]!r}", code="pact.bad_parameter", field=unknown[0])
            filters = Filters.parse(params)
            limit = _int(params, "limit", 1)
            offset = _int(params, "offset", 0) or 0
            pin = _int(params, "x-carbonledger-size", 0)
            data, next_offset, size = host.page(filters, limit, offset, pin, _base(request))
        except Exception as e:  # every failure answers a PACT error body
            return _pact_error(e)
        headers = {}
        if next_offset is not None:
            query = [
                (k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "x-carbonledger-size")
            ]
            query += [("offset", str(next_offset)), ("x-carbonledger-size", str(size))]
            headers["Link"] = f'<{request.url.replace(query=urlencode(query))}>; rel="next"'
        return JSONResponse({"data": data}, headers=headers)

    @r.get("/3/footprints/{pf_id}", summary="Action GetFootprint")
    def get_footprint(pf_id: str, request: Request) -> Response:
        host = _host(request)
        try:
            _auth(request).check_token(_bearer(request), host.now())
            return JSONResponse({"data": host.get(pf_id, _base(request))})
        except Exception as e:
            return _pact_error(e)

    @r.post("/3/events", summary="Action Events (CloudEvents, structured content mode)")
    async def events(request: Request) -> Response:
        host = _host(request)
        try:
            await run_in_threadpool(_auth(request).check_token, _bearer(request), host.now())
            try:
                event = json.loads(await request.body())
            except ValueError as e:
                raise InputError(f"the event is not JSON ({e})", code="pact.bad_event") from None
            await run_in_threadpool(host.accept_event, event, _base(request))
        except Exception as e:
            return _pact_error(e)
        return Response(status_code=200)

    @r.get(PROOF_SCHEMA_PATH, summary="JSON Schema of the carbonledger proof extension")
    def proof_extension_schema(request: Request) -> dict[str, Any]:
        return proof_schema(_base(request))

    return r
