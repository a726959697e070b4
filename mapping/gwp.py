"""IPCC 100-year GWP values, read as data from ``mapping/data/gwp.csv``.

The file is the domain table (``shared/domain/gwp.csv``) verbatim, followed by the rows issue 20 added (HFC-143a,
HFC-152a, HFC-227ea, HFC-245fa, HCFC-22, HFO-1234yf, C3F8, c-C4F8), each naming the table and the digitised copy
its values were read from; a value no source confirmed is blank.

No value is typed into code. The rules that pick a row are:

* AR4 has no methane-origin split: ``CH4-fossil`` and ``CH4-non-fossil`` take AR4's one methane value (the
  ``CH4`` row) because the report gives none for them (their cells are blank).
* Under the ``-1/+1`` biogenic method, non-fossil methane takes the fossil value: the uptake of its carbon
  was already counted (schemes.md §5).
* Any other blank cell, an unknown gas or an unknown set is an error, never a default.

The same rules apply to a table read from a signed ``ipcc-gwp100`` dataset entry (:func:`gwp_table_from_dataset`):
pass it as ``table`` and its values replace the package file's; a value the entry does not hold is missing,
never taken from the package file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import cache
from importlib import resources
from typing import Any

from .errors import MappingError
from .quantities import CONTEXT, parse_decimal
from .vocabulary import (
    BIOGENIC_METHODS,
    GWP_CSV_COLUMNS,
    GWP_DATASET_ID,
    GWP_SETS,
    GWP_VALUE_KIND,
    GWP_VALUE_UNIT,
    METHANE_FOSSIL,
    METHANE_NON_FOSSIL,
    METHANE_UNSPLIT,
)

TABLE_SOURCE = (
    "mapping/data/gwp.csv (shared/domain/gwp.csv plus the rows of issue 20; IPCC AR4 Table 2.14, "
    "AR5 Tables 8.A.1/8.7, AR6 Tables 7.SM.7/7.15)"
)
# What a trail names when the package table is used (no dataset entry was supplied).
PACKAGE_SOURCE = f"mapping/data/gwp.csv (package data, the same table as dataset {GWP_DATASET_ID})"
GwpTable = Mapping[str, Mapping[str, Decimal]]
_GAS_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9().,+-]{0,63}")


@dataclass(frozen=True)
class GwpRow:
    """One gas: its id, name, formula, value per set (``None`` where the report gives none) and source."""

    id: str
    gas: str
    formula: str
    values: dict[str, Decimal | None]
    source: str

    def __getitem__(self, key: str) -> object:
        """Row access by column: ``row["id"]``, ``row["source"]`` or a set id such as ``row["AR6"]``."""
        if key in self.values:
            return self.values[key]
        if key in ("id", "gas", "formula", "source"):
            return getattr(self, key)
        raise KeyError(key)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "gas": self.gas,
            "formula": self.formula,
            "values": {k: (None if v is None else str(v)) for k, v in self.values.items()},
            "source": self.source,
        }


@cache
def _rows() -> tuple[GwpRow, ...]:
    text = (resources.files("mapping") / "data" / "gwp.csv").read_text(encoding="utf-8")
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        values = {s: (Decimal(raw[c]) if raw[c].strip() else None) for s, c in GWP_CSV_COLUMNS.items()}
        rows.append(GwpRow(raw["id"], raw["gas"], raw["formula"], values, raw["source"]))
    return tuple(rows)


def gwp_table() -> list[GwpRow]:
    """The parsed table, one row per gas, in file order."""
    return list(_rows())


def gas_ids() -> tuple[str, ...]:
    return tuple(r.id for r in _rows())


def _row(gas: str) -> GwpRow:
    for r in _rows():
        if r.id == gas:
            return r
    raise MappingError(
        f"gas {gas!r} is not in the GWP table (known: {', '.join(gas_ids())})", code="mapping.unknown_gas", field=gas
    )


def check_set(gwp_set: str, field: str = "gwp_set") -> str:
    if gwp_set not in GWP_CSV_COLUMNS:
        raise MappingError(
            f"GWP set {gwp_set!r} is not in the table (known: {', '.join(GWP_SETS)})",
            code="mapping.unknown_gwp_set",
            field=field,
        )
    return gwp_set


def _cell(gas: str, gwp_set: str, table: GwpTable | None) -> Decimal | None:
    if table is None:
        return _row(gas).values[gwp_set]
    return table.get(gas, {}).get(gwp_set)


def _require_gas(gas: str, table: GwpTable | None) -> None:
    if table is None:
        _row(gas)
    elif gas not in table:
        raise MappingError(
            f"gas {gas!r} is not in the GWP table of the dataset entry (known: {', '.join(table)})",
            code="mapping.unknown_gas",
            field=gas,
        )


def _used_gas(gas: str, gwp_set: str, biogenic_method: str, table: GwpTable | None) -> str | None:
    """The row whose value applies to ``gas`` (the module docstring's rules), or ``None`` when none has one."""
    used = METHANE_FOSSIL if gas == METHANE_NON_FOSSIL and biogenic_method == "-1/+1" else gas
    if _cell(used, gwp_set, table) is not None:
        return used
    if used in (METHANE_FOSSIL, METHANE_NON_FOSSIL):
        split = (_cell(METHANE_FOSSIL, gwp_set, table), _cell(METHANE_NON_FOSSIL, gwp_set, table))
        if split == (None, None) and _cell(METHANE_UNSPLIT, gwp_set, table) is not None:
            return METHANE_UNSPLIT  # the report has no origin split (AR4): one methane value
    return None


def gwp_value(gas: str, gwp_set: str, *, biogenic_method: str = "0/0", table: GwpTable | None = None) -> Decimal:
    """The 100-year GWP of ``gas`` under ``gwp_set`` (kg CO2e per kg), by the rules in the module docstring.

    ``table`` (gas -> set -> value, e.g. from :func:`gwp_table_from_dataset`) replaces the package file."""
    check_set(gwp_set)
    if biogenic_method not in BIOGENIC_METHODS:
        raise MappingError(
            f"biogenic method {biogenic_method!r} is not one of {', '.join(BIOGENIC_METHODS)}",
            code="mapping.unknown_biogenic_method",
            field="biogenic_method",
        )
    _require_gas(gas, table)
    used = _used_gas(gas, gwp_set, biogenic_method, table)
    if used is None:
        where = "the GWP table" if table is None else "the GWP dataset entry"
        raise MappingError(f"{where} gives no {gwp_set} value for {gas}", code="mapping.gwp_missing", field=gas)
    value = _cell(used, gwp_set, table)
    assert value is not None  # _used_gas returns only a row that has a value
    return value


def co2e(masses: dict[str, Decimal], gwp_set: str, *, biogenic_method: str = "0/0") -> Decimal:
    """kg CO2e of ``masses`` (kg of each gas, as Decimal) under ``gwp_set``; exact Decimal arithmetic."""
    total = Decimal(0)
    with localcontext(CONTEXT):
        for gas, mass in masses.items():
            if not isinstance(mass, Decimal) or not mass.is_finite():
                raise MappingError(
                    f"mass of {gas} must be a finite Decimal, not {type(mass).__name__} ({mass!r})",
                    code="mapping.bad_quantity",
                    field=gas,
                )
            total += mass * gwp_value(gas, gwp_set, biogenic_method=biogenic_method)
    return total


def factor_record(
    gas: str,
    gwp_set: str,
    *,
    biogenic_method: str = "0/0",
    table: GwpTable | None = None,
    table_source: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A trail entry for one GWP factor: gas, set, value and where it comes from.

    With the package table, ``table`` names the file and ``source`` the row's IPCC reference. With a dataset
    ``table``, ``table`` is ``table_source`` (dataset, version, entry) and ``key`` the dataset key read."""
    used = gwp_value(gas, gwp_set, biogenic_method=biogenic_method, table=table)
    row_gas = _used_gas(gas, gwp_set, biogenic_method, table)
    if gas == METHANE_NON_FOSSIL and biogenic_method == "-1/+1":
        rule = "-1/+1 biogenic method: non-fossil methane takes the fossil value"
    elif row_gas == METHANE_UNSPLIT and gas != METHANE_UNSPLIT:
        rule = f"{gwp_set} has no methane origin split: the single methane value applies"
    else:
        rule = None
    if table is not None:
        out: dict[str, Any] = {
            "gas": gas,
            "gwp_set": gwp_set,
            "value": str(used),
            "table": dict(table_source or {}),
            "key": f"{row_gas}/{gwp_set}",
        }
        if rule:
            out["rule"] = rule
        return out
    note = _row(gas).source
    if row_gas is not None and row_gas != gas:
        note = f"{rule}; {_row(row_gas).source}"
    return {"gas": gas, "gwp_set": gwp_set, "value": str(used), "table": TABLE_SOURCE, "source": note}


def gwp_table_from_dataset(values: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Decimal]]:
    """The GWP table (gas -> set -> value) of an ``ipcc-gwp100`` dataset's ``values``.

    Each value is keyed ``"<gas>/<set>"`` with a known set (:data:`~mapping.vocabulary.GWP_SETS`), kind ``gwp``,
    unit ``dimensionless``, a ``gwp_set`` (when given) equal to the key's set and a decimal string value.
    Anything else — a JSON number, an unknown or duplicate key, another kind — raises :class:`MappingError`
    (``mapping.bad_dataset``, or ``mapping.bad_quantity`` for a number): nothing is guessed or skipped."""
    table: dict[str, dict[str, Decimal]] = {}
    for i, item in enumerate(values):
        where = f"/dataset/values/{i}"
        if not isinstance(item, Mapping):
            raise MappingError(f"{where} must be an object", code="mapping.bad_dataset", field=where)
        key = item.get("key")
        gas, _, gwp_set = key.rpartition("/") if isinstance(key, str) else ("", "", "")
        if not _GAS_ID.fullmatch(gas) or gwp_set not in GWP_SETS:
            raise MappingError(
                f"{where}/key {key!r} is not '<gas>/<set>' with a set among {', '.join(GWP_SETS)}",
                code="mapping.bad_dataset",
                field=f"{where}/key",
            )
        if item.get("kind") != GWP_VALUE_KIND or item.get("unit") != GWP_VALUE_UNIT:
            raise MappingError(
                f"{where} ({key}) is kind {item.get('kind')!r}, unit {item.get('unit')!r}: a GWP table holds "
                "kind 'gwp', unit 'dimensionless' values only",
                code="mapping.bad_dataset",
                field=f"{where}/kind",
            )
        if item.get("gwp_set", gwp_set) != gwp_set:
            raise MappingError(
                f"{where} ({key}) says gwp_set {item.get('gwp_set')!r}",
                code="mapping.bad_dataset",
                field=f"{where}/gwp_set",
            )
        value = parse_decimal(item.get("value"), f"{where}/value", nonnegative=True)
        if gwp_set in table.get(gas, {}):
            raise MappingError(f"{where}: key {key!r} appears twice", code="mapping.bad_dataset", field=f"{where}/key")
        table.setdefault(gas, {})[gwp_set] = value
    if not table:
        raise MappingError("the dataset holds no GWP values", code="mapping.bad_dataset", field="/dataset/values")
    return table


__all__ = [
    "BIOGENIC_METHODS",
    "GWP_DATASET_ID",
    "METHANE_FOSSIL",
    "METHANE_NON_FOSSIL",
    "METHANE_UNSPLIT",
    "PACKAGE_SOURCE",
    "TABLE_SOURCE",
    "GwpRow",
    "GwpTable",
    "check_set",
    "co2e",
    "factor_record",
    "gas_ids",
    "gwp_table",
    "gwp_table_from_dataset",
    "gwp_value",
]
