"""The log's own API: submit an entry, read entries, the checkpoint, proofs, labels and bundles, schemas.

``POST /v1/entries`` is the one write endpoint: a signed envelope, admitted through the sequencer; the answer
is its receipt once the entry is durable. When no receipt comes in time the answer is 503 with Retry-After
(``log.busy``) and the entry may still be appended: the client looks it up by entry id
(``GET /v1/entries/by-id/{entry_id}``) before it submits again.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response

from mapping.errors import NotFoundError
from verifier import schemas

from ..http_inputs import read_body
from ..paging import DEFAULT_LIMIT, look_ahead
from .deps import Deps
from .list_params import After, Limit, link_next
from .params import Bounded, BundleVersion, LabelScheme

__all__ = ["log_router"]

access_log = logging.getLogger("carbonledger.api")
ENTRY_ID_PATTERN = r"^[0-9a-f]{64}$"


def log_router() -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.post("/entries", status_code=201, summary="Submit a signed entry envelope; returns its receipt")
    async def submit(request: Request, deps: Deps) -> dict[str, Any]:
        body = await read_body(request, deps.limits.max_body_bytes, ("application/json",))
        receipt = await deps.sequencer.submit_async(body)
        access_log.info("admitted entry %s at index %d", receipt.entry_id, receipt.index)
        return receipt.to_dict()

    @r.get("/entries/{index}", summary="The entry at a log index")
    def get_entry(
        index: Annotated[int, Path(description="A log index, from 0"), Bounded()], deps: Deps
    ) -> dict[str, Any]:
        return deps.reads.entry(index)

    @r.get(
        "/entries/by-id/{entry_id}",
        summary="The entry with an entry id (the SHA-256 of its payload): did a submission land?",
    )
    def get_entry_by_id(
        entry_id: Annotated[str, Path(description="64 lower-case hex digits", pattern=ENTRY_ID_PATTERN)], deps: Deps
    ) -> dict[str, Any]:
        return deps.reads.entry_by_id(entry_id)

    @r.get("/checkpoint", response_class=PlainTextResponse, summary="The newest signed checkpoint (C2SP note)")
    def checkpoint(deps: Deps) -> str:
        return deps.reads.checkpoint()

    @r.get("/log", summary="The log's origin, verifier key and size")
    def log_info(deps: Deps) -> dict[str, Any]:
        return deps.reads.log_info()

    @r.get("/proofs/inclusion", summary="Inclusion proof of an index in a tree size")
    def inclusion(
        deps: Deps,
        index: Annotated[int, Query(description="The entry's log index"), Bounded()],
        size: Annotated[int | None, Query(description="Tree size (default: the newest)"), Bounded(1)] = None,
    ) -> dict[str, Any]:
        size = deps.reads.tree_size() if size is None else size
        proof = deps.log.inclusion_proof(index, size)
        return {"index": index, "size": size, "proof": [h.hex() for h in proof]}

    @r.get("/proofs/consistency", summary="Consistency proof between two tree sizes")
    def consistency(
        deps: Deps, size1: Annotated[int, Query(), Bounded()], size2: Annotated[int, Query(), Bounded()]
    ) -> dict[str, Any]:
        proof = deps.log.consistency_proof(size1, size2)
        return {"size1": size1, "size2": size2, "proof": [h.hex() for h in proof]}

    @r.get(
        "/labels",
        summary='Labels in log order, optionally of one scheme; a full page links the next (Link: rel="next")',
    )
    def labels(
        request: Request,
        response: Response,
        deps: Deps,
        scheme: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        after: After = None,
    ) -> list[dict[str, Any]]:
        rows = deps.reads.labels(scheme, limit + 1, after)  # one more than asked: is there a next page?
        return link_next(request.url, response, look_ahead(rows, limit, lambda v: v["index"]), "after", limit)

    @r.get("/labels/{label_id}/bundle", summary="A self-contained bundle for offline verification")
    def bundle(
        label_id: str, deps: Deps, scheme: LabelScheme = None, to: str | None = None, version: BundleVersion = None
    ) -> Response:
        return Response(deps.reads.bundle(label_id, scheme or None, to, version), media_type="application/json")

    @r.get("/bundles/{label_id}/refresh", summary="A fresh bundle of a label and the consistency proof to it")
    def bundle_refresh(
        label_id: str,
        deps: Deps,
        from_size: Annotated[int, Query(description="The tree size of the bundle being refreshed"), Bounded()],
        scheme: LabelScheme = None,
        to: str | None = None,
        version: BundleVersion = None,
    ) -> dict[str, Any]:
        """Refresh a bundle (issue 16, freshness) in one answer, all at one checkpoint (no race between two
        requests): ``{"from_size", "tree_size", "checkpoint", "consistency_proof", "bundle"}`` — the label's
        bundle (of ``scheme``, about ``to``, ``version`` as for ``/v1/labels/{id}/bundle``) against the newest
        checkpoint, as a JSON object (its RFC 8785 serialization is the bundle file), the checkpoint note it
        carries and its tree size, and the RFC 9162 consistency proof (hex hashes) from ``from_size`` to it.
        Nothing here is to be trusted: the client checks the proof against the checkpoint it kept and verifies
        the bundle. 404 ``log.no_such_size`` when ``from_size`` is past the newest checkpoint."""
        return deps.reads.bundle_refresh(label_id, from_size, scheme or None, to, version)

    @r.get("/status/{kind}/{object_id:path}", summary="An object's status and its map proof (latest checkpoint)")
    def status(kind: str, object_id: str, deps: Deps) -> dict[str, Any]:
        """The status record of a status-bearing object (``kind`` one of agreement, dataset, key, label, pair,
        scheme; ``object_id`` as :mod:`verifier.status_records` names it — a label's is the JSON array
        ``["scheme","label id"]``) and its status map proof against the root the newest checkpoint commits to:
        ``{"kind", "id", "record", "proof", "checkpoint", "tree_size"}``. An object the map does not hold is
        ``record: null`` with its absence proof (200); an unknown kind is 404 ``status.unknown_kind``."""
        return deps.reads.status(kind, object_id)

    @r.get("/schemas/{name}", summary="A JSON Schema of an entry kind or record")
    def schema(name: str) -> dict[str, Any]:
        if name not in schemas.schema_names():
            raise NotFoundError(f"no schema named {name!r}", code="schema.unknown")
        return schemas.load_schema(name)

    return r
