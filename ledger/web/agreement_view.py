"""The agreement pages (issue 19 item 3): ``/agreements`` lists the recognition agreements a page at a time,
``/agreements/{id}`` shows one; both draw each agreement's negotiation as a timeline.

The versions table and the timeline come from the read side (:func:`ledger.paged_reads.agreement_groups`,
:func:`ledger.agreement_timeline.agreement_timelines`); the table of every agreement entry of the agreements
shown stays below the timelines, folded, for readers who want the entries one per row.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..agreement_timeline import agreement_timelines
from ..paged_reads import agreement_groups
from ..reads import Reads
from .i18n import EN, ZH_HANS, ZH_HANT, choose_lang, is_chinese, translator
from .paging import BadCursor, bad_cursor_page, page_links, read_cursor, with_next
from .render import Pages, localized

__all__ = ["AGREEMENTS_PER_PAGE", "agreement_router"]

AGREEMENTS_PER_PAGE = 20
MAX_PER_PAGE = 100


def _title(steps: list[dict[str, Any]], lang: str) -> tuple[str | None, str]:
    """The title of the latest proposal stating one in ``lang`` (:func:`render.localized`: ``title_zh_hant``
    first on a zh-Hant page, then ``title_zh`` on either Chinese page, then ``title``), and the language it is
    in; (None, ``en``) when no proposal states one."""
    for step in reversed(steps):
        shown = localized(step, lang, "title")
        if shown:
            written_in = {step.get("title_zh_hant"): ZH_HANT, step.get("title_zh"): ZH_HANS} if is_chinese(lang) else {}
            return shown, written_in.get(shown, EN)
    return None, EN


def _context(reads: Reads, groups: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """What agreements.html shows of ``groups`` (whole agreements) on a ``lang`` page: their versions, titles,
    timelines and entries."""
    ids = [g["id"] for g in groups]
    timelines = agreement_timelines(reads.log, ids)
    wanted = set(ids)
    negotiations = []
    for g in groups:
        steps = timelines.get(g["id"], [])
        title, title_lang = _title(steps, lang)
        negotiations.append({"id": g["id"], "title": title, "title_lang": title_lang, "steps": steps})
    return {
        "agreements": [v for g in groups for v in g["versions"]],
        "negotiations": negotiations,
        "history": [h for h in reads.agreement_history() if h["id"] in wanted],
    }


def agreement_router(reads: Reads, pages: Pages) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/agreements", response_class=HTMLResponse)
    def agreements(request: Request) -> HTMLResponse:
        try:
            cursor = read_cursor(request, "after", AGREEMENTS_PER_PAGE, MAX_PER_PAGE)
        except BadCursor as e:
            return bad_cursor_page(pages, request, e)
        page = agreement_groups(reads, cursor.limit, cursor.value)
        context = _context(reads, page.items, choose_lang(request)[0])
        response = pages.render(request, "agreements.html", single=None, **context, **page_links(request, cursor, page))
        return with_next(response, request, cursor, page)

    @r.get("/agreements/{agreement_id}", response_class=HTMLResponse)
    def agreement(request: Request, agreement_id: str) -> HTMLResponse:
        lang = choose_lang(request)[0]
        versions = [v for v in reads.agreements() if v["id"] == agreement_id]
        if not versions:
            t = translator(lang)
            return pages.not_found(request, t("agreement.unknown", id=agreement_id[:80]))
        group = {"id": agreement_id, "versions": versions}
        context = _context(reads, [group], lang)
        return pages.render(request, "agreements.html", single=context["negotiations"][0], **context)

    return r
