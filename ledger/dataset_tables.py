"""A factor table file (CSV with a header row, or a JSON array) turned into the fields of a ``dataset.publish``.

All of it is checked before anything is signed — every row (:mod:`ledger.dataset_import`), the payload schema
and the 64 KiB entry limit (:func:`ledger.datasets_service.check_publish_fields`); a check's error on one
value is restated as the table's row and column (``dataset.import_invalid``), so a malformed table is refused
whole, naming where, and nothing is stored. Used by ``carbonledger dataset import``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapping.errors import CarbonLedgerError, InputError, OversizedError
from verifier.envelope import MAX_ENTRY_BYTES

from .dataset_import import parse_values_csv, parse_values_json
from .datasets_service import check_publish_fields
from .input_files import read_input_file

__all__ = [
    "MAX_TABLE_BYTES",
    "DatasetMeta",
    "FactorTable",
    "dry_run_summary",
    "parse_years",
    "publish_fields",
    "read_table",
]

MAX_TABLE_BYTES = 64 << 20
_VALUE_POINTER = re.compile(r"^/dataset/values/(\d+)(?:/([^/]+))?")


@dataclass(frozen=True)
class FactorTable:
    """A table file's text, read and decoded; ``kind`` is ``csv`` or ``json``."""

    file: Path
    kind: str
    text: str

    def row_estimate(self) -> int | None:
        """About how many rows a CSV table has (for a progress bar); None for JSON."""
        return max(self.text.count("\n"), 1) if self.kind == "csv" else None

    def values(self, on_row: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
        """Every row as a dataset value (the whole table, or an error naming a row)."""
        parse = parse_values_csv if self.kind == "csv" else parse_values_json
        return parse(self.text, on_row=on_row)

    def row_numbers(self) -> list[int]:
        """The row number (as :mod:`ledger.dataset_import` names rows) of each value, in order; [] for JSON."""
        if self.kind == "json":
            return []
        reader = csv.reader(io.StringIO(self.text.removeprefix("\ufeff"), newline=""))
        next(reader, None)
        rows = []
        for cells in reader:
            if cells and cells != [""]:
                rows.append(reader.line_num)
        return rows

    def at_row(self, error: CarbonLedgerError) -> CarbonLedgerError:
        """A check's error on ``/dataset/values/<i>/<member>`` restated as the table's row and column."""
        match = _VALUE_POINTER.match(error.field or "")
        if match is None:
            return error
        i = int(match.group(1))
        numbers = self.row_numbers()
        row = numbers[i] if i < len(numbers) else i + 1
        where = f"row {row}" + (f", column {match.group(2)}" if match.group(2) else "")
        return InputError(f"{where}: {error.message} [{error.code}]", code="dataset.import_invalid", field=where)


def _kind_of(file: Path) -> str:
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputError(
            f"{file.name}: the table must be a .csv or a .json file", code="dataset.import_invalid", field="file"
        )
    return suffix[1:]


def read_table(file: Path) -> FactorTable:
    """The table in ``file``: at most :data:`MAX_TABLE_BYTES` of UTF-8 text in a ``.csv`` or ``.json`` file."""
    data = read_input_file(file, "table")
    if len(data) > MAX_TABLE_BYTES:
        raise OversizedError(
            f"{file} is {len(data)} bytes; the limit is {MAX_TABLE_BYTES}", code="input.oversized", field="file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{file} is not UTF-8 text (byte {e.start})", code="dataset.import_invalid", field="file"
        ) from e
    return FactorTable(file, _kind_of(file), text)


def parse_years(text: str) -> list[int]:
    """Reference years from ``2023,2024`` (each between 1900 and 2100, duplicates dropped, order kept)."""
    years: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"[0-9]{4}", part) or not 1900 <= int(part) <= 2100:
            raise InputError(
                f"--years: {part!r} is not a year between 1900 and 2100", code="dataset.import_invalid", field="years"
            )
        if int(part) not in years:
            years.append(int(part))
    return years


@dataclass(frozen=True)
class DatasetMeta:
    """What a dataset version says about itself besides its values."""

    dataset_id: str
    version: int
    title: str
    licence: str
    geography: str
    years: str  # comma-separated, as given
    title_zh: str | None = None
    description: str | None = None

    def body(self, values: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.dataset_id,
            "version": self.version,
            "title": self.title,
            "licence": self.licence,
            "geography": self.geography,
            "years": parse_years(self.years),
        }
        if self.title_zh:
            body["title_zh"] = self.title_zh
        if self.description:
            body["description"] = self.description
        body["values"] = values
        return body


def publish_fields(
    table: FactorTable, values: list[dict[str, Any]], meta: DatasetMeta, publisher: str
) -> tuple[dict[str, Any], int]:
    """The checked fields of the ``dataset.publish`` of ``values`` (read from ``table``), and the bound on its
    signed envelope's size; a check's error names the table's row and column."""
    fields = {"publisher": publisher, "dataset": meta.body(values)}
    try:
        size = check_publish_fields(fields)
    except CarbonLedgerError as e:
        raise table.at_row(e) from e
    return fields, size


def dry_run_summary(fields: dict[str, Any], size: int) -> dict[str, Any]:
    """What ``--dry-run`` reports: the dataset, its values by kind, unit and confidence, and its size."""
    body = fields["dataset"]
    values = body["values"]
    return {
        "dry_run": True,
        "publisher": fields["publisher"],
        "id": body["id"],
        "version": body["version"],
        "title": body["title"],
        "geography": body["geography"],
        "years": body["years"],
        "rows": len(values),
        "kinds": sorted({v["kind"] for v in values}),
        "units": sorted({v["unit"] for v in values}),
        "confidence": {
            c: sum(1 for v in values if v["confidence"] == c) for c in ("confirmed", "secondary", "unconfirmed")
        },
        "envelope_bytes": size,
        "max_entry_bytes": MAX_ENTRY_BYTES,
        "first_keys": [v["key"] for v in values[:5]],
    }
