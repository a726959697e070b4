"""The log's pages beyond the labels and the upload: home, the log itself, schemes, comparison, agreements.

Every page works without JavaScript and renders what the read layer (:class:`ledger.reads.Reads`) returns.
Page routes never answer JSON: an unknown label is a 404 page, a malformed upload is a step-1 failure in
the report (``label_pages``, ``verify_page``, ``datasets`` hold those pages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mapping.errors import CarbonLedgerError, InputError
from verifier.note_syntax import split_note

from ..reads import Reads
from ..tables import INT64_MAX, bounded_int
from .growth_chart import growth_svg
from .i18n import ZH, choose_lang, translator
from .render import Pages

__all__ = ["build_router"]


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
        return pages.render(
            request,
            "log.html",
            origin=info["origin"],
            vkey=info["vkey"],
            checkpoint=reads.checkpoint(),
            tree_size=reads.checkpoint_size(),
            witnesses=info["witnesses"],
            signers=[line.split(" ")[1] for line in split_note(reads.checkpoint())[1]],
            growth=growth_svg(
                reads.growth(), translator(choose_lang(request)[0])("log.growth", default="Tree size over time")
            ),
            entries=entries,
            older=start if start > 0 else None,
            paged=end is not None,
        )

    @r.get("/schemes", response_class=HTMLResponse)
    def schemes_page(request: Request) -> HTMLResponse:
        return pages.render(request, "schemes.html", schemes=reads.schemes())

    @r.get("/schemes/compare", response_class=HTMLResponse)
    def compare(request: Request, a: str = "", b: str = "") -> HTMLResponse:
        lang = choose_lang(request)[0]
        t = translator(lang)
        api = _mapping_api()
        if api is None:
            return pages.render(request, "compare.html", available=False, a=a, b=b, profiles=[], items=[], error=None)
        get_profile, list_profiles, diff = api
        profiles = _profile_choices(list_profiles(), lang)
        names = {p["id"]: p["label"] for p in profiles}
        items: list[dict[str, Any]] = []
        error = None
        if a and b:
            for pid in (a, b):
                if pid not in names:
                    error = t("compare.unknown", id=pid)
                    break
            else:
                try:
                    items = [_diff_item(x) for x in diff(get_profile(a), get_profile(b))]
                except (CarbonLedgerError, LookupError) as e:
                    error = str(e)
        return pages.render(
            request,
            "compare.html",
            available=True,
            a=a,
            b=b,
            profiles=profiles,
            profile_name=lambda pid: names.get(pid, pid),
            items=items,
            error=error,
        )

    @r.get("/agreements", response_class=HTMLResponse)
    def agreements(request: Request) -> HTMLResponse:
        return pages.render(
            request,
            "agreements.html",
            agreements=reads.agreements(),
            history=reads.agreement_history(),
        )

    return r


def _mapping_api() -> tuple[Callable[[str], Any], Callable[[], Any], Callable[[Any, Any], Any]] | None:
    """The mapping layer's profile and diff functions, or None when this build lacks them."""
    try:
        from mapping import differ, profiles
    except ImportError:
        return None
    diff = getattr(differ, "diff", None)
    if diff is None or not hasattr(profiles, "get_profile") or not hasattr(profiles, "list_profiles"):
        return None
    return profiles.get_profile, profiles.list_profiles, diff


def _profile_choices(listed: Any, lang: str) -> list[dict[str, str]]:
    """One choice per profile id (the list holds every version), named in ``lang``, in the listed order."""
    out: dict[str, dict[str, str]] = {}
    for p in listed:
        pid = p if isinstance(p, str) else str(getattr(p, "id", p))
        name = getattr(p, "name", None) or pid
        if lang == ZH and getattr(p, "name_zh", None):
            name = p.name_zh
        out[pid] = {"id": pid, "label": name, "kind": str(getattr(p, "kind", "") or "")}
    return list(out.values())


def _diff_item(item: Any) -> dict[str, Any]:
    cls = getattr(item, "cls", "")
    return {
        "dimension": str(getattr(item, "dimension", "")),
        "cls": str(getattr(cls, "value", cls)),
        "reason": getattr(item, "reason", "") or "",
        "a": getattr(item, "a", None),
        "b": getattr(item, "b", None),
        "conversion": getattr(item, "conversion", None),
        "needs": list(getattr(item, "needs", None) or []),
    }
