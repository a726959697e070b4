"""Background datasets over HTTP (issue 8): read-only routes; publishing is a signed entry like any other.

``GET /v1/datasets`` lists every version of every dataset with its status (``current``, ``superseded`` or
``retired``) and ledger index, in log order, a page at a time (``limit``, ``after``, ``Link: rel="next"``:
:mod:`ledger.api.list_params`); ``GET /v1/datasets/{id}?version=N`` shows one version (default: the current
one) with its signed values. Both answer the items ``carbonledger dataset list|show --json`` prints
(:mod:`ledger.datasets_service`, through :class:`ledger.reads.Reads`). A publisher publishes or retires by
``POST /v1/entries`` with a signed ``dataset.publish`` / ``dataset.retire`` envelope: there is no separate
write endpoint. An unknown dataset is 404 ``dataset.unknown``; an unknown version 404 ``dataset.unknown_version``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from .. import paged_reads
from ..paging import DEFAULT_LIMIT
from .deps import Deps
from .list_params import After, Limit, link_next
from .params import Bounded

__all__ = ["dataset_router"]


def dataset_router() -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["datasets"])

    @r.get("/datasets", summary="Every version of every background dataset, with its status and ledger index")
    def datasets(
        request: Request,
        response: Response,
        deps: Deps,
        publisher: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        after: After = None,
    ) -> list[dict[str, Any]]:
        page = paged_reads.dataset_page(deps.reads, publisher, limit, after)
        return link_next(request.url, response, page, "after", limit)

    @r.get(
        "/datasets/{dataset_id}",
        summary="One version of a dataset (default: the current one) with its signed values",
        description="Publishing and retiring go through POST /v1/entries with a signed envelope.",
    )
    def dataset(
        deps: Deps, dataset_id: str, version: Annotated[int | None, Query(), Bounded(1)] = None
    ) -> dict[str, Any]:
        return deps.reads.dataset(dataset_id, version)

    return r
