"""The HTML pages: thin routes that read the log, verify with the verifier, and render a template.

Every page works without JavaScript. Page routes never answer JSON: an unknown
label is a 404 page, a malformed upload is a step-1 failure in the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from mapping.errors import CarbonLedgerError, InputError, NotFoundError
from verifier.report import Report

from .. import agreements_service
from ..api.app import read_limited
from ..bundles import AmbiguousLabelError, build_bundle, find_label, verify_upload
from ..log import Log
from ..tables import INT64_MAX, LabelRow, bounded_int
from . import queries
from .i18n import EN, ZH, choose_lang, translator

TEMPLATES_DIR = Path(__file__).parent / "templates"
MAX_BUNDLE_UPLOAD_BYTES = 2 << 20
MAX_TRUST_UPLOAD_BYTES = 256 << 10
MULTIPART_OVERHEAD_BYTES = 64 << 10  # boundaries, part headers and the small text fields


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,  # optional record fields render empty, never a 500
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["show"] = _show
    env.filters["pathseg"] = lambda text: quote(str(text), safe="")
    env.filters["short"] = lambda text, n=16: "" if text is None else (text if len(text) <= n else text[:n] + "…")
    return env


def _show(value: Any) -> str:
    """A value of a profile or diff item as short text: strings as they are, the rest as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def size_text(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n >> 10} KiB"


class Pages:
    """Renders pages for one log; the language comes from each request."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.env = make_environment()

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        lang, chosen = choose_lang(request)
        root = request.scope.get("root_path", "")
        lang_param = ("zh" if lang == ZH else "en") if chosen else None

        def url(path: str, **params: Any) -> str:
            clean = {k: v for k, v in params.items() if v not in (None, "")}
            if lang_param:
                clean["lang"] = lang_param
            return root + path + ("?" + urlencode(clean) if clean else "")

        other = {k: v for k, v in request.query_params.multi_items() if k != "lang"}
        switch = [*other.items(), ("lang", "en" if lang == ZH else "zh")]
        html = self.env.get_template(template).render(
            lang=lang,
            other_lang=EN if lang == ZH else ZH,
            lang_param=lang_param,
            t=translator(lang),
            url=url,
            static=lambda name: f"{root}/static/{name}",
            switch_url=root + request.url.path + "?" + urlencode(switch),
            scheme_name=self.scheme_namer(lang),
            **context,
        )
        return HTMLResponse(
            html, status_code=status_code, headers={"Vary": "Accept-Language", "Content-Language": lang}
        )

    def scheme_namer(self, lang: str) -> Callable[[str | None], str]:
        """A function giving a scheme's display name in ``lang`` (its id when the log does not know it)."""
        names = {s.scheme_id: s.display_name(lang) for s in queries.schemes(self.log)}
        return lambda scheme_id: "—" if scheme_id is None else names.get(scheme_id, scheme_id)

    def not_found(self, request: Request, message: str) -> HTMLResponse:
        return self.render(request, "error.html", status_code=404, message=message)

    def bad_request(self, request: Request, message: str) -> HTMLResponse:
        return self.render(request, "error.html", status_code=400, message=message)


# ---- label pages -------------------------------------------------------------------------------
def localized(obj: dict[str, Any] | None, lang: str, key: str = "name") -> str | None:
    if not obj:
        return None
    if lang == ZH and obj.get(f"{key}_zh"):
        return obj[f"{key}_zh"]
    return obj.get(key)


def stage_table(footprint: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]], bool]:
    """Gas columns, one row per stage (masses in kg as signed), and whether any stage has an other-CO2e part."""
    stages = footprint.get("stages") or {}
    gases = sorted({g for s in stages.values() for g in (s.get("masses_kg") or {})})
    rows = [
        {
            "stage": name,
            "masses": [(s.get("masses_kg") or {}).get(g, "") for g in gases],
            "other": s.get("other_co2e_kg", ""),
        }
        for name, s in stages.items()
    ]
    return gases, rows, any(r["other"] for r in rows)


def equivalence_of(report: Report, target: str | None) -> dict[str, Any]:
    """What the ``equivalence`` block renders, from the verifier's step 10 (the verify page: a bundle's verdict).

    Keys: verdict, reasons, agreement (id, version, terms_hash, index) or None, converted (value, unit,
    approximate, trail) or None, failed_conditions, target (the scheme asked about; None: the bundle's own, if
    any), step (step 10 as a dict, or None) and source (``"bundle"``).
    """
    eq = report.equivalence or {}
    step = report.steps.get(10)
    if "verdict" in eq:
        verdict = eq["verdict"]
    elif step is None:
        verdict = "not_asked" if target is None else "not_checked"
    else:
        verdict = "not_asked"
    reasons = list(eq.get("reasons") or ([step.detail] if step is not None and verdict != "not_asked" else []))
    return {
        "verdict": verdict,
        "reasons": reasons,
        "agreement": eq.get("agreement"),
        "converted": eq.get("converted"),
        "failed_conditions": list(eq.get("failed_conditions") or []),
        "target": target,
        "step": None if step is None else step.to_dict(),
        "source": "bundle",
    }


def equivalence_from_log(verdict: dict[str, Any], target: str) -> dict[str, Any]:
    """What the ``equivalence`` block renders, from :func:`ledger.agreements_service.equivalence` (the label
    page: judged from every agreement entry in the log). Same keys as :func:`equivalence_of`, plus ``at``,
    ``label_index`` and ``label_status``; ``step`` is None and ``source`` is ``"log"``."""
    return {
        "verdict": verdict["verdict"],
        "reasons": list(verdict.get("reasons") or []),
        "agreement": verdict.get("agreement"),
        "converted": verdict.get("converted"),
        "failed_conditions": list(verdict.get("failed_conditions") or []),
        "target": target,
        "at": verdict.get("at"),
        "label_index": verdict.get("label_index"),
        "label_status": verdict.get("label_status"),
        "step": None,
        "source": "log",
    }


def steps_of(report: Report) -> list[dict[str, Any]]:
    return [report.steps[k].to_dict() for k in sorted(report.steps)]


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD date, or None when ``text`` is empty; raises ValueError when it is not a date."""
    if not text:
        return None
    return date.fromisoformat(text.strip())


def build_router(log: Log) -> APIRouter:
    pages = Pages(log)
    r = APIRouter(include_in_schema=False)

    @r.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return pages.render(request, "home.html", schemes=queries.schemes(log))

    @r.get("/labels", response_class=HTMLResponse)
    def labels(request: Request, q: str = "", scheme: str = "") -> HTMLResponse:
        lang, _ = choose_lang(request)
        rows = queries.search_labels(log, q[:200], scheme or None)
        records = queries.label_records(log, rows)
        items = [_summary(row, records.get(row.idx, {}), lang) for row in rows]
        return pages.render(request, "labels.html", q=q, scheme=scheme, items=items, schemes=queries.schemes(log))

    def label_page(request: Request, label_id: str, scheme: str | None) -> HTMLResponse:
        lang, _ = choose_lang(request)
        t = translator(lang)
        try:
            row = find_label(log, label_id, scheme or None)
        except AmbiguousLabelError as e:  # refused (409), never one of them picked: the page links each
            return pages.render(request, "ambiguous.html", status_code=409, label_id=label_id, choices=e.schemes)
        except NotFoundError as e:
            return pages.not_found(request, e.message)
        registered = queries.schemes(log)
        notes: list[str] = []
        to = request.query_params.get("to") or None
        if to is not None and to not in {s.scheme_id for s in registered}:
            notes.append(t("label.unknown_to", to=to))
            to = None
        at_text = request.query_params.get("at", "")
        try:
            at = parse_day(at_text) or datetime.now(UTC).date()
        except ValueError:
            notes.append(t("label.bad_date", at=at_text))
            at = datetime.now(UTC).date()
        record = queries.entry_payload(log.entry(row.idx).envelope)["label"]
        bundle = build_bundle(log, row.label_id, row.scheme, to)
        report = verify_upload(log, bundle, None, to, at)
        equivalence = equivalence_of(report, to)
        if to is not None:
            try:
                verdict = agreements_service.equivalence(log, row.label_id, to, at, row.scheme)
                equivalence = equivalence_from_log(verdict, to)
            except CarbonLedgerError as e:  # the offline verdict (step 10) stands, with why the log's is missing
                equivalence["reasons"].append(f"{e.code}: {e.message}")
        return pages.render(
            request,
            "label.html",
            row=row,
            label=record,
            view=_label_view(record, lang),
            schemes=registered,
            to=to,
            at=at.isoformat(),
            notes=notes,
            report=report.to_dict(),
            steps=steps_of(report),
            equivalence=equivalence,
            bundle_url=request.scope.get("root_path", "")
            + f"/v1/labels/{quote(row.label_id, safe='')}/bundle?"
            + urlencode({k: v for k, v in (("scheme", row.scheme), ("to", to)) if v}),
        )

    @r.get("/labels/{label_id}", response_class=HTMLResponse)
    def label(request: Request, label_id: str, scheme: str = "") -> HTMLResponse:
        return label_page(request, label_id, scheme or None)

    @r.get("/labels/{scheme}/{label_id}", response_class=HTMLResponse)
    def label_of_scheme(request: Request, scheme: str, label_id: str) -> HTMLResponse:
        """The address `carbonledger label qr` encodes."""
        return label_page(request, label_id, scheme)

    # ---- log ---------------------------------------------------------------------------------------
    @r.get("/log", response_class=HTMLResponse)
    def log_page(request: Request, before: str = "") -> HTMLResponse:
        try:  # a cursor past the tree shows the newest entries; one that is no 64-bit index is refused
            end = bounded_int(before, "before") if before else None
        except InputError:
            t = translator(choose_lang(request)[0])
            return pages.bad_request(request, t("log.bad_before", before=before[:40], max=INT64_MAX))
        entries, start = queries.recent_entries(log, end)
        cp = log.store.latest_checkpoint()
        return pages.render(
            request,
            "log.html",
            origin=log.origin,
            vkey=log.vkey,
            checkpoint=log.checkpoint(),
            tree_size=0 if cp is None else cp.size,
            entries=entries,
            older=start if start > 0 else None,
            paged=end is not None,
        )

    # ---- upload and verify -------------------------------------------------------------------------
    def verify_form(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
        values = {"to": "", "at": "", "errors": [], "report": None, "steps": [], "trust_source": None}
        values.update(context)
        return pages.render(
            request,
            "verify.html",
            status_code=status_code,
            schemes=queries.schemes(log),
            bundle_limit=size_text(MAX_BUNDLE_UPLOAD_BYTES),
            trust_limit=size_text(MAX_TRUST_UPLOAD_BYTES),
            **values,
        )

    @r.get("/verify", response_class=HTMLResponse)
    def verify_get(request: Request) -> HTMLResponse:
        return verify_form(request)

    @r.post("/verify", response_class=HTMLResponse)
    async def verify_post(request: Request) -> HTMLResponse:
        lang, _ = choose_lang(request)
        t = translator(lang)
        total_limit = MAX_BUNDLE_UPLOAD_BYTES + MAX_TRUST_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES
        body = await _read_limited(request, total_limit)
        if body is None:
            return verify_form(request, 413, errors=[t("verify.upload_too_large", limit=size_text(total_limit))])

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(request.scope, replay).form()
        except (MultiPartException, HTTPException, ValueError, KeyError) as e:
            reason = e.detail if isinstance(e, HTTPException) else str(e)
            return verify_form(request, 400, errors=[t("verify.bad_form", reason=reason)])
        to = str(form.get("to") or "").strip() or None
        at_text = str(form.get("at") or "").strip()
        context: dict[str, Any] = {"to": to or "", "at": at_text}
        errors: list[str] = []
        too_large = False
        bundle_file, trust_file = form.get("bundle"), form.get("trust")
        bundle = await _file_bytes(bundle_file)
        trust = await _file_bytes(trust_file)
        for data, upload, limit in (
            (bundle, bundle_file, MAX_BUNDLE_UPLOAD_BYTES),
            (trust, trust_file, MAX_TRUST_UPLOAD_BYTES),
        ):
            if len(data) > limit:
                too_large = True
                errors.append(t("verify.too_large", what=_name(upload), size=len(data), limit=size_text(limit)))
        if not bundle:
            errors.append(t("verify.no_bundle"))
        try:
            at = parse_day(at_text) or datetime.now(UTC).date()
        except ValueError:
            errors.append(t("verify.bad_date", at=at_text))
            at = None
        if errors or at is None:
            return verify_form(request, 413 if too_large else 400, errors=errors, **context)
        report = await run_in_threadpool(verify_upload, log, bundle, trust or None, to, at)
        return verify_form(
            request,
            report=report.to_dict(),
            steps=steps_of(report),
            equivalence=equivalence_of(report, to),
            trust_source="verify.trust_uploaded" if trust else "verify.trust_default",
            **context,
        )

    # ---- schemes, comparison, agreements -----------------------------------------------------------
    @r.get("/schemes", response_class=HTMLResponse)
    def schemes_page(request: Request) -> HTMLResponse:
        return pages.render(request, "schemes.html", schemes=queries.schemes(log))

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
            agreements=queries.agreement_rows(log),
            history=queries.agreement_history_rows(log),
        )

    return r


def _summary(row: LabelRow, record: dict[str, Any], lang: str) -> dict[str, Any]:
    product = record.get("product") or {}
    return {
        "label_id": row.label_id,
        "scheme": row.scheme,
        "product": localized(product, lang) or row.product_name,
        "model": row.model,
        "gtin": row.gtin,
        "manufacturer": localized(product.get("manufacturer"), lang) or row.manufacturer,
        "status": row.status,
        "index": row.idx,
    }


def _label_view(record: dict[str, Any], lang: str) -> dict[str, Any]:
    product = record.get("product") or {}
    footprint = record.get("footprint") or {}
    gases, stage_rows, has_other = stage_table(footprint)
    gtins = [i.get("value") for i in product.get("ids") or [] if i.get("system") == "gtin"]
    verification = record.get("verification") or {}
    return {
        "product_name": localized(product, lang),
        "product_name_other": product.get("name") if lang == ZH else product.get("name_zh"),
        "gtin": ", ".join(g for g in gtins if g) or None,
        "other_ids": [i for i in product.get("ids") or [] if i.get("system") != "gtin"],
        "manufacturer": localized(product.get("manufacturer"), lang),
        "site": product.get("production_site") or {},
        "category": product.get("category") or {},
        "gases": gases,
        "stages": stage_rows,
        "has_other": has_other,
        "body": localized(verification.get("body"), lang),
    }


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to exceed ``limit`` (never buffering more)."""
    try:
        return await read_limited(request, limit)
    except InputError:
        return None


async def _file_bytes(value: Any) -> bytes:
    if isinstance(value, UploadFile):
        return await value.read()
    return b""


def _name(value: Any) -> str:
    return (value.filename if isinstance(value, UploadFile) else None) or "file"


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
