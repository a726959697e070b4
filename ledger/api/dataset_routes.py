"""Background datasets over HTTP (issue 8): read-only routes; publishing is a signed entry like any other.

``GET /v1/datasets`` lists every version of every dataset with its status (``current``, ``superseded`` or
``retired``) and ledger index; ``GET /v1/datasets/{id}?version=N`` shows one version (default: the current
one) with its signed values. Both answer exactly what ``carbonledger dataset list|show --json`` prints
(:mod:`ledger.datasets_service`, through :class:`ledger.reads.Reads`). A publisher publishes or retires by
``POST /v1/entries`` with a signed ``dataset.publish`` / ``dataset.retire`` envelope: there is no separate
write endpoint. An unknown dataset is 404 ``dataset.unknown``; an unknown version 404 ``dataset.unknown_version``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from .deps import Deps
from .params import Bounded

__all__ = ["dataset_router"]


def dataset_router() -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["datasets"])

    @r.get("/datasets", summary="Every version of every background dataset, with its status and ledger index")
    def datasets(deps: Deps, publisher: str | None = None) -> list[dict[str, Any]]:
        return deps.reads.datasets(publisher)

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
