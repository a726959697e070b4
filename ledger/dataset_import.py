"""Import a dataset's factor table from CSV or JSON into ``dataset.publish`` ``values`` items.

Issue 8: "``import`` reads CSV or JSON (a malformed table is rejected whole with the row and column
named, nothing stored)". Bad input — binary floats, unknown units or kinds, duplicate keys, missing
columns, negative values — is :class:`~mapping.errors.InputError` ``dataset.import_invalid`` with
``field`` ``"row N, column C"``. The functions are pure: they return the whole table or raise, so a
caller stores nothing unless the whole table is good.

Rows: in CSV, row N is the Nth line of the file as a spreadsheet or editor shows it (the header is row 1;
a quoted cell spanning lines counts all of them). In JSON, row N is the Nth item of the array, and a
syntax error is named by line and column instead. Per-row checks are plain Python (no schema compiled
per row), so 100,000 rows take well under a second or two. Note that one ``dataset.publish`` entry is at
most 64 KiB, so a table that large is published as a release digest or split, not as one entry.

Columns (CSV header names, or JSON member names): required ``key, value, unit, kind, geography, source,
confidence``; optional ``year, name, name_zh, supplier, scope, gases, basis, td_losses_included, gwp_set,
note``. An empty optional CSV cell means "absent". ``value`` is a decimal string; in JSON an unquoted
number (``0.5``) is refused, since a binary float cannot carry a factor exactly.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

from mapping.errors import CarbonLedgerError, InputError
from verifier.datasets import check_value

__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "parse_values_csv", "parse_values_json"]

REQUIRED_COLUMNS = ("key", "value", "unit", "kind", "geography", "source", "confidence")
OPTIONAL_COLUMNS = (
    "year",
    "name",
    "name_zh",
    "supplier",
    "scope",
    "gases",
    "basis",
    "td_losses_included",
    "gwp_set",
    "note",
)
_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
_REQUIRED = frozenset(REQUIRED_COLUMNS)
_TEXT_COLUMNS = _COLUMNS - {"value", "year", "td_losses_included"}
# common.schema.json: text is 1-500 characters, long_text 1-4000; keys at most 200.
_TEXT_LIMITS = {c: 4000 if c in ("source", "note") else 200 if c == "key" else 500 for c in sorted(_TEXT_COLUMNS)}
_YEAR = re.compile(r"[0-9]{4}")
_NONNEG_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?")
_CSV_BOOL = {"true": True, "false": False, "unspecified": "unspecified"}


def _error(message: str, row: int, column: str | None = None) -> InputError:
    where = f"row {row}" if column is None else f"row {row}, column {column}"
    return InputError(f"{where}: {message}", code="dataset.import_invalid", field=where)


class _Float:
    """What the JSON parser makes of an unquoted fraction, exponent, NaN or Infinity: refused, naming the row."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _DuplicateMembers(dict):  # type: ignore[type-arg]
    duplicate: str = ""


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # RFC 8259 §4: names "SHOULD be unique"; a repeated one is refused, per row
        dup = _DuplicateMembers(out)
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                dup.duplicate = name
                break
            seen.add(name)
        return dup
    return out


def _item(cells: dict[str, Any], row: int, *, from_csv: bool) -> dict[str, Any]:
    """One ``values`` item from a row's cells (CSV strings, or JSON values), or an error naming row and column."""
    if from_csv:  # columns were checked once, at the header; an empty optional cell means "absent"
        item = {}
        for column, cell in cells.items():
            cell = cell.strip()
            if cell:
                item[column] = cell
            elif column in _REQUIRED:
                raise _error("empty cell; this column is required", row, column)
    else:
        unknown = cells.keys() - _COLUMNS
        if unknown:
            column = min(unknown)
            raise _error(f"unknown column {column!r}", row, column)
        item = dict(cells)
    if len(item.keys() & _REQUIRED) != len(_REQUIRED):
        column = next(c for c in REQUIRED_COLUMNS if c not in item)
        raise _error("missing; this column is required", row, column)

    value = item["value"]
    if type(value) is not str or not _NONNEG_DECIMAL.fullmatch(value):
        raise _error(_value_problem(value), row, "value")
    if "year" in item:
        year = item["year"]
        if from_csv:
            if not _YEAR.fullmatch(year):
                raise _error(f"year {year!r} is not a four-digit year", row, "year")
            year = item["year"] = int(year)
        elif type(year) is not int:
            raise _error(f"year {_show(year)} must be an integer", row, "year")
        if not 1900 <= year <= 2100:
            raise _error(f"year {year} is outside 1900-2100", row, "year")
    if "td_losses_included" in item:
        td = item["td_losses_included"]
        if from_csv:
            td = _CSV_BOOL.get(td.lower())
            if td is None:
                raise _error(
                    f"{item['td_losses_included']!r} is not true, false or unspecified", row, "td_losses_included"
                )
            item["td_losses_included"] = td
        elif not (td is True or td is False or td == "unspecified"):
            raise _error(f'{_show(td)} is not true, false or "unspecified"', row, "td_losses_included")
    for column in _TEXT_COLUMNS.intersection(item) if not from_csv else ():
        cell = item[column]
        if type(cell) is not str or not cell or cell != cell.strip():
            raise _error(f"{_show(cell)} must be a non-empty string without surrounding spaces", row, column)
    for column, cell in item.items():
        if type(cell) is str and len(cell) > 200 and len(cell) > _TEXT_LIMITS.get(column, 500):
            raise _error(f"text longer than {_TEXT_LIMITS.get(column, 500)} characters", row, column)
    try:
        check_value(item, "")
    except CarbonLedgerError as e:
        column = (e.field or "/").lstrip("/").split("/")[0] or "value"
        raise _error(e.message, row, column) from e
    return item


def _value_problem(value: Any) -> str:
    if isinstance(value, _Float):
        return (
            f"unquoted number {value.text} is a binary float, which cannot carry a factor exactly; "
            "write the value as a decimal string"
        )
    if not isinstance(value, str):
        return f"{value!r} is a JSON number or other non-string; write it as a decimal string"
    if value.startswith("-"):
        return f"negative value {value}"
    return f"{value!r} is not a plain decimal (digits and one '.', no exponent)"


def _show(cell: Any) -> str:
    return cell.text if isinstance(cell, _Float) else repr(cell)


def _collect(
    rows: Any, on_row: Callable[[int], None] | None, *, from_csv: bool, empty_row: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for row, cells in rows:
        item = _item(cells, row, from_csv=from_csv)
        key = item["key"]
        if key in first_row:
            raise _error(f"duplicate key {key!r} (first at row {first_row[key]})", row, "key")
        first_row[key] = row
        out.append(item)
        if on_row is not None:
            on_row(len(out))
    if not out:
        raise _error("the table has no rows", empty_row)
    return out


def parse_values_csv(text: str, *, on_row: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """The ``values`` items of a CSV table whose header names the columns; all rows or an error.

    ``on_row(n)`` is called after each accepted row with the number of rows accepted so far.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise _error("the file is empty; the first row names the columns", 1)
        header = [h.strip() for h in header]
        seen: set[str] = set()
        for name in header:
            if name not in _COLUMNS:
                raise _error(f"unknown column {name!r}", 1, name or "(blank)")
            if name in seen:
                raise _error(f"column {name!r} appears twice", 1, name)
            seen.add(name)
        for name in REQUIRED_COLUMNS:
            if name not in seen:
                raise _error("missing column; it is required", 1, name)

        def rows() -> Any:
            width = len(header)
            for cells in reader:
                if not cells or cells == [""]:
                    continue
                row = reader.line_num
                if len(cells) != width:
                    column = header[len(cells)] if len(cells) < width else f"{width + 1} (no header)"
                    raise _error(f"{len(cells)} cells, but the header names {width} columns", row, column)
                yield row, dict(zip(header, cells, strict=True))

        return _collect(rows(), on_row, from_csv=True, empty_row=2)
    except csv.Error as e:
        raise _error(f"malformed CSV: {e}", reader.line_num) from e


def parse_values_json(text: str, *, on_row: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """The ``values`` items of a JSON table: an array of objects, or an object whose ``values`` is one.

    ``on_row(n)`` is called after each accepted row with the number of rows accepted so far.
    """
    try:
        document = json.loads(
            text.removeprefix("\ufeff"),
            parse_float=_Float,
            parse_constant=_Float,
            object_pairs_hook=_object_pairs,
        )
    except json.JSONDecodeError as e:
        where = f"line {e.lineno}, column {e.colno}"
        raise InputError(f"{where}: malformed JSON: {e.msg}", code="dataset.import_invalid", field=where) from e
    if isinstance(document, dict) and not isinstance(document, _DuplicateMembers) and "values" in document:
        document = document["values"]
    if not isinstance(document, list):
        raise InputError(
            "a JSON table is an array of value objects, or an object whose 'values' is one",
            code="dataset.import_invalid",
            field="row 1",
        )

    def rows() -> Any:
        for row, cells in enumerate(document, start=1):
            if not isinstance(cells, dict):
                raise _error("a row must be a JSON object", row)
            if isinstance(cells, _DuplicateMembers):
                raise _error("member appears twice in this row", row, cells.duplicate)
            yield row, cells

    return _collect(rows(), on_row, from_csv=False, empty_row=1)
