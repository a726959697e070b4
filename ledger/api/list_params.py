"""The parameters and the ``Link`` header every ``/v1`` list shares (issue 19 item 3; :mod:`ledger.paging`).

A list takes ``limit`` (1 to 10000, default 100) and a cursor — ``after`` (a log index; the page holds the items
after it in log order) or, for a list newest first, ``before`` — and when more items follow it answers
``Link: <URL>; rel="next"`` (RFC 8288): the same request with the cursor moved to the last item shown. Following
the links visits every item once. A cursor or limit that is no such number is a 422 naming it
(``query/after``), as every integer parameter (:mod:`ledger.api.params`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from starlette.datastructures import URL
from starlette.responses import Response

from ..paging import DEFAULT_LIMIT, MAX_LIMIT, Page
from .params import Bounded

__all__ = ["After", "Before", "Limit", "link_next", "next_link"]

Limit = Annotated[int, Query(description=f"At most this many items (1 to {MAX_LIMIT})"), Bounded(1, MAX_LIMIT)]
After = Annotated[
    int | None, Query(description="A log index: the page starts after it (the next page's link sets it)"), Bounded()
]
Before = Annotated[
    int | None,
    Query(description="A log index: the page holds older items only (the next page's link sets it)"),
    Bounded(),
]
assert DEFAULT_LIMIT <= MAX_LIMIT


def next_link(url: URL, page: Page[Any], cursor: str, limit: int) -> str | None:
    """The ``Link`` header value for the page after ``page`` (None on the last page)."""
    if page.next is None:
        return None
    return f'<{url.include_query_params(**{cursor: page.next, "limit": limit})}>; rel="next"'


def link_next(url: URL, response: Response, page: Page[Any], cursor: str, limit: int) -> list[Any]:
    """``page``'s items, with its ``Link: rel="next"`` header set on ``response`` when a next page exists."""
    link = next_link(url, page, cursor, limit)
    if link is not None:
        response.headers["Link"] = link
    return page.items
