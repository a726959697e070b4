"""The label search's filters as one SQL statement (``Store.search_labels``; the pages' and ``/v1/labels``'s search).

Substring filters are case-insensitive ``LIKE`` patterns with ``%``, ``_`` and the escape character itself
escaped, so a person's text is matched as typed, never as a pattern.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.engine import Connection

from .tables import LabelRow, SchemeRow

__all__ = ["statement"]

_LIKE_ESCAPE = "\\"


def statement(
    c: Connection, text: str, model: str, gtin: str, manufacturer: str, scheme: str | None, before: int | None
) -> Select[tuple[LabelRow]]:
    """Labels matching every filter given, newest first: ``text`` a substring of the label id, model, GTIN, product
    name, manufacturer, scheme id or the scheme's registered name; ``model`` and ``manufacturer`` substrings of
    those columns; ``gtin`` and ``scheme`` exactly; ``before`` a log index bound. Empty filters are ignored."""
    stmt = select(LabelRow)
    if text:
        stmt = stmt.where(_text_condition(c, text))
    if model:
        stmt = stmt.where(LabelRow.model.ilike(_like(model), escape=_LIKE_ESCAPE))
    if manufacturer:
        stmt = stmt.where(LabelRow.manufacturer.ilike(_like(manufacturer), escape=_LIKE_ESCAPE))
    if gtin:
        stmt = stmt.where(LabelRow.gtin == gtin)
    if scheme:
        stmt = stmt.where(LabelRow.scheme == scheme)
    if before is not None:
        stmt = stmt.where(LabelRow.idx < before)
    return stmt.order_by(LabelRow.idx.desc())


def _like(text: str) -> str:
    escaped = text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
