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


def check_storable(
    entry: Entry, index: int, changes: Iterable[Change], entry_row: tuple[Any, ...] | None = None
) -> None:
    """Requires an entry the rule book admitted at ``index`` with ``changes`` (and ``entry_row``, when given, its
    entries row: :func:`ledger.rows.entry_row`). Raises :class:`AdmissionError` unless every string of it is
    storable text and every row it adds fits its table's columns."""
    # The payload is canonical JSON (parsed strictly, so valid UTF-8 without lone surrogates), where a NUL can
    # only appear escaped as \u0000: without those six bytes no string holds one, and the walk that names the
    # place runs only when they are there (a literal backslash-u-0000 text matches too; the walk then decides).
    if b"\\u0000" in entry.payload or not _plain_utf8(entry.payload):
        _check_text(entry.body, "")
    for table, columns, values in _rows_of(entry, index, changes, entry_row):
        for at, name, (kind, bound) in _limited_columns(table, columns):
            value = values[at]
            if kind == "text" and isinstance(value, str) and len(value) > bound:
                raise AdmissionError(
                    f"{table.__tablename__}.{name} would hold {len(value)} characters; the log stores at most {bound}",
                    code="entry.too_long",
                )
            if kind == "int" and isinstance(value, int) and not bound[0] <= value <= bound[1]:
                raise AdmissionError(
                    f"{table.__tablename__}.{name} would hold {value}; the log stores numbers from {bound[0]} to "
                    f"{bound[1]}",
                    code="entry.number_out_of_range",
                )


@functools.cache
def _limited_columns(table: Any, columns: tuple[str, ...]) -> tuple[tuple[int, str, Any], ...]:
    """(position in ``columns``, name, limit) of each column of ``table`` that has a length or a range."""
    limits = column_limits(table)
    return tuple(
        (at, name, limits[name])
        for at, name in enumerate(columns)
        if name in limits and (limits[name][0] == "int" or limits[name][1] is not None)
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


def _rows_of(
    entry: Entry, index: int, changes: Iterable[Change], entry_row: tuple[Any, ...] | None
) -> Iterator[tuple[Any, tuple[str, ...], tuple[Any, ...]]]:
    """The rows the entry adds, as (table, columns, values) (what ledger/batch_view.py and the log write)."""
    yield EntryRow, rows.ENTRY_COLUMNS, entry_row if entry_row is not None else rows.entry_row(entry, index, 0)
    for ch in changes:
        if isinstance(ch, AddLabel):
            yield LabelRow, rows.LABEL_COLUMNS, rows.label_row(ch.record, entry.body["label"])
            continue
        if isinstance(ch, AddScheme):
            table, row = SchemeRow, asdict(ch.record)
        elif isinstance(ch, AddKey):
            table, row = KeyRow, rows.key_row(ch.record)
        elif isinstance(ch, AddDataset):
            table, row = DatasetRow, rows.dataset_row(ch.record, ch.title)
        elif isinstance(ch, AddAgreementEvent):
            table, row = AgreementEventRow, rows.agreement_event_row(ch)
        else:
            continue
        yield table, tuple(row), tuple(row.values())


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
