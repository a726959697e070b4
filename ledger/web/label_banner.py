"""What a buyer arriving from a product's QR code must see first (issue 19 item 2): is the label authentic, is
it valid today, is it recognized under my scheme — one banner, never claiming more than the check showed.

The banner's kind, in order of precedence: ``not_authentic`` (the server's own replay of the bundle failed),
``revoked`` (with the revocation's reason and date), ``superseded`` (with a link to the replacement),
``expired`` / ``not_yet_valid`` (by the validity dates, on the date asked), else ``valid``. The verdict for the
chosen scheme sits beside it, taken from the equivalence the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..digital_link import label_path
from ..reads import Reads, entry_payload
from ..tables import LabelRow

__all__ = ["Banner", "status_banner"]

RECOGNIZED = ("recognized", "recognized_after_conversion")
TITLES = {  # English; the pages' catalogue has every language under banner.<kind>
    "valid": "Authentic and valid",
    "revoked": "Revoked",
    "superseded": "Superseded",
    "expired": "Expired",
    "not_yet_valid": "Not yet valid",
    "not_authentic": "Not authentic",
}


@dataclass(frozen=True)
class Banner:
    kind: str  # not_authentic | revoked | superseded | expired | not_yet_valid | valid
    good: bool
    since: str | None = None  # the revocation's or supersession's date (UTC day), the expiry date
    reason: str | None = None  # the revocation's stated reason
    replacement: str | None = None  # the replacement label's page path
    replacement_id: str | None = None
    verdict: str | None = None  # the equivalence verdict for the chosen scheme, when one was asked
    verdict_good: bool = False

    @property
    def title(self) -> str:
        return TITLES[self.kind]


def _status_entry(reads: Reads, row: LabelRow) -> dict[str, Any]:
    if row.status_index is None:
        return {}
    return entry_payload(bytes(reads.log.entry(row.status_index).envelope))


def status_banner(
    reads: Reads, row: LabelRow, label: dict[str, Any], authentic: bool, at: str, equivalence: dict[str, Any]
) -> Banner:
    """The banner of ``row`` on the day ``at`` (YYYY-MM-DD), given the server check's ``authentic``."""
    verdict = equivalence.get("verdict")
    asked = verdict if verdict not in (None, "not_asked") else None
    # A methodology may recognize what the label claims, but a dead label is relied on by no one: only a valid
    # label's verdict is shown as good.
    valid = authentic and row.status == "active" and label["issued_at"] <= at <= label["valid_until"]
    common = {"verdict": asked, "verdict_good": valid and asked in RECOGNIZED}
    if not authentic:
        return Banner("not_authentic", False, **common)
    if row.status in ("revoked", "superseded"):
        body = _status_entry(reads, row)
        since = str(body.get("signed_at", ""))[:10] or None
        if row.status == "revoked":
            return Banner("revoked", False, since=since, reason=body.get("reason"), **common)
        replacement = reads.log.store.label_by_entry(row.replacement_entry) if row.replacement_entry else None
        return Banner(
            "superseded",
            False,
            since=since,
            replacement=label_path(replacement) if replacement else None,
            replacement_id=replacement.label_id if replacement else None,
            **common,
        )
    if at > label["valid_until"]:
        return Banner("expired", False, since=label["valid_until"], **common)
    if at < label["issued_at"]:
        return Banner("not_yet_valid", False, since=label["issued_at"], **common)
    return Banner("valid", True, since=label["valid_until"], **common)
