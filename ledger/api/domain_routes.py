"""The domain read API (issue 7 item 1): schemes, methodology profiles and their diff, recognition agreements,
label search and records, equivalence verdicts, and bundle verification — all JSON, all read-only.

Writes (registering a scheme, publishing a profile, proposing, accepting or withdrawing an agreement, issuing
a label) go through ``POST /v1/entries`` as signed envelopes: submissions are authenticated by their
signatures, so there is no other write endpoint. ``POST /v1/verify`` computes a report and keeps nothing.

Answers are what the CLI prints with ``--json`` (:mod:`ledger.agreements_service`, :mod:`mapping.profiles`,
:func:`mapping.diff`). Errors are the project's own (``mapping.errors``), mapped to HTTP statuses in
:mod:`ledger.api.errors`: unknown ids are 404 (``scheme.unknown``, ``mapping.unknown_profile``,
``mapping.unknown_profile_version``, ``agreement.unknown``, ``agreement.unknown_version``, ``label.unknown``),
an ambiguous label id 409 (``label.ambiguous``), a bad date 422 (``input.date``, naming the field), an
oversized upload 413 (``input.oversized``). A malformed bundle or trust file is not an HTTP error: the
verifier's own report (step 1 failed) comes back with status 200, as every verdict does.

The lists (schemes, agreement versions, agreement entries, label search) answer a page at a time with
``limit`` and a log-index cursor, and link the next page (``Link: rel="next"``, :mod:`ledger.api.list_params`);
the shipped profiles are one short list, whole.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from mapping.errors import InputError, InvalidParameterError, MediaTypeError, NotFoundError, OversizedError, UsageError

from .. import paged_reads
from ..http_inputs import (
    MAX_BUNDLE_BYTES,
    MAX_TRUST_BYTES,
    UPLOAD_FORM_BYTES,
    content_type,
    parse_form,
    read_limited,
    upload_bytes,
)
from ..paging import DEFAULT_LIMIT
from .deps import Deps
from .list_params import After, Before, Limit, link_next
from .params import Bounded, LabelScheme

__all__ = ["MAX_SEARCH_LIMIT", "domain_router", "parse_day"]

MAX_SEARCH_LIMIT = 100
_JSON, _MULTIPART = "application/json", "multipart/form-data"


def parse_day(text: str | None, field: str) -> date | None:
    """A YYYY-MM-DD date (None when ``text`` is empty); otherwise 422 ``input.date`` naming ``field``."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as e:
        raise InvalidParameterError(
            f"{field} must be a date YYYY-MM-DD, got {text!r}", code="input.date", field=field
        ) from e


# ---- verification ---------------------------------------------------------------------------------------------
def _content_type(request: Request) -> str:
    ctype = content_type(request)
    if ctype not in (_JSON, _MULTIPART):
        raise MediaTypeError(
            f"content type {ctype or 'none'!r} is not accepted; send {_MULTIPART} (fields bundle, trust, to, at) "
            f"or {_JSON} (the bundle itself)",
            code="input.content_type",
        )
    return ctype


def _check_size(data: bytes | None, limit: int, field: str) -> None:
    if data is not None and len(data) > limit:
        raise OversizedError(f"{field} is {len(data)} bytes; the limit is {limit}", code="input.oversized", field=field)


def _text_field(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def _verify_inputs(request: Request) -> tuple[bytes, bytes | None, str | None, str | None]:
    """(bundle, trust or None, to, at text) from a multipart form or a JSON body with query parameters."""
    if _content_type(request) == _JSON:
        return (
            await read_limited(request, MAX_BUNDLE_BYTES, "bundle"),
            None,
            request.query_params.get("to"),
            request.query_params.get("at"),
        )
    body = await read_limited(request, UPLOAD_FORM_BYTES, "multipart body")
    try:
        form = await parse_form(request, body, max_part_size=UPLOAD_FORM_BYTES)
    except (MultiPartException, HTTPException, ValueError, KeyError) as e:
        reason = e.detail if isinstance(e, HTTPException) else str(e)
        raise InputError(f"the multipart form could not be read: {reason}", code="input.form") from e
    bundle: bytes | None = await upload_bytes(form.get("bundle"), text_too=True)
    trust = await upload_bytes(form.get("trust"), text_too=True)
    _check_size(bundle, MAX_BUNDLE_BYTES, "bundle")
    _check_size(trust, MAX_TRUST_BYTES, "trust")
    if not bundle:
        raise UsageError(
            "no bundle: send the bundle file in the form field 'bundle'", code="input.missing", field="bundle"
        )
    to, at = _text_field(form.get("to")), _text_field(form.get("at"))
    return bundle, trust, to or request.query_params.get("to"), at or request.query_params.get("at")


def domain_router() -> APIRouter:
    r = APIRouter(prefix="/v1")

    # ---- schemes --------------------------------------------------------------------------------------------
    @r.get("/schemes", tags=["schemes"], summary="Registered schemes in log order, with their methodology profile")
    def scheme_list(
        request: Request, response: Response, deps: Deps, limit: Limit = DEFAULT_LIMIT, after: After = None
    ) -> list[dict[str, Any]]:
        return link_next(request.url, response, paged_reads.scheme_page(deps.reads, limit, after), "after", limit)

    @r.get(
        "/schemes/{scheme_id}",
        tags=["schemes"],
        summary="One registered scheme, with its profile and the agreement versions it is a party to",
    )
    def scheme_show(deps: Deps, scheme_id: str) -> dict[str, Any]:
        return deps.reads.scheme_summary(scheme_id)

    # ---- methodology profiles -------------------------------------------------------------------------------
    @r.get("/profiles", tags=["profiles"], summary="Every shipped methodology profile (every version)")
    def profile_list() -> list[dict[str, Any]]:
        from mapping.profiles import list_profiles

        return [p.summary() for p in list_profiles()]

    @r.get("/profiles/{profile_id}", tags=["profiles"], summary="One methodology profile document (default: newest)")
    def profile_show(profile_id: str, version: str | None = None) -> dict[str, Any]:
        from mapping.profiles import get_profile

        return get_profile(profile_id, version or None).to_dict()

    @r.get(
        "/profiles/{a}/diff/{b}",
        tags=["profiles"],
        summary="Methodology diff: what it takes to carry A's labels into B's terms, dimension by dimension",
    )
    def profile_diff(
        a: str, b: str, version_a: str | None = None, version_b: str | None = None
    ) -> list[dict[str, Any]]:
        import mapping
        from mapping.profiles import get_profile

        pa, pb = get_profile(a, version_a or None), get_profile(b, version_b or None)
        return [d.to_dict() for d in mapping.diff(pa, pb)]

    # ---- recognition agreements -----------------------------------------------------------------------------
    @r.get(
        "/agreements",
        tags=["agreements"],
        summary="Every agreement version with its status on a date, in log order (of the proposals)",
    )
    def agreement_list(
        request: Request,
        response: Response,
        deps: Deps,
        at: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        after: After = None,
    ) -> list[dict[str, Any]]:
        page = paged_reads.agreement_page(deps.reads, parse_day(at, "at"), limit, after)
        return link_next(request.url, response, page, "after", limit)

    @r.get("/agreements-history", tags=["agreements"], summary="The negotiation history of every agreement")
    def agreement_history_all(
        request: Request, response: Response, deps: Deps, limit: Limit = DEFAULT_LIMIT, after: After = None
    ) -> list[dict[str, Any]]:
        page = paged_reads.agreement_history_page(deps.reads, None, limit, after)
        return link_next(request.url, response, page, "after", limit)

    @r.get(
        "/agreements/{agreement_id}",
        tags=["agreements"],
        summary="One agreement version (default: the latest) with its terms and negotiation history",
    )
    def agreement_show(
        deps: Deps, agreement_id: str, version: Annotated[int | None, Query(), Bounded(1)] = None
    ) -> dict[str, Any]:
        return deps.reads.agreement(agreement_id, version)

    @r.get("/agreements/{agreement_id}/history", tags=["agreements"], summary="One agreement's negotiation history")
    def agreement_history(
        request: Request,
        response: Response,
        deps: Deps,
        agreement_id: str,
        limit: Limit = DEFAULT_LIMIT,
        after: After = None,
    ) -> list[dict[str, Any]]:
        if not deps.reads.agreement_history(agreement_id):
            raise NotFoundError(f"no agreement {agreement_id!r} in this log", code="agreement.unknown")
        page = paged_reads.agreement_history_page(deps.reads, agreement_id, limit, after)
        return link_next(request.url, response, page, "after", limit)

    # ---- labels ---------------------------------------------------------------------------------------------
    @r.get(
        "/labels/search",
        tags=["labels"],
        summary="Search labels by product model, GTIN, manufacturer, scheme or free text; newest first",
    )
    def label_search(
        request: Request,
        response: Response,
        deps: Deps,
        q: Annotated[str, Query(max_length=200)] = "",
        model: Annotated[str, Query(max_length=200)] = "",
        gtin: Annotated[str, Query(max_length=32)] = "",
        manufacturer: Annotated[str, Query(max_length=200)] = "",
        scheme: str | None = None,
        limit: Annotated[int, Query(), Bounded(1, MAX_SEARCH_LIMIT)] = MAX_SEARCH_LIMIT,
        before: Before = None,
    ) -> list[dict[str, Any]]:
        page = paged_reads.label_search_page(
            deps.reads,
            q=q,
            model=model,
            gtin=gtin,
            manufacturer=manufacturer,
            scheme=scheme or None,
            limit=limit,
            before=before,
        )
        rows = link_next(request.url, response, page, "before", limit)
        return [deps.reads.label_summary(row) for row in rows]

    @r.get(
        "/labels/{label_id}",
        tags=["labels"],
        summary="A label record as logged, with its index, entry id and status",
    )
    def label_show(deps: Deps, label_id: str, scheme: LabelScheme = None) -> dict[str, Any]:
        return deps.reads.label_detail(deps.reads.label(label_id, scheme or None))

    @r.get(
        "/labels/{label_id}/equivalence",
        tags=["labels"],
        summary="Is the label equivalent under another scheme on a date? The verdict, agreement and reasons",
    )
    def label_equivalence(
        deps: Deps, label_id: str, to: str, at: str | None = None, scheme: LabelScheme = None
    ) -> dict[str, Any]:
        day = parse_day(at, "at") or deps.reads.today()
        return deps.reads.equivalence(label_id, to, day, scheme or None)

    # ---- verification ---------------------------------------------------------------------------------------
    @r.post(
        "/verify",
        tags=["verify"],
        summary="Verify a bundle in this request (nothing is kept); the verdict is in the 200 body",
        description=(
            "Send multipart/form-data with the file `bundle` (at most 2 MiB), optionally the file `trust` (at most "
            "256 KiB; default: this log's own keys with `to` as buyer scheme) and the fields `to` (target scheme) "
            "and `at` (YYYY-MM-DD, default today UTC by the log's clock); or send the bundle itself as "
            "application/json with `to` and `at` as query parameters. The answer is the verifier's report with "
            "status 200 whatever the verdict; a malformed bundle or trust file is reported as step 1 failed."
        ),
    )
    async def verify(request: Request, deps: Deps) -> dict[str, Any]:
        bundle, trust, to, at_text = await _verify_inputs(request)
        at = parse_day(at_text, "at") or deps.reads.today()
        report = await run_in_threadpool(deps.reads.verify_upload, bundle, trust, (to or "").strip() or None, at)
        out = report.to_dict()
        out["at"] = at.isoformat()
        out["trust_source"] = "uploaded" if trust is not None else "log"
        return out

    return r
