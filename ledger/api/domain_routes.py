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
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from mapping.errors import InputError, MappingError, NotFoundError

from .. import agreements_service as agreements
from ..bundles import find_label, verify_upload
from ..log import Log
from ..tables import LabelRow
from .app import read_limited
from .params import Bounded, LabelScheme

__all__ = ["MAX_BUNDLE_BYTES", "MAX_TRUST_BYTES", "domain_router"]

MAX_BUNDLE_BYTES = 2 << 20  # 2 MiB, as the web upload
MAX_TRUST_BYTES = 256 << 10  # 256 KiB
MULTIPART_OVERHEAD_BYTES = 64 << 10  # boundaries, part headers and the small text fields
MAX_SEARCH_LIMIT = 100
_JSON, _MULTIPART = "application/json", "multipart/form-data"


def _log(request: Request) -> Log:
    return request.app.state.deps.log


def parse_day(text: str | None, field: str) -> date | None:
    """A YYYY-MM-DD date (None when ``text`` is empty); otherwise 422 ``input.date`` naming ``field``."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as e:
        raise InputError(f"{field} must be a date YYYY-MM-DD, got {text!r}", code="input.date", field=field) from e


def _today(log: Log) -> date:
    """Today in UTC by the log's clock (the clock admission uses; the CLI's default too)."""
    return log.clock().astimezone(UTC).date()


# ---- schemes ------------------------------------------------------------------------------------------------
def _scheme_profile(scheme_id: str) -> dict[str, str] | None:
    from mapping.profiles import get_profile

    try:
        p = get_profile(scheme_id)
    except MappingError:
        return None
    return {"id": p.id, "version": p.version}


def _scheme_dicts(log: Log) -> list[dict[str, Any]]:
    from ..web.queries import schemes

    return [
        {
            "id": s.scheme_id,
            "name": s.name,
            "name_zh": s.name_zh,
            "country": s.country,
            "role": s.role,
            "root_key_id": s.root_key_id,
            "registered_index": s.registered_index,
            "profile": _scheme_profile(s.scheme_id),
        }
        for s in schemes(log)
    ]


# ---- labels ---------------------------------------------------------------------------------------------------
def _label_summary(row: LabelRow) -> dict[str, Any]:
    return {
        "label_id": row.label_id,
        "scheme": row.scheme,
        "product": row.product_name,
        "model": row.model,
        "gtin": row.gtin,
        "manufacturer": row.manufacturer,
        "status": row.status,
        "index": row.idx,
        "entry_id": row.entry_id,
    }


def _label_detail(log: Log, row: LabelRow) -> dict[str, Any]:
    from verifier.envelope import parse_entry

    body = parse_entry(bytes(log.store.entry(row.idx).envelope)).body
    return {
        **_label_summary(row),
        "signer": row.signer,
        "signed_at": body.get("signed_at"),
        "status_index": row.status_index,
        "status_entry": row.status_entry,
        "replacement_entry": row.replacement_entry,
        "label": body["label"],
    }


# ---- verification ---------------------------------------------------------------------------------------------


def _content_type(request: Request) -> str:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in (_JSON, _MULTIPART):
        raise InputError(
            f"content type {ctype or 'none'!r} is not accepted; send {_MULTIPART} (fields bundle, trust, to, at) "
            f"or {_JSON} (the bundle itself)",
            code="input.content_type",
        )
    return ctype


async def _upload(form: Any, name: str) -> bytes | None:
    value = form.get(name)
    if isinstance(value, UploadFile):
        return await value.read()
    if isinstance(value, str) and value:  # a plain text field holding the document is accepted too
        return value.encode("utf-8")
    return None


def _check_size(data: bytes | None, limit: int, field: str) -> None:
    if data is not None and len(data) > limit:
        raise InputError(f"{field} is {len(data)} bytes; the limit is {limit}", code="input.oversized", field=field)


async def _verify_inputs(request: Request) -> tuple[bytes, bytes | None, str | None, str | None]:
    """(bundle, trust or None, to, at text) from a multipart form or a JSON body with query parameters."""
    if _content_type(request) == _JSON:
        bundle = await read_limited(request, MAX_BUNDLE_BYTES, "bundle")
        return bundle, None, request.query_params.get("to"), request.query_params.get("at")
    total = MAX_BUNDLE_BYTES + MAX_TRUST_BYTES + MULTIPART_OVERHEAD_BYTES
    body = await read_limited(request, total, "multipart body")

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_part_size=total)
    except (MultiPartException, HTTPException, ValueError, KeyError) as e:
        reason = e.detail if isinstance(e, HTTPException) else str(e)
        raise InputError(f"the multipart form could not be read: {reason}", code="input.form") from e
    bundle, trust = await _upload(form, "bundle"), await _upload(form, "trust")
    _check_size(bundle, MAX_BUNDLE_BYTES, "bundle")
    _check_size(trust, MAX_TRUST_BYTES, "trust")
    if not bundle:
        raise InputError(
            "no bundle: send the bundle file in the form field 'bundle'", code="input.missing", field="bundle"
        )
    to = form.get("to") if isinstance(form.get("to"), str) else None
    at = form.get("at") if isinstance(form.get("at"), str) else None
    return bundle, trust, to or request.query_params.get("to"), at or request.query_params.get("at")


def domain_router() -> APIRouter:
    r = APIRouter(prefix="/v1")

    # ---- schemes --------------------------------------------------------------------------------------------
    @r.get("/schemes", tags=["schemes"], summary="Registered schemes in log order, with their methodology profile")
    def scheme_list(request: Request) -> list[dict[str, Any]]:
        return _scheme_dicts(_log(request))

    @r.get(
        "/schemes/{scheme_id}",
        tags=["schemes"],
        summary="One registered scheme, with its profile and the agreement versions it is a party to",
    )
    def scheme_show(request: Request, scheme_id: str) -> dict[str, Any]:
        log = _log(request)
        found = next((s for s in _scheme_dicts(log) if s["id"] == scheme_id), None)
        if found is None:
            raise NotFoundError(f"no scheme {scheme_id!r} is registered in this log", code="scheme.unknown")
        found["agreements"] = [
            {k: v[k] for k in ("id", "version", "schemes", "direction", "status", "terms_hash")}
            for v in agreements.agreement_list(log)
            if scheme_id in v["schemes"]
        ]
        return found

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
    @r.get("/agreements", tags=["agreements"], summary="Every agreement version with its status on a date")
    def agreement_list(request: Request, at: str | None = None) -> list[dict[str, Any]]:
        return agreements.agreement_list(_log(request), parse_day(at, "at"))

    @r.get("/agreements-history", tags=["agreements"], summary="The negotiation history of every agreement")
    def agreement_history_all(request: Request) -> list[dict[str, Any]]:
        return agreements.agreement_history(_log(request))

    @r.get(
        "/agreements/{agreement_id}",
        tags=["agreements"],
        summary="One agreement version (default: the latest) with its terms and negotiation history",
    )
    def agreement_show(
        request: Request, agreement_id: str, version: Annotated[int | None, Query(), Bounded(1)] = None
    ) -> dict[str, Any]:
        return agreements.agreement_show(_log(request), agreement_id, version)

    @r.get("/agreements/{agreement_id}/history", tags=["agreements"], summary="One agreement's negotiation history")
    def agreement_history(request: Request, agreement_id: str) -> list[dict[str, Any]]:
        log = _log(request)
        rows = agreements.agreement_history(log, agreement_id)
        if not rows:
            raise NotFoundError(f"no agreement {agreement_id!r} in this log", code="agreement.unknown")
        return rows

    # ---- labels ---------------------------------------------------------------------------------------------
    @r.get(
        "/labels/search",
        tags=["labels"],
        summary="Search labels by product model, GTIN, manufacturer, scheme or free text; newest first",
    )
    def label_search(
        request: Request,
        q: Annotated[str, Query(max_length=200)] = "",
        model: Annotated[str, Query(max_length=200)] = "",
        gtin: Annotated[str, Query(max_length=32)] = "",
        manufacturer: Annotated[str, Query(max_length=200)] = "",
        scheme: str | None = None,
        limit: Annotated[int, Query(), Bounded(1, MAX_SEARCH_LIMIT)] = MAX_SEARCH_LIMIT,
    ) -> list[dict[str, Any]]:
        from ..web.queries import find_labels

        rows = find_labels(
            _log(request), q=q, model=model, gtin=gtin, manufacturer=manufacturer, scheme=scheme or None, limit=limit
        )
        return [_label_summary(row) for row in rows]

    @r.get(
        "/labels/{label_id}",
        tags=["labels"],
        summary="A label record as logged, with its index, entry id and status",
    )
    def label_show(request: Request, label_id: str, scheme: LabelScheme = None) -> dict[str, Any]:
        log = _log(request)
        return _label_detail(log, find_label(log, label_id, scheme or None))

    @r.get(
        "/labels/{label_id}/equivalence",
        tags=["labels"],
        summary="Is the label equivalent under another scheme on a date? The verdict, agreement and reasons",
    )
    def label_equivalence(
        request: Request, label_id: str, to: str, at: str | None = None, scheme: LabelScheme = None
    ) -> dict[str, Any]:
        log = _log(request)
        day = parse_day(at, "at") or _today(log)
        return agreements.equivalence(log, label_id, to, day, scheme or None)

    # ---- verification ---------------------------------------------------------------------------------------
    @r.post(
        "/verify",
        tags=["verify"],
        summary="Verify a bundle in this request (nothing is kept); the verdict is in the 200 body",
        description=(
            "Send multipart/form-data with the file `bundle` (at most 2 MiB), optionally the file `trust` (at most "
            "256 KiB; default: this log's own keys with `to` as buyer scheme) and the fields `to` (target scheme) "
            "and `at` (YYYY-MM-DD, default today UTC); or send the bundle itself as application/json with `to` and "
            "`at` as query parameters. The answer is the verifier's report with status 200 whatever the verdict; "
            "a malformed bundle or trust file is reported as step 1 failed."
        ),
    )
    async def verify(request: Request) -> dict[str, Any]:
        log = _log(request)
        bundle, trust, to, at_text = await _verify_inputs(request)
        at = parse_day(at_text, "at") or datetime.now(UTC).date()
        report = await run_in_threadpool(verify_upload, log, bundle, trust, (to or "").strip() or None, at)
        out = report.to_dict()
        out["at"] = at.isoformat()
        out["trust_source"] = "uploaded" if trust is not None else "log"
        return out

    return r
