"""``GET /v1/entries?start=N&end=M``: the envelopes of a range of log indexes, for a monitor or a mirror.

A follower of the log (``ledger/monitor.py``) replays every entry; one request per entry would cost it a round
trip each. The answer is ``{"start": N, "entries": ["<base64 envelope>", ...]}``: the exact envelope bytes (the
Merkle leaves, RFC 9162 §2.1.1) at indexes ``[start, end)``, in log order, in padded standard base64. Nothing in
it is to be trusted: the reader rebuilds the tree root from the leaves and checks it against a signed checkpoint.

While the log holds entries past ``end`` the answer links the next range of the same length (``Link: <…>;
rel="next"``, as the other ``/v1`` lists; cut at the log's size when it was read). At most :data:`MAX_RANGE`
entries per request. A range that is empty or reversed is 400 ``log.bad_range``, one
longer than the limit 400 ``log.range_too_large``, one past the log's size 404 ``log.no_such_entry``.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pybase64 import b64encode
from sqlalchemy import bindparam, select

from mapping.errors import InputError, NotFoundError
from verifier.envelope import envelope_bytes

from ..tables import EntryRow
from .deps import Deps
from .params import Bounded

__all__ = ["MAX_RANGE", "entry_range_router"]

MAX_RANGE = 1000
_RANGE = (
    select(EntryRow.idx, EntryRow.payload, EntryRow.signer, EntryRow.sig)
    .where(EntryRow.idx >= bindparam("start"), EntryRow.idx < bindparam("end"))
    .order_by(EntryRow.idx)
)


def entry_range_router() -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.get("/entries", summary="The envelopes at log indexes [start, end), at most 1000, base64")
    def entry_range(
        request: Request,
        deps: Deps,
        start: Annotated[int, Query(description="The first index, from 0"), Bounded()],
        end: Annotated[int, Query(description="One past the last index (end - start <= 1000)"), Bounded()],
    ) -> Response:
        """Requires ``start < end <= start + 1000 <= ...`` within the log. The envelopes, as stored."""
        if end <= start:
            raise InputError(f"the range [{start}, {end}) holds no entry: end must exceed start", code="log.bad_range")
        if end - start > MAX_RANGE:
            raise InputError(
                f"the range [{start}, {end}) holds {end - start} entries; at most {MAX_RANGE} per request",
                code="log.range_too_large",
            )
        with deps.log.store.read() as conn:
            size = deps.log.store.tree_size(conn)
            if end > size:
                raise NotFoundError(
                    f"the range [{start}, {end}) reaches past the log's size {size}", code="log.no_such_entry"
                )
            rows = conn.execute(_RANGE, {"start": start, "end": end}).all()
        if [row[0] for row in rows] != list(range(start, end)):  # a store missing rows says so, never skips one
            raise NotFoundError(f"the store holds no entry at some index of [{start}, {end})", code="log.no_such_entry")
        # The envelope as ``EntryRow.envelope`` rebuilds it (its one valid form), without a model per row.
        out = [b64encode(envelope_bytes(bytes(p), signer, bytes(sig))).decode() for _, p, signer, sig in rows]
        headers = {}
        if end < size:
            nxt = request.url.include_query_params(start=end, end=min(size, end + (end - start)))
            headers["Link"] = f'<{nxt}>; rel="next"'
        return Response(orjson.dumps({"start": start, "entries": out}), media_type="application/json", headers=headers)

    return r
