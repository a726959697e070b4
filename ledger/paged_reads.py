"""The read layer's lists, a page at a time (issue 19 item 3): what the ``/v1`` lists and the web lists page over.

Each function answers one :class:`ledger.paging.Page` of what :class:`ledger.reads.Reads` lists whole, cut at a
log index as :mod:`ledger.paging` says: schemes by registration, agreement versions by proposal, agreement
entries by index, datasets by publication — in log order, after the cursor; label search newest first, before
it (the store reads one label more than the page shows, never the whole list). The web pages page over whole
agreements and datasets (every version of one on the same page), keyed by their first entry.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from . import paging
from .paging import Page
from .reads import Reads
from .tables import LabelRow

__all__ = [
    "agreement_groups",
    "agreement_history_page",
    "agreement_page",
    "dataset_groups",
    "dataset_page",
    "label_search_page",
    "scheme_page",
]


def scheme_page(reads: Reads, limit: int, after: int | None = None) -> Page[dict[str, Any]]:
    """``GET /v1/schemes``: registered schemes in log order."""
    return paging.after(reads.scheme_summaries(), lambda s: s["registered_index"], limit, after)


def agreement_page(reads: Reads, at: date | None, limit: int, after: int | None = None) -> Page[dict[str, Any]]:
    """``GET /v1/agreements``: agreement versions in log order (of their proposals), with their status at ``at``."""
    return paging.after(reads.agreements(at), lambda v: v["proposed_index"], limit, after)


def agreement_history_page(
    reads: Reads, agreement_id: str | None, limit: int, after: int | None = None
) -> Page[dict[str, Any]]:
    """``GET /v1/agreements-history`` and ``/v1/agreements/{id}/history``: agreement entries in log order."""
    return paging.after(reads.agreement_history(agreement_id), lambda e: e["index"], limit, after)


def dataset_page(reads: Reads, publisher: str | None, limit: int, after: int | None = None) -> Page[dict[str, Any]]:
    """``GET /v1/datasets``: dataset versions in log order (of their publication)."""
    return paging.after(reads.datasets(publisher), lambda d: d["ledger_index"], limit, after)


def label_search_page(
    reads: Reads,
    *,
    q: str = "",
    model: str = "",
    gtin: str = "",
    manufacturer: str = "",
    scheme: str | None = None,
    limit: int,
    before: int | None = None,
) -> Page[LabelRow]:
    """``GET /v1/labels/search`` and the labels page: labels matching every filter, newest first, below ``before``
    (:meth:`ledger.reads.Reads.find_labels`' filters)."""
    rows = reads.log.store.search_labels(
        text=q.strip(),
        model=model.strip(),
        gtin=gtin.strip(),
        manufacturer=manufacturer.strip(),
        scheme=scheme,
        limit=limit + 1,
        before=before,
    )
    return paging.look_ahead(rows, limit, lambda r: r.idx)


def _groups(items: list[dict[str, Any]], index_key: str) -> list[dict[str, Any]]:
    """``items`` grouped by ``id`` (in their order), each group's ``first`` the lowest ``index_key`` in it."""
    groups: dict[str, dict[str, Any]] = {}
    for x in items:
        g = groups.setdefault(x["id"], {"id": x["id"], "versions": [], "first": x[index_key]})
        g["versions"].append(x)
        g["first"] = min(g["first"], x[index_key])
    return list(groups.values())


def agreement_groups(reads: Reads, limit: int, after: int | None = None) -> Page[dict[str, Any]]:
    """The agreements page: whole agreements (``id``, ``versions`` by version, ``first`` the index of its first
    proposal), in the log order of their first proposals."""
    return paging.after(_groups(reads.agreements(), "proposed_index"), lambda g: g["first"], limit, after)


def dataset_groups(
    reads: Reads, limit: int, after: int | None = None, publisher: str | None = None
) -> Page[dict[str, Any]]:
    """The datasets page: whole datasets (``id``, ``versions``, ``first`` the index of its first publication), in
    the log order of their first publications."""
    return paging.after(_groups(reads.datasets(publisher), "ledger_index"), lambda g: g["first"], limit, after)
