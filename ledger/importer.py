"""Bulk issuing: label records from a JSON Lines file, signed by one key and submitted in batches.

Two passes so bad input loses nothing: every line is parsed strictly and checked against the label
record schema first — bad lines reject the whole file, each named by its number, before anything is signed
or stored. Then the records are signed on the key's hash chain and submitted batch by batch. If the log
refuses an entry (a duplicate label id, say), importing stops there: the lines before it are stored,
durable and reported; nothing after it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mapping.errors import CarbonLedgerError, InputError
from verifier import schemas
from verifier.canonical import loads_strict
from verifier.keys import SigningKey

from .issuer import ChainBook, build_and_sign
from .log import Log, Receipt
from .signing import next_position

MAX_LINE_BYTES = 60_000  # a label record must fit, signed, in a 64 KiB envelope
MAX_REPORTED_LINES = 100


@dataclass
class ImportResult:
    lines: int
    stored: int = 0
    first_index: int | None = None
    last_index: int | None = None
    tree_size: int | None = None
    stopped_at_line: int | None = None
    error: dict[str, Any] | None = None
    label_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "stored": self.stored,
            "first_index": self.first_index,
            "last_index": self.last_index,
            "tree_size": self.tree_size,
            "stopped_at_line": self.stopped_at_line,
            "error": self.error,
        }


def _read_line(number: int, line: bytes) -> dict[str, Any]:
    if len(line) > MAX_LINE_BYTES:
        raise InputError(
            f"{len(line)} bytes, over the limit of {MAX_LINE_BYTES}", code="import.line_oversized", field=""
        )
    record = loads_strict(line, what=f"line {number}")
    if isinstance(record, dict) and "label" in record and "label_id" not in record:
        record = record["label"]
    schemas.validate("label-record", record)
    return record  # type: ignore[no-any-return]


def read_label_lines(lines: Iterable[bytes]) -> list[dict[str, Any]]:
    """Parse and schema-check every non-blank line. Bad lines raise together, each with its number (the first
    :data:`MAX_REPORTED_LINES` listed in ``errors``), so an issuer fixes the file in one pass."""
    records: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            records.append(_read_line(number, line))
        except CarbonLedgerError as e:
            bad.append({"line": number, "code": e.code, "field": e.field or "", "message": e.message})
    if bad:
        first = bad[0]
        listed = bad[:MAX_REPORTED_LINES]
        more = f"; and {len(bad) - len(listed)} more" if len(bad) > len(listed) else ""
        said = "; ".join(f"line {b['line']}: {b['message']}" for b in listed)
        raise InputError(
            f"{len(bad)} bad line{'s' if len(bad) > 1 else ''}, nothing imported: {said}{more}",
            code=first["code"],
            field=f"line {first['line']}{first['field']}",
            errors=listed,
        )
    if not records:
        raise InputError("no label records in the file", code="import.empty")
    return records


def import_labels(
    log: Log,
    key: SigningKey,
    book: ChainBook,
    records: list[dict[str, Any]],
    now: Callable[[], datetime],
    *,
    batch: int = 500,
    on_progress: Callable[[int], None] | None = None,
) -> ImportResult:
    result = ImportResult(lines=len(records))
    seq, prev = next_position(book, key.key_id, log)
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        signed: list[tuple[bytes, str, int]] = []
        s, p = seq, prev
        for record in chunk:
            envelope, eid = build_and_sign("label.issue", {"label": record}, key, s, p, now())
            signed.append((envelope, eid, s))
            s, p = s + 1, eid
        outcomes = log.submit_many([e for e, _, _ in signed])
        last: tuple[int, str] | None = None
        for offset, ((_, eid, s_used), outcome) in enumerate(zip(signed, outcomes, strict=True)):
            if isinstance(outcome, CarbonLedgerError):
                result.stopped_at_line = start + offset + 1
                result.error = outcome.to_dict()
                break
            assert isinstance(outcome, Receipt)
            seq, prev, last = s_used + 1, eid, (s_used, eid)
            result.stored += 1
            result.first_index = outcome.index if result.first_index is None else result.first_index
            result.last_index, result.tree_size = outcome.index, outcome.tree_size
            result.label_ids.append(chunk[offset]["label_id"])
        if last is not None:
            book.advance(key.key_id, *last)
        if on_progress is not None:
            on_progress(result.stored)
        if result.error is not None:
            break
    return result
