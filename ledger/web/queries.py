"""Read-only queries the web pages need beyond :class:`ledger.store.Store`'s own reads.

Every function takes the log and only reads; the store's connection is borrowed
through ``log.store.read()`` and no query writes. Records come from the logged
envelopes themselves (the log admitted them, so their payloads are canonical and
schema-valid): what a page shows is what was signed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, or_, select

from .. import agreements_service
from ..log import Log
from ..tables import EntryRow, LabelRow, SchemeRow

MAX_SEARCH_RESULTS = 100
RECENT_ENTRIES = 50
_LIKE_ESCAPE = "\\"


def entry_payload(envelope: bytes) -> dict[str, Any]:
    """The decoded payload of a logged (already admitted) envelope."""
    doc = json.loads(envelope)
    return json.loads(base64.b64decode(doc["payload"]))


@dataclass(frozen=True)
class SchemeInfo:
    scheme_id: str
    name: str
    name_zh: str | None
    role: str
    country: str | None
    root_key_id: str
    registered_index: int

    def display_name(self, lang: str) -> str:
        return self.name_zh if lang.startswith("zh") and self.name_zh else self.name


def schemes(log: Log) -> list[SchemeInfo]:
    """Registered schemes in log order, with the Chinese name their registration carries, if any."""
    rows = sorted(log.store.schemes(), key=lambda r: r.registered_index)
    regs = _entries_at(log, [r.registered_index for r in rows])
    out = []
    for r in rows:
        info: dict[str, Any] = {}
        env = regs.get(r.registered_index)
        if env is not None:
            body = entry_payload(env.envelope)
            if body.get("kind") == "scheme.register":
                info = body.get("scheme", {})
        out.append(
            SchemeInfo(
                scheme_id=r.scheme_id,
                name=r.name,
                name_zh=info.get("name_zh"),
                role=r.role,
                country=info.get("country"),
                root_key_id=r.root_key_id,
                registered_index=r.registered_index,
            )
        )
    return out


def _entries_at(log: Log, indexes: Iterable[int]) -> dict[int, EntryRow]:
    wanted = sorted(set(indexes))
    if not wanted:
        return {}
    with log.store.read() as c:
        rows = c.execute(select(EntryRow).where(EntryRow.idx.in_(wanted)))
        return {r.idx: EntryRow.model_validate(r._mapping) for r in rows}


def label_records(log: Log, rows: Iterable[LabelRow]) -> dict[int, dict[str, Any]]:
    """The signed label record of each row, by log index, fetched in one query."""
    return {idx: entry_payload(row.envelope)["label"] for idx, row in _entries_at(log, [r.idx for r in rows]).items()}


def _like(text: str) -> str:
    escaped = text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_labels(
    log: Log, text: str = "", scheme: str | None = None, limit: int = MAX_SEARCH_RESULTS
) -> list[LabelRow]:
    """Labels whose id, model, GTIN, product name, manufacturer or scheme (id or name) contain ``text``.

    Case-insensitive substring match; newest first; at most ``limit`` rows. An
    empty ``text`` lists the newest labels (of ``scheme``, when given).
    """
    return find_labels(log, q=text, scheme=scheme, limit=limit)


def _text_condition(c: Connection, text: str) -> ColumnElement[bool]:
    """Label id, model, GTIN, product name, manufacturer or scheme (id or registered name) contains ``text``."""
    pattern = _like(text)
    named = [
        sid
        for (sid,) in c.execute(select(SchemeRow.scheme_id).where(SchemeRow.name.ilike(pattern, escape=_LIKE_ESCAPE)))
    ]
    columns = (
        LabelRow.label_id,
        LabelRow.model,
        LabelRow.gtin,
        LabelRow.product_name,
        LabelRow.manufacturer,
        LabelRow.scheme,
    )
    conditions = [col.ilike(pattern, escape=_LIKE_ESCAPE) for col in columns]
    if named:
        conditions.append(LabelRow.scheme.in_(named))
    return or_(*conditions)


def find_labels(
    log: Log,
    *,
    q: str = "",
    model: str = "",
    gtin: str = "",
    manufacturer: str = "",
    scheme: str | None = None,
    limit: int = MAX_SEARCH_RESULTS,
) -> list[LabelRow]:
    """Labels matching every filter given, newest first, at most ``limit``.

    ``q`` is :func:`search_labels`' free text (label id, model, GTIN, product name, manufacturer, scheme id or
    name); ``model`` and ``manufacturer`` match case-insensitive substrings of those columns; ``gtin`` the GTIN
    exactly; ``scheme`` the scheme id exactly. No filter: the newest labels.
    """
    q, model, gtin, manufacturer = q.strip(), model.strip(), gtin.strip(), manufacturer.strip()
    stmt = select(LabelRow)
    with log.store.read() as c:
        if q:
            stmt = stmt.where(_text_condition(c, q))
        if model:
            stmt = stmt.where(LabelRow.model.ilike(_like(model), escape=_LIKE_ESCAPE))
        if manufacturer:
            stmt = stmt.where(LabelRow.manufacturer.ilike(_like(manufacturer), escape=_LIKE_ESCAPE))
        if gtin:
            stmt = stmt.where(LabelRow.gtin == gtin)
        if scheme:
            stmt = stmt.where(LabelRow.scheme == scheme)
        stmt = stmt.order_by(LabelRow.idx.desc()).limit(limit)
        return [LabelRow.model_validate(r._mapping) for r in c.execute(stmt)]


@dataclass(frozen=True)
class EntrySummary:
    index: int
    kind: str
    signer: str
    scheme: str | None
    subject: str | None
    integrated: str  # ISO 8601, UTC, seconds


def recent_entries(log: Log, before: int | None = None, n: int = RECENT_ENTRIES) -> tuple[list[EntrySummary], int]:
    """Up to ``n`` entries with indexes in ``[start, end)``, newest first, where ``end`` is ``before`` (or the
    tree size) and ``start = max(0, end - n)``; returns them and ``start``."""
    size = log.store.tree_size()
    end = size if before is None else max(0, min(before, size))
    start = max(0, end - n)
    rows = log.store.entries(start, end)
    out = [
        EntrySummary(
            index=r.idx,
            kind=r.kind,
            signer=r.signer,
            scheme=r.scheme,
            subject=r.subject,
            integrated=datetime.fromtimestamp(r.integrated_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        )
        for r in reversed(rows)
    ]
    return out, start


def agreement_rows(log: Log, at: date | datetime | None = None) -> list[dict[str, Any]]:
    """Recognition agreement versions for the agreements page, one dict per version, in log order.

    :func:`ledger.agreements_service.agreement_list`'s rows: ``id``, ``version``, ``schemes`` (list of scheme
    ids), ``direction``, ``terms_hash``, ``status`` (proposed, in_force, superseded, withdrawn, expired),
    ``proposed_index``, ``accepted_index`` and ``withdrawn_index`` (log indexes, or None), and the rest of
    :meth:`mapping.negotiation.VersionState.to_dict`; statuses as of ``at`` (default: the log's clock).
    """
    return agreements_service.agreement_list(log, at)


def agreement_history_rows(log: Log, agreement_id: str | None = None) -> list[dict[str, Any]]:
    """Every agreement.propose, .accept and .withdraw entry in log order: ``index``, ``at`` (the entry's
    signed time, ISO 8601 UTC), ``kind``, ``id``, ``version``, ``scheme`` (the signing party), ``terms_hash``,
    ``answers`` and ``reason``."""
    return agreements_service.agreement_history(log, agreement_id)
