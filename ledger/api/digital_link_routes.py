"""GS1 Digital Link resolution (``GET /01/{gtin}``) and the resolver description (``/.well-known/gs1resolver``).

What a product's QR code opens (``carbonledger label qr``): a 307 to the current label's page, or with
``linkType=linkset`` (``all``), or ``Accept: application/linkset+json``, the RFC 9264 linkset of every label of
the product (:mod:`ledger.digital_link`). Key qualifiers after the GTIN (``/10/{lot}``, ``/21/{serial}``) are
accepted and do not narrow the answer: labels are per product, not per lot. A GTIN that fails its check digit
is 400 ``input.gtin_invalid``; a product without labels 404 ``label.unknown_gtin``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import digital_link as dl
from .deps import Deps

__all__ = ["digital_link_router"]

_LINKSET_QUERY = ("linkset", "all")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _wants_linkset(request: Request, link_type: str | None) -> bool:
    if link_type is not None:
        return link_type.strip().lower() in _LINKSET_QUERY
    accept = request.headers.get("accept", "").lower()
    return dl.LINKSET_TYPE in accept and "text/html" not in accept


def digital_link_router() -> APIRouter:
    r = APIRouter(tags=["gs1 digital link"])

    async def resolve(request: Request, deps: Deps, gtin: str, link_type: str | None) -> Response:
        reads = deps.reads
        found = await run_in_threadpool(dl.product_labels, reads, gtin, reads.today())
        base = _base(request)
        links = {"Link": f'<{base}/01/{found.gtin}?linkType=linkset>; rel="linkset"; type="{dl.LINKSET_TYPE}"'}
        if _wants_linkset(request, link_type):
            body = dl.linkset(found, base, reads.today())
            return JSONResponse(body, media_type=dl.LINKSET_TYPE, headers={**links, "Vary": "Accept"})
        target = dl.link_for(found, link_type or "defaultLink") or found.default
        location = base + dl.label_path(target)
        if lang := request.query_params.get("lang"):
            location += "?" + urlencode({"lang": lang})  # the page's language, as the QR code's link asked
        return RedirectResponse(location, status_code=307, headers={**links, "Vary": "Accept"})

    @r.get(
        "/01/{gtin}",
        summary="GS1 Digital Link: 307 to the product's current label page, or its labels as an RFC 9264 linkset",
        responses={307: {"description": "the current label's page"}, 200: {"content": {dl.LINKSET_TYPE: {}}}},
    )
    async def gtin_link(
        request: Request,
        deps: Deps,
        gtin: str,
        link_type: Annotated[str | None, Query(alias="linkType", max_length=128)] = None,
    ) -> Response:
        return await resolve(request, deps, gtin, link_type)

    @r.get("/01/{gtin}/{qualifiers:path}", include_in_schema=False)
    async def gtin_link_qualified(
        request: Request,
        deps: Deps,
        gtin: str,
        qualifiers: str,
        link_type: Annotated[str | None, Query(alias="linkType", max_length=128)] = None,
    ) -> Response:
        return await resolve(request, deps, gtin, link_type)

    @r.get("/.well-known/gs1resolver", summary="GS1-Conformant resolver description file")
    async def resolver_description(request: Request) -> JSONResponse:
        base = _base(request)
        return JSONResponse(
            {
                "name": "carbonledger label resolver",
                "resolverRoot": base,
                "supportedPrimaryKeys": ["01"],
                "supportedLinkType": [{"namespace": dl.GS1_VOC, "prefix": "gs1:"}],
                "linkTypeDefaultCanBeLinkset": False,
                "supportedContextValuesEnumerated": [],
            }
        )

    return r
