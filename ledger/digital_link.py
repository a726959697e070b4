"""The log as a GS1 Digital Link resolver for its labels: a product's ``/01/{gtin}`` leads to its label.

GS1 Digital Link URI syntax 1.2: ``https://<domain>/01/<GTIN-14>`` identifies a trade item; GS1-Conformant
Resolver 1.2: a request without ``linkType`` redirects (307) to the default link; ``linkType=linkset`` (or
``all``), or ``Accept: application/linkset+json``, answers every link as an RFC 9264 linkset, link relation
types being GS1 Web Vocabulary IRIs (``https://gs1.org/voc/certificationInfo``, …); a ``linkType`` naming one
type redirects to that type's link.

Here a product's links are its carbon labels: the default is the current label's page (active and valid today,
newest first; else the newest label, whose page says it is revoked, superseded or expired). The label pages are
``gs1:certificationInfo`` and ``gs1:sustainabilityInfo`` (a footprint is both a certification and sustainability
information); each bundle (for offline verification) and label record are ``gs1:certificationInfo`` with their
own media types. This module builds answers from label rows and records; the routes do the HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from mapping.errors import NotFoundError
from mapping.gtin import gtin14

from .reads import Reads
from .tables import LabelRow

__all__ = [
    "GS1_VOC",
    "LINKSET_TYPE",
    "LINK_TYPES",
    "ProductLabels",
    "gtin_forms",
    "label_path",
    "linkset",
    "product_labels",
]

GS1_VOC = "https://gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
LINK_TYPES = ("defaultLink", "certificationInfo", "sustainabilityInfo")
_LANGS = ["en", "zh-Hans", "zh-Hant"]


def gtin_forms(gtin: str) -> list[str]:
    """The ways a label may have stated the GTIN of ``/01/{gtin}``: its 14-digit form and the GTIN-13, -12 and
    -8 it pads (leading zeros only), longest first. InputError ``input.gtin_invalid`` if it is no GTIN."""
    full = gtin14(gtin)
    return [full[14 - n :] for n in (14, 13, 12, 8) if set(full[: 14 - n]) <= {"0"}]


def label_path(row: LabelRow) -> str:
    return f"/labels/{quote(row.scheme, safe='')}/{quote(row.label_id, safe='')}"


@dataclass(frozen=True)
class ProductLabels:
    """Every label of one product, newest first, with the current one (``default``) chosen."""

    gtin: str  # the 14-digit form
    rows: list[LabelRow]
    records: dict[int, dict[str, Any]]  # the signed label record of each row, by log index
    default: LabelRow

    def valid_on(self, row: LabelRow, day: date) -> bool:
        label = self.records[row.idx]
        return row.status == "active" and label["issued_at"] <= day.isoformat() <= label["valid_until"]


def product_labels(reads: Reads, gtin: str, today: date, limit: int = 100) -> ProductLabels:
    """The labels of the product ``gtin`` names; NotFoundError ``label.unknown_gtin`` when it has none."""
    forms = gtin_forms(gtin)
    rows: dict[int, LabelRow] = {}
    for form in forms:
        for row in reads.find_labels(gtin=form, limit=limit):
            rows[row.idx] = row
    if not rows:
        raise NotFoundError(f"no label in this log names GTIN {forms[0]}", code="label.unknown_gtin", field="gtin")
    ordered = sorted(rows.values(), key=lambda r: r.idx, reverse=True)[:limit]
    records = reads.label_records(ordered)
    found = ProductLabels(forms[0], ordered, records, ordered[0])
    current = next((r for r in ordered if found.valid_on(r, today)), None)
    active = next((r for r in ordered if r.status == "active"), None)
    return ProductLabels(forms[0], ordered, records, current or active or ordered[0])


def _title(row: LabelRow, record: dict[str, Any]) -> str:
    return (
        f"Carbon label {row.label_id} ({row.scheme}), {row.status}, "
        f"issued {record['issued_at']}, valid until {record['valid_until']}"
    )


def linkset(found: ProductLabels, base_url: str, today: date) -> dict[str, Any]:
    """RFC 9264 §4.2 (application/linkset+json): one link context, the product's Digital Link URI, with its
    labels as GS1 link types; the default link first. Titles say each label's status and validity."""
    base = base_url.rstrip("/")
    anchor = f"{base}/01/{found.gtin}"
    pages, data = [], []
    for row in found.rows:
        record = found.records[row.idx]
        title = _title(row, record)
        if not found.valid_on(row, today) and row.status == "active":
            title += f" (not valid on {today.isoformat()})"
        pages.append({"href": base + label_path(row), "title": title, "type": "text/html", "hreflang": _LANGS})
        query = f"?scheme={quote(row.scheme, safe='')}"
        label_api = f"{base}/v1/labels/{quote(row.label_id, safe='')}"
        data.append({"href": f"{label_api}/bundle{query}", "title": f"{title}: bundle", "type": "application/json"})
        data.append({"href": f"{label_api}{query}", "title": f"{title}: record", "type": "application/json"})
    default_page = next(p for p, r in zip(pages, found.rows, strict=True) if r.idx == found.default.idx)
    context: dict[str, Any] = {
        "anchor": anchor,
        GS1_VOC + "defaultLink": [default_page],
        GS1_VOC + "certificationInfo": pages + data,
        GS1_VOC + "sustainabilityInfo": pages,
    }
    product = found.records[found.default.idx]["product"]
    if product.get("name"):
        context["description"] = str(product["name"])
    return {"linkset": [context]}


def link_for(found: ProductLabels, link_type: str) -> LabelRow | None:
    """The label a ``linkType`` redirect leads to: every type this resolver knows leads to the current label's
    page; None when the type is not one of :data:`LINK_TYPES` (GS1: then the default link)."""
    name = link_type.removeprefix("gs1:").removeprefix(GS1_VOC)
    return found.default if name in LINK_TYPES else None
