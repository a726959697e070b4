"""The log's pages beyond the labels and the upload: home, the log itself, schemes, comparison, agreements
(``agreement_view``), each list a page at a time with ``Link: rel="next"`` (``paging``).

Every page works without JavaScript and renders what the read layer (:class:`ledger.reads.Reads`) returns.
Page routes never answer JSON: an unknown label is a 404 page, a malformed upload is a step-1 failure in
the report (``label_pages``, ``verify_page``, ``datasets`` hold those pages).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

import mapping.differ
import mapping.profiles
from mapping.errors import CarbonLedgerError, InputError
from verifier.note_syntax import split_note

from .. import paging
from ..reads import Reads
from ..tables import INT64_MAX, bounded_int
from .agreement_view import agreement_router
from .compare_view import compare_view, profile_choices
from .growth_chart import growth_svg
from .i18n import choose_lang, translator
from .paging import BadCursor, bad_cursor_page, page_links, read_cursor, with_next
from .render import Pages
from .scheme_names import chinese_scheme_name

__all__ = ["SCHEMES_PER_PAGE", "build_router"]

SCHEMES_PER_PAGE = 50
MAX_SCHEMES_PER_PAGE = 100


def build_router(reads: Reads, pages: Pages) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return pages.render(request, "home.html", schemes=reads.schemes())

    @r.get("/log", response_class=HTMLResponse)
    def log_page(request: Request, before: str = "") -> HTMLResponse:
        try:  # a cursor past the tree shows the newest entries; one that is no 64-bit index is refused
            end = bounded_int(before, "before") if before else None
        except InputError:
            t = translator(choose_lang(request)[0])
            return pages.bad_request(request, t("log.bad_before", before=before[:40], max=INT64_MAX))
        entries, start = reads.recent_entries(end)
        info = reads.log_info()
        response = pages.render(
            request,
            "log.html",
            origin=info["origin"],
            vkey=info["vkey"],
            checkpoint=reads.checkpoint(),
            tree_size=reads.checkpoint_size(),
            witnesses=info["witnesses"],
            signers=[line.split(" ")[1] for line in split_note(reads.checkpoint())[1]],
            growth=growth_svg(reads.growth(), translator(choose_lang(request)[0])("log.growth")),
            entries=entries,
            older=start if start > 0 else None,
            paged=end is not None,
        )
        if start > 0:  # the older entries are the next page, newest first, as the page's own link says
            response.headers["Link"] = f'<{request.url.include_query_params(before=start)}>; rel="next"'
        return response

    @r.get("/schemes", response_class=HTMLResponse)
    def schemes_page(request: Request) -> HTMLResponse:
        """Registered schemes a page at a time, in log order of their registrations (``after``: ``paging``)."""
        try:
            cursor = read_cursor(request, "after", SCHEMES_PER_PAGE, MAX_SCHEMES_PER_PAGE)
        except BadCursor as e:
            return bad_cursor_page(pages, request, e)
        page = paging.after(reads.schemes(), lambda s: s.registered_index, cursor.limit, cursor.value)
        lang = choose_lang(request)[0]
        zh_names = {s.scheme_id: chinese_scheme_name(s, lang) for s in page.items}  # Traditional on zh-Hant pages
        response = pages.render(
            request, "schemes.html", schemes=page.items, zh_names=zh_names, **page_links(request, cursor, page)
        )
        return with_next(response, request, cursor, page)

    @r.get("/schemes/compare", response_class=HTMLResponse)
    def compare(request: Request, a: str = "", b: str = "") -> HTMLResponse:
        lang = choose_lang(request)[0]
        t = translator(lang)
        profiles = profile_choices(mapping.profiles.list_profiles(), lang)
        names = {p["id"]: p["label"] for p in profiles}
        view = None
        error = None
        if a and b:
            for pid in (a, b):
                if pid not in names:
                    error = t("compare.unknown", id=pid)
                    break
            else:
                try:
                    view = compare_view(
                        mapping.differ.diff(mapping.profiles.get_profile(a), mapping.profiles.get_profile(b))
                    )
                except (CarbonLedgerError, LookupError) as e:
                    error = str(e)
        return pages.render(
            request,
            "compare.html",
            a=a,
            b=b,
            profiles=profiles,
            profile_name=lambda pid: names.get(pid, pid),
            view=view,
            error=error,
        )

    r.include_router(agreement_router(reads, pages))
    return r
