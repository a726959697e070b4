"""Pages of a list, cut at a log index (issue 19 item 3): what every ``/v1`` list and every web list shares.

Every list item has a log index (a label's ``label.issue`` entry, an agreement version's proposal, a dataset
version's publication, a scheme's registration, an agreement entry). A page in log order holds the first
``limit`` items whose index is above the cursor ``after``; a page newest first (the labels page, label search,
the log page) the first ``limit`` below the cursor ``before``. The next page's cursor is the index of the last
item shown, and there is a next page only when an item beyond it exists (one more is read than shown), so a full
last page links no empty one. Items appended while a reader walks a log-order list come on a later page; none is
skipped or shown twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "after", "before", "look_ahead"]

T = TypeVar("T")
DEFAULT_LIMIT = 100  # the /v1 lists' page size unless ``limit`` is given
MAX_LIMIT = 10000


@dataclass(frozen=True)
class Page(Generic[T]):
    """The items of one page, and the cursor of the next (None on the last page)."""

    items: list[T]
    next: int | None


def look_ahead(rows: list[T], limit: int, index_of: Callable[[T], int]) -> Page[T]:
    """The page of ``rows`` read with one more than ``limit`` (already in the page's order)."""
    if len(rows) <= limit:
        return Page(list(rows), None)
    shown = rows[:limit]
    return Page(shown, index_of(shown[-1]))


def after(items: Iterable[T], index_of: Callable[[T], int], limit: int, cursor: int | None = None) -> Page[T]:
    """The page of ``items`` in log order (by ``index_of``) whose indexes are above ``cursor``."""
    ordered = sorted((x for x in items if cursor is None or index_of(x) > cursor), key=index_of)
    return look_ahead(ordered[: limit + 1], limit, index_of)


def before(items: Iterable[T], index_of: Callable[[T], int], limit: int, cursor: int | None = None) -> Page[T]:
    """The page of ``items`` newest first (by ``index_of``) whose indexes are below ``cursor``."""
    ordered = sorted((x for x in items if cursor is None or index_of(x) < cursor), key=index_of, reverse=True)
    return look_ahead(ordered[: limit + 1], limit, index_of)
