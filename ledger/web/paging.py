"""Pagination of the web lists (issue 19 item 3), as the ``/v1`` lists do it (:mod:`ledger.paging`).

A list page reads its cursor (``after`` for a list in log order, ``before`` for one newest first) and ``limit``
from the query, shows one page, and when more items follow links the next page twice: a "next page" link in
the page and ``Link: <URL>; rel="next"`` on the response. The next page's address is the request's own with the
cursor moved, so the search, the filters and the chosen language carry over. A cursor or limit that is no
number in range is a 400 page saying which.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from mapping.errors import InputError

from ..paging import Page
from ..tables import INT64_MAX, bounded_int
from .i18n import choose_lang, translator
from .render import Pages

__all__ = ["BadCursor", "Cursor", "bad_cursor_page", "page_links", "read_cursor", "with_next"]


@dataclass(frozen=True)
class Cursor:
    """What a list request asked: the cursor parameter's name and value (None: the first page), and ``limit``."""

    name: str
    value: int | None
    limit: int


class BadCursor(Exception):
    """A cursor or limit that is no whole number from ``minimum`` to ``maximum``: the page says which."""

    def __init__(self, name: str, value: str, minimum: int, maximum: int) -> None:
        super().__init__(f"{name}={value}")
        self.name, self.value, self.minimum, self.maximum = name, value[:40], minimum, maximum


def _number(request: Request, name: str, minimum: int, maximum: int) -> int | None:
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    try:
        return bounded_int(text, name, minimum=minimum, maximum=maximum)
    except InputError:
        raise BadCursor(name, text, minimum, maximum) from None


def read_cursor(request: Request, name: str, default_limit: int, max_limit: int) -> Cursor:
    """The cursor and limit of ``request`` (``after`` or ``before`` any log index, ``limit`` 1 to ``max_limit``);
    :class:`BadCursor` when one is no such number."""
    value = _number(request, name, 0, INT64_MAX)
    limit = _number(request, "limit", 1, max_limit)
    return Cursor(name, value, default_limit if limit is None else limit)


def _query(request: Request, cursor: Cursor, value: int | None) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k != cursor.name]
    if value is not None:
        items.append((cursor.name, str(value)))
    return urlencode(items)


def page_links(request: Request, cursor: Cursor, page: Page[object]) -> dict[str, str | None]:
    """The addresses of the next page (None on the last) and of the first (None on the first), as the page links
    them (relative to the server's root)."""
    here = request.scope.get("root_path", "") + request.url.path
    first = _query(request, cursor, None)
    return {
        "next_url": None if page.next is None else here + "?" + _query(request, cursor, page.next),
        "first_url": None if cursor.value is None else here + ("?" + first if first else ""),
    }


def with_next(response: HTMLResponse, request: Request, cursor: Cursor, page: Page[object]) -> HTMLResponse:
    """``response`` with ``Link: <next page>; rel="next"`` when ``page`` has a next page."""
    if page.next is not None:
        response.headers["Link"] = f'<{request.url.replace(query=_query(request, cursor, page.next))}>; rel="next"'
    return response


def bad_cursor_page(pages: Pages, request: Request, e: BadCursor) -> HTMLResponse:
    """The 400 page of a list asked for with a cursor or limit out of range."""
    t = translator(choose_lang(request)[0])
    return pages.bad_request(request, t("page.bad_cursor", name=e.name, value=e.value, min=e.minimum, max=e.maximum))
