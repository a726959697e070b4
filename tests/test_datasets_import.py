"""ledger.dataset_import: CSV and JSON factor tables; a malformed table is rejected whole, naming row and column."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.dataset_import import REQUIRED_COLUMNS, parse_values_csv, parse_values_json
from mapping.errors import InputError
from verifier import datasets, schemas

HEADER = "key,value,unit,kind,year,geography,scope,gases,basis,td_losses_included,gwp_set,source,confidence,note"
ROWS = [
    "CN/2021,0.5568,kgCO2/kWh,combustion-co2,2021,CN,combustion,CO2,location,false,not-applicable,[S24],confirmed,",
    'CN/2023,0.6205,kgCO2e/kWh,lifecycle-co2e,2023,CN,lifecycle,CO2e,location,true,unspecified,"MEE, NBS [S27]",'
    "secondary,value from a secondary source",
    "steel,2.4,kgCO2e/kg,emission-factor,,CN,,,,,,sector average,unconfirmed,",
]


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _json_rows() -> list[dict[str, Any]]:
    return parse_values_csv(_csv(*ROWS))


def test_csv_good_table() -> None:
    values = parse_values_csv(_csv(*ROWS))
    assert [v["key"] for v in values] == ["CN/2021", "CN/2023", "steel"]
    assert values[0]["td_losses_included"] is False and values[1]["td_losses_included"] is True
    assert values[0]["year"] == 2021 and "year" not in values[2] and "note" not in values[0]
    assert values[1]["source"] == "MEE, NBS [S27]"
    body = {
        "id": "imported",
        "version": 1,
        "title": "t",
        "licence": "l",
        "geography": "CN",
        "years": [],
        "values": values,
    }
    payload = {
        "kind": "dataset.publish",
        "signer": "ab" * 32,
        "seq": 0,
        "prev": "0" * 64,
        "signed_at": "2026-11-24T12:00:00Z",
        "publisher": "some-publisher",
        "dataset": body,
    }
    schemas.validate("dataset.publish", payload)
    datasets.check_dataset(payload)


def test_json_good_table_both_shapes_and_same_result() -> None:
    rows = _json_rows()
    assert parse_values_json(json.dumps(rows)) == rows
    assert parse_values_json(json.dumps({"values": rows})) == rows


def test_bom_and_crlf_and_blank_lines() -> None:
    text = "\ufeff" + _csv(*ROWS).replace("\n", "\r\n") + "\r\n"
    assert len(parse_values_csv(text)) == 3


def test_on_row_progress() -> None:
    seen: list[int] = []
    parse_values_csv(_csv(*ROWS), on_row=seen.append)
    assert seen == [1, 2, 3]
    seen.clear()
    parse_values_json(json.dumps(_json_rows()), on_row=seen.append)
    assert seen == [1, 2, 3]


def _csv_error(text: str) -> InputError:
    with pytest.raises(InputError) as e:
        parse_values_csv(text)
    assert e.value.code == "dataset.import_invalid"
    assert e.value.message.startswith(e.value.field)
    return e.value


def _replace(row: int, column: str, value: str) -> str:
    """The good table with one cell changed (row counts the header as row 1)."""
    import csv
    import io

    names = HEADER.split(",")
    rows = list(csv.reader(io.StringIO("\n".join(ROWS))))
    rows[row - 2][names.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([names, *rows])
    return out.getvalue()


CSV_CELL_ERRORS = [
    (2, "value", "5.568e-1", "not a plain decimal"),
    (2, "value", "-0.5568", "negative"),
    (3, "value", "0,6205", "not a plain decimal"),
    (2, "value", "", "required"),
    (2, "unit", "lbCO2/kWh", "unknown unit"),
    (3, "kind", "marginal", "unknown kind"),
    (2, "gases", "CO2e", "gases"),
    (3, "scope", "combustion", "scope"),
    (2, "unit", "kgCO2e/kWh", "unit"),
    (2, "year", "21", "four-digit"),
    (2, "year", "", "must state year"),
    (2, "td_losses_included", "yes", "true, false or unspecified"),
    (3, "confidence", "probably", "confidence"),
    (4, "source", "", "required"),
    (4, "scope", "combustion", "must not carry"),
]


@pytest.mark.parametrize(("row", "column", "value", "words"), CSV_CELL_ERRORS)
def test_csv_cell_errors_name_row_and_column(row: int, column: str, value: str, words: str) -> None:
    err = _csv_error(_replace(row, column, value))
    assert err.field == f"row {row}, column {column}"
    assert words in err.message


def test_csv_duplicate_key() -> None:
    err = _csv_error(_csv(*ROWS, ROWS[0]))
    assert err.field == "row 5, column key" and "first at row 2" in err.message


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_csv_missing_column(column: str) -> None:
    names = [n for n in HEADER.split(",") if n != column]
    err = _csv_error(",".join(names) + "\n")
    assert err.field == f"row 1, column {column}"


def test_csv_header_errors() -> None:
    assert _csv_error(_csv(header=HEADER + ",colour")).field == "row 1, column colour"
    assert _csv_error(_csv(header=HEADER + ",note")).field == "row 1, column note"
    assert _csv_error("").field == "row 1"
    assert _csv_error(_csv()).field == "row 2"  # no rows


def test_csv_ragged_rows() -> None:
    assert _csv_error(_csv(ROWS[0] + ",extra")).field == "row 2, column 15 (no header)"
    assert _csv_error(_csv("CN/2021,0.5568")).field == "row 2, column unit"


def test_csv_row_numbers_count_quoted_line_breaks() -> None:
    multi = ROWS[1].replace('"MEE, NBS [S27]"', '"MEE,\nNBS [S27]"')
    err = _csv_error(_csv(ROWS[0], multi, ROWS[2].replace("2.4", "x")))
    assert err.field == "row 5, column value"


def test_csv_malformed_quoting() -> None:
    err = _csv_error(_csv('CN/2021,"0.5"5,kgCO2/kWh'))
    assert err.field.startswith("row 2")


def _json_error(doc: Any, text: str | None = None) -> InputError:
    with pytest.raises(InputError) as e:
        parse_values_json(text if text is not None else json.dumps(doc))
    assert e.value.code == "dataset.import_invalid"
    return e.value


@pytest.mark.parametrize("literal", ["0.5568", "5.568e-1", "1", "NaN", "Infinity", "-0.5"])
def test_json_numbers_are_refused(literal: str) -> None:
    text = json.dumps(_json_rows()).replace('"value": "0.5568"', f'"value": {literal}', 1)
    err = _json_error(None, text)
    assert err.field == "row 1, column value"


def test_json_errors_name_row_and_column() -> None:
    rows = _json_rows()
    bad = [dict(r) for r in rows]
    bad[1]["unit"] = "lbCO2/kWh"
    assert _json_error(bad).field == "row 2, column unit"
    bad = [dict(r) for r in rows]
    del bad[2]["confidence"]
    assert _json_error(bad).field == "row 3, column confidence"
    bad = [dict(r) for r in rows]
    bad[0]["year"] = "2021"
    assert _json_error(bad).field == "row 1, column year"
    bad = [dict(r) for r in rows]
    bad[0]["td_losses_included"] = 0
    assert _json_error(bad).field == "row 1, column td_losses_included"
    bad = [dict(r) for r in rows]
    bad[2]["colour"] = "red"
    assert _json_error(bad).field == "row 3, column colour"
    assert _json_error([*rows, rows[0]]).field == "row 4, column key"
    assert _json_error([rows[0], "x"]).field == "row 2"
    assert _json_error([]).field == "row 1"
    assert _json_error({"rows": rows}).field == "row 1"
    text = json.dumps([rows[0]]).replace('"key": "CN/2021"', '"key": "CN/2021", "key": "CN/2022"')
    assert _json_error(None, text).field == "row 1, column key"
    assert _json_error(None, "[{").field == "line 1, column 3"


def test_a_large_table_parses_every_row_and_reports_progress() -> None:
    # Scale, not speed: every one of 20,000 rows comes back, the progress callback sees them all, and the JSON
    # form round-trips. Speed is measured by benchmarks, never asserted here.
    rest = "kgCO2/kWh,combustion-co2,2022,CN,combustion,CO2,location,false,not-applicable,src,confirmed,"
    lines = [f"F{i},0.{i % 9000 + 1000},{rest}" for i in range(20_000)]
    calls = 0

    def count(n: int) -> None:
        nonlocal calls
        calls = n

    values = parse_values_csv(_csv(*lines), on_row=count)
    assert len(values) == calls == 20_000
    assert len(parse_values_json(json.dumps(values))) == 20_000
    # the last row is still checked: a bad one there rejects the whole table
    with pytest.raises(InputError) as e:
        parse_values_csv(_csv(*lines[:1000]).replace("F999,0.", "F999,-0."))
    assert e.value.field == "row 1001, column value"
