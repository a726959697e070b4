"""What a store can hold, derived from the table definitions — one rule for SQLite and PostgreSQL.

PostgreSQL refuses a string longer than its ``VARCHAR(n)`` column, any NUL character in text, and an integer
outside its column's range; SQLite stores all of them. Were admission to leave these to the store, a hostile
entry would fail its whole batch on one store and be admitted on the other. So admission refuses first, the
same way on both (:func:`check_storable`):

- no string anywhere in the entry (keys or values) holds a NUL character (``entry.nul_character``) or a lone
  surrogate, which no UTF-8 column can encode (``entry.unencodable_text``);
- every value the entry puts in a column fits it: strings within the column's declared length
  (``entry.too_long``), integers within its range (``entry.number_out_of_range``) — the lengths and ranges
  read from ``ledger/tables.py``, never copied by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from sqlalchemy import BigInteger, Integer, String

from mapping.errors import AdmissionError
from verifier.canonical import pointer_escape
from verifier.envelope import Entry
from verifier.ledger_state import AddAgreementEvent, AddDataset, AddKey, AddLabel, AddScheme, Change

from . import rows
from .tables import AgreementEventRow, DatasetRow, EntryRow, KeyRow, LabelRow, SchemeRow

__all__ = ["check_storable", "column_limits"]

_INT64 = (-(1 << 63), (1 << 63) - 1)
_INT32 = (-(1 << 31), (1 << 31) - 1)
Limit = tuple[str, int | None] | tuple[str, tuple[int, int]]


@functools.cache
def column_limits(table: Any) -> dict[str, Limit]:
    """Requires a table class of ledger/tables.py. Per column: ("text", its length or None) or ("int", (lo, hi))."""
    out: dict[str, Limit] = {}
    for column in table.__table__.columns:
        kind = column.type
        kind = getattr(kind, "impl", kind)  # SQLModel's AutoString decorates a String
        if isinstance(kind, String):
            out[column.name] = ("text", kind.length)
        elif isinstance(kind, BigInteger):
            out[column.name] = ("int", _INT64)
        elif isinstance(kind, Integer):  # 32 bits on PostgreSQL
            out[column.name] = ("int", _INT32)
    return out


def check_storable(entry: Entry, index: int, changes: Iterable[Change]) -> None:
    """Requires an entry the rule book admitted at ``index`` with ``changes``. Raises :class:`AdmissionError`
    unless every string of it is storable text and every row it adds fits its table's columns."""
    # The payload is canonical JSON (parsed strictly, so valid UTF-8 without lone surrogates), where a NUL can
    # only appear escaped as \u0000: without those six bytes no string holds one, and the walk that names the
    # place runs only when they are there (a literal backslash-u-0000 text matches too; the walk then decides).
    if b"\\u0000" in entry.payload or not _plain_utf8(entry.payload):
        _check_text(entry.body, "")
    for table, row in _rows_of(entry, index, changes):
        limits = column_limits(table)
        for name, value in row.items():
            limit = limits.get(name)
            if limit is None or value is None:
                continue
            what = f"{table.__tablename__}.{name}"
            if limit[0] == "text" and isinstance(value, str) and limit[1] is not None and len(value) > limit[1]:
                raise AdmissionError(
                    f"{what} would hold {len(value)} characters; the log stores at most {limit[1]}",
                    code="entry.too_long",
                )
            if limit[0] == "int" and isinstance(value, int) and isinstance(limit[1], tuple):
                low, high = limit[1]
                if not low <= value <= high:
                    raise AdmissionError(
                        f"{what} would hold {value}; the log stores numbers from {low} to {high}",
                        code="entry.number_out_of_range",
                    )


def _plain_utf8(payload: bytes) -> bool:
    """Whether ``payload`` decodes as UTF-8 (a parsed entry's always does; anything else takes the walk)."""
    if payload.isascii():
        return True
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _rows_of(entry: Entry, index: int, changes: Iterable[Change]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The rows the entry adds, as column → value (what ledger/batch_view.py and the log write)."""
    yield EntryRow, dict(zip(rows.ENTRY_COLUMNS, rows.entry_row(entry, index, 0), strict=True))
    for ch in changes:
        if isinstance(ch, AddLabel):
            label_row = rows.label_row(ch.record, entry.body["label"])
            yield LabelRow, dict(zip(rows.LABEL_COLUMNS, label_row, strict=True))
        elif isinstance(ch, AddScheme):
            yield SchemeRow, asdict(ch.record)
        elif isinstance(ch, AddKey):
            yield KeyRow, rows.key_row(ch.record)
        elif isinstance(ch, AddDataset):
            yield DatasetRow, rows.dataset_row(ch.record, ch.title)
        elif isinstance(ch, AddAgreementEvent):
            yield AgreementEventRow, rows.agreement_event_row(ch)


def _check_text(value: Any, pointer: str) -> None:
    if isinstance(value, str):
        _check_string(value, pointer)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_string(key, pointer)
            _check_text(item, f"{pointer}/{pointer_escape(key)}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(item, f"{pointer}/{i}")


def _check_string(text: str, pointer: str) -> None:
    if "\x00" in text:
        raise AdmissionError(
            f"the string at {pointer or '/'} holds a NUL character, which the log does not store",
            code="entry.nul_character",
            field=pointer or "/",
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise AdmissionError(
            f"the string at {pointer or '/'} holds a lone surrogate, which is not text UTF-8 can encode",
            code="entry.unencodable_text",
            field=pointer or "/",
        ) from None
