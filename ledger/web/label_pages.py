"""The label pages: the search list (``/labels``, newest first, a page at a time) and one label
(``/labels/{id}``, ``/labels/{scheme}/{id}``).

A label page shows the record as signed, the server-side check of its bundle (the verifier's steps, against
the log's own keys) and, with ``?to=``, the log's equivalence verdict — all from the read layer, which
builds and verifies the bundle once per (label, target, date, tree size), not on every view.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mapping import vocabulary
from mapping.errors import NotFoundError
from mapping.vocabulary import METHANE_FOSSIL, METHANE_NON_FOSSIL

from ..bundles import AmbiguousLabelError
from ..label_qr import qr_image, qr_target
from ..paged_reads import label_search_page
from ..reads import MAX_SEARCH_RESULTS, Reads
from ..tables import LabelRow
from .charts import OTHER, footprint_charts
from .i18n import ZH_HANS, ZH_HANT, choose_lang, translator
from .label_banner import status_banner
from .paging import BadCursor, bad_cursor_page, page_links, read_cursor, with_next
from .render import Pages, localized
from .report_views import equivalence_from_log, equivalence_of, parse_day, steps_of

__all__ = ["LABELS_PER_PAGE", "label_router", "stage_table"]

LABELS_PER_PAGE = 50
# Life-cycle order: the generic stages, then EN 15804's modules where this build's vocabulary has them.
STAGE_ORDER: tuple[str, ...] = getattr(vocabulary, "LABEL_STAGES", vocabulary.STAGES)


def stage_table(footprint: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]], bool]:
    """Gas columns, one row per stage in life-cycle order (masses in kg as signed; a stage no vocabulary knows
    last), and whether any stage has an other-CO2e part."""
    stages = footprint.get("stages") or {}
    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    stages = dict(sorted(stages.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
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


def label_router(reads: Reads, pages: Pages) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/labels", response_class=HTMLResponse)
    def labels(request: Request, q: str = "", scheme: str = "") -> HTMLResponse:
        """Newest first, a page at a time: ``before`` a log index, as the log page's cursor (``paging``)."""
        lang, _ = choose_lang(request)
        try:
            cursor = read_cursor(request, "before", LABELS_PER_PAGE, MAX_SEARCH_RESULTS)
        except BadCursor as e:
            return bad_cursor_page(pages, request, e)
        page = label_search_page(reads, q=q[:200], scheme=scheme or None, limit=cursor.limit, before=cursor.value)
        records = reads.label_records(page.items)
        items = [_summary(row, records.get(row.idx, {}), lang) for row in page.items]
        response = pages.render(
            request,
            "labels.html",
            q=q,
            scheme=scheme,
            items=items,
            schemes=reads.schemes(),
            paged=cursor.value is not None,
            **page_links(request, cursor, page),
        )
        return with_next(response, request, cursor, page)

    def label_page(request: Request, label_id: str, scheme: str | None) -> HTMLResponse:
        lang, _ = choose_lang(request)
        t = translator(lang)
        try:
            row = reads.label(label_id, scheme or None)
        except AmbiguousLabelError as e:  # refused (409), never one of them picked: the page links each
            return pages.render(request, "ambiguous.html", status_code=409, label_id=label_id, choices=e.schemes)
        except NotFoundError as e:
            return pages.not_found(request, e.message)
        registered = reads.schemes()
        notes: list[str] = []
        to = request.query_params.get("to") or None
        if to is not None and to not in {s.scheme_id for s in registered}:
            notes.append(t("label.unknown_to", to=to))
            to = None
        at_text = request.query_params.get("at", "")
        try:
            at = parse_day(at_text) or reads.today()
        except ValueError:
            notes.append(t("label.bad_date", at=at_text))
            at = reads.today()
        record = reads.label_body(row)["label"]
        check = reads.label_check(row, to, at)
        equivalence = equivalence_of(check.report, to)
        if to is not None:
            if check.verdict is not None:
                equivalence = equivalence_from_log(check.verdict, to)
            elif check.verdict_error is not None:  # the offline verdict (step 10) stands, with why the log's is missing
                equivalence["reasons"].append(f"{check.verdict_error.code}: {check.verdict_error.message}")
        report = check.report.to_dict()
        fp = record.get("footprint") or {}
        return pages.render(
            request,
            "label.html",
            banner=status_banner(reads, row, record, bool(report.get("authentic")), at.isoformat(), equivalence),
            charts=footprint_charts(
                record, _stage_names(t), _gas_names(t), by_stage=t("chart.by_stage"), by_gas=t("chart.by_gas")
            ),
            qr=_qr(request, row, record),
            fp_value=_footprint_value(fp, t),
            row=row,
            label=record,
            view=_label_view(record, lang),
            schemes=registered,
            to=to,
            at=at.isoformat(),
            notes=notes,
            report=report,
            steps=steps_of(check.report),
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

    return r


def _stage_names(t: Any) -> dict[str, str]:
    return {s: t(f"stage.{s}", default=s) for s in STAGE_ORDER}


def _gas_names(t: Any) -> dict[str, str]:
    return {g: t(f"gas.{g}") for g in (METHANE_FOSSIL, METHANE_NON_FOSSIL)} | {OTHER: t("gas.other")}


def _footprint_value(fp: dict[str, Any], t: Any) -> dict[str, str] | None:
    """The footprint's headline: value, unit and what it is per (the declared unit, in the page's language)."""
    pcf = fp.get("pcf") or {}
    unit = fp.get("declaredUnitOfMeasurement")
    per = f"{fp.get('declaredUnitAmount') or '1'} {t(f'unit.{unit}', default=unit)}" if unit else None
    if not pcf.get("value"):
        return None
    return {"value": str(pcf["value"]), "unit": str(pcf.get("unit", "")), "per": per or ""}


def _qr(request: Request, row: LabelRow, record: dict[str, Any]) -> dict[str, str]:
    """The code a package carries: the product's GS1 Digital Link URI at this server (the label page's URL
    without a GTIN), drawn inline."""
    url, _kind = qr_target(row, record, str(request.base_url))
    svg = qr_image(url, "svg").decode()
    return {"url": url, "svg": svg[svg.index("<svg") :]}


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
        "product_name_other": product.get("name") if lang in (ZH_HANS, ZH_HANT) else product.get("name_zh"),
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
