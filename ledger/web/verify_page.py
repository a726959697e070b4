"""The upload page (``/verify``): a buyer's bundle, and optionally a trust file, verified in the request.

Nothing is kept. The limits are the API's (:mod:`ledger.http_inputs`); a malformed upload is a step-1 failure
in the report, an oversized one a 413 page, a form missing what it needs a 400 page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from mapping.errors import InputError

from ..http_inputs import (
    MAX_BUNDLE_BYTES,
    MAX_TRUST_BYTES,
    UPLOAD_FORM_BYTES,
    parse_form,
    read_limited,
    upload_bytes,
    upload_name,
)
from ..reads import Reads
from .i18n import choose_lang, translator
from .render import Pages, size_text
from .report_views import equivalence_of, parse_day, steps_of

__all__ = ["verify_router"]


def verify_router(reads: Reads, pages: Pages) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def verify_form(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
        values: dict[str, Any] = {"to": "", "at": "", "errors": [], "report": None, "steps": [], "trust_source": None}
        values.update(context)
        return pages.render(
            request,
            "verify.html",
            status_code=status_code,
            schemes=reads.schemes(),
            bundle_limit=size_text(MAX_BUNDLE_BYTES),
            trust_limit=size_text(MAX_TRUST_BYTES),
            **values,
        )

    @r.get("/verify", response_class=HTMLResponse)
    def verify_get(request: Request) -> HTMLResponse:
        return verify_form(request)

    @r.post("/verify", response_class=HTMLResponse)
    async def verify_post(request: Request) -> HTMLResponse:
        lang, _ = choose_lang(request)
        t = translator(lang)
        try:
            body = await read_limited(request, UPLOAD_FORM_BYTES)
        except InputError:  # known to exceed the limit: never buffered further
            return verify_form(request, 413, errors=[t("verify.upload_too_large", limit=size_text(UPLOAD_FORM_BYTES))])
        try:
            form = await parse_form(request, body)
        except (MultiPartException, HTTPException, ValueError, KeyError) as e:
            reason = e.detail if isinstance(e, HTTPException) else str(e)
            return verify_form(request, 400, errors=[t("verify.bad_form", reason=reason)])
        to = str(form.get("to") or "").strip() or None
        at_text = str(form.get("at") or "").strip()
        context: dict[str, Any] = {"to": to or "", "at": at_text}
        errors: list[str] = []
        too_large = False
        bundle_file, trust_file = form.get("bundle"), form.get("trust")
        bundle = await upload_bytes(bundle_file) or b""
        trust = await upload_bytes(trust_file) or b""
        for data, upload, limit in ((bundle, bundle_file, MAX_BUNDLE_BYTES), (trust, trust_file, MAX_TRUST_BYTES)):
            if len(data) > limit:
                too_large = True
                errors.append(t("verify.too_large", what=upload_name(upload), size=len(data), limit=size_text(limit)))
        if not bundle:
            errors.append(t("verify.no_bundle"))
        try:
            at = parse_day(at_text) or reads.today()
        except ValueError:
            errors.append(t("verify.bad_date", at=at_text))
            at = None
        if errors or at is None:
            return verify_form(request, 413 if too_large else 400, errors=errors, **context)
        report = await run_in_threadpool(reads.verify_upload, bundle, trust or None, to, at)
        return verify_form(
            request,
            report=report.to_dict(),
            steps=steps_of(report),
            equivalence=equivalence_of(report, to),
            trust_source="verify.trust_uploaded" if trust else "verify.trust_default",
            **context,
        )

    return r
