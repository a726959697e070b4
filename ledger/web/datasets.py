"""The dataset pages (issue 8): ``/datasets`` lists every version with its status (whole datasets, a page at a
time), ``/datasets/{id}`` shows one version's signed values with their source and confidence, and says plainly
when it is superseded or retired. Same data as ``GET /v1/datasets`` (:mod:`ledger.datasets_service`, through
:class:`ledger.reads.Reads`); no JavaScript.

A version's title is the one its publisher signed, in the page's language where the ``dataset.publish`` entry
states one (``title_zh`` for both Chinese variants, ``title_zh_hant`` first for Traditional): the list reads
the entries of the versions it shows, in one query, only for a Chinese page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mapping.errors import InputError, NotFoundError

from ..paged_reads import dataset_groups
from ..reads import Reads, entry_payload
from ..tables import bounded_int
from .i18n import choose_lang, is_chinese, translator
from .paging import BadCursor, bad_cursor_page, page_links, read_cursor, with_next
from .render import Pages, localized

__all__ = ["STATUS_BADGE", "build_dataset_router"]

# The stylesheet's badge colours: current reads as active, retired as revoked.
STATUS_BADGE = {"current": "status-active", "superseded": "status-superseded", "retired": "status-revoked"}
DATASETS_PER_PAGE = 20
MAX_DATASETS_PER_PAGE = 100
_ATTRIBUTES = ("scope", "gases", "basis", "td_losses_included", "gwp_set", "supplier")
_CHINESE_TITLES = ("title_zh", "title_zh_hant")


def _groups(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list's versions grouped by dataset id (newest version first), ids in order."""
    groups: dict[str, dict[str, Any]] = {}
    for x in items:
        g = groups.setdefault(x["id"], {"id": x["id"], "publisher": x["publisher"], "versions": []})
        g["versions"].append(x)
    for g in groups.values():
        g["versions"].sort(key=lambda x: -x["version"])
        current = [x for x in g["versions"] if x["status"] == "current"]
        g["title"] = (current or g["versions"])[0].get("title")
    return list(groups.values())


def _titled(reads: Reads, versions: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """``versions`` (list summaries), each with ``display_title``: its signed title in ``lang`` (module docstring)
    and ``title_lang``, the language that title is in."""
    signed: dict[int, dict[str, Any]] = {}
    if is_chinese(lang):
        for index, row in reads.log.store.entries_at(v["ledger_index"] for v in versions).items():
            body = entry_payload(row.envelope).get("dataset") or {}
            signed[index] = {k: body[k] for k in _CHINESE_TITLES if isinstance(body.get(k), str) and body[k]}
    out = []
    for v in versions:
        titled = {**v, **signed.get(v["ledger_index"], {})}
        title = localized(titled, lang, "title")
        out.append({**titled, "display_title": title, "title_lang": "en" if title == v.get("title") else "zh"})
    return out


def _value_rows(values: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    rows = []
    for v in values:
        name = localized(v, lang)
        attributes = [(a, v[a]) for a in _ATTRIBUTES if a in v]
        rows.append({**v, "display_name": name, "attributes": attributes})
    return rows


def build_dataset_router(reads: Reads, pages: Pages | None = None) -> APIRouter:
    pages = pages or Pages(reads)
    r = APIRouter(include_in_schema=False)

    @r.get("/datasets", response_class=HTMLResponse)
    def datasets_page(request: Request) -> HTMLResponse:
        """Whole datasets a page at a time, in the log order of their first versions (``after``: ``paging``)."""
        try:
            cursor = read_cursor(request, "after", DATASETS_PER_PAGE, MAX_DATASETS_PER_PAGE)
        except BadCursor as e:
            return bad_cursor_page(pages, request, e)
        page = dataset_groups(reads, cursor.limit, cursor.value)
        versions = _titled(reads, [v for g in page.items for v in g["versions"]], choose_lang(request)[0])
        response = pages.render(
            request,
            "datasets.html",
            groups=_groups(versions),
            badge=STATUS_BADGE,
            **page_links(request, cursor, page),
        )
        return with_next(response, request, cursor, page)

    @r.get("/datasets/{dataset_id}", response_class=HTMLResponse)
    def dataset_page(request: Request, dataset_id: str, version: str = "") -> HTMLResponse:
        lang, _ = choose_lang(request)
        t = translator(lang)
        wanted = version.strip()
        try:
            number = bounded_int(wanted, "version", minimum=1) if wanted else None
        except InputError:  # no such version ("²".isdigit() is true, but int("²") raises)
            return pages.not_found(request, t("dataset.bad_version", version=wanted[:40]))
        try:
            shown = reads.dataset(dataset_id, number)
        except NotFoundError as e:
            return pages.not_found(request, e.message)
        title = localized(shown, lang, "title")
        current = next((v["version"] for v in shown["versions"] if v["status"] == "current"), None)
        return pages.render(
            request,
            "dataset.html",
            d=shown,
            title=title,
            current=current,
            values=_value_rows(shown.get("values") or [], lang),
            badge=STATUS_BADGE,
        )

    return r
