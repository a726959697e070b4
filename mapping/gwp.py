"""IPCC 100-year GWP values, read as data from ``mapping/data/gwp.csv`` (a verbatim copy of the domain table).

No value is typed into code. The rules that pick a row are:

* AR4 has no methane-origin split: ``CH4-fossil`` and ``CH4-non-fossil`` take AR4's one methane value (the
  ``CH4`` row) because the report gives none for them (their cells are blank).
* Under the ``-1/+1`` biogenic method, non-fossil methane takes the fossil value: the uptake of its carbon
  was already counted (schemes.md §5).
* Any other blank cell, an unknown gas or an unknown set is an error, never a default.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import cache
from importlib import resources

from .errors import MappingError
from .orderings import GWP_SETS
from .quantities import CONTEXT

_COLUMNS = {"AR4": "ar4", "AR5": "ar5", "AR5-feedback": "ar5_feedback", "AR6": "ar6"}
METHANE_UNSPLIT = "CH4"
METHANE_FOSSIL = "CH4-fossil"
METHANE_NON_FOSSIL = "CH4-non-fossil"
BIOGENIC_METHODS = ("0/0", "-1/+1", "storage-weighted", "excluded")
TABLE_SOURCE = (
    "mapping/data/gwp.csv (copy of shared/domain/gwp.csv; IPCC AR4 Table 2.14, AR5 Tables 8.A.1/8.7, "
    "AR6 Tables 7.SM.7/7.15)"
)


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
        values = {s: (Decimal(raw[c]) if raw[c].strip() else None) for s, c in _COLUMNS.items()}
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
    if gwp_set not in _COLUMNS:
        raise MappingError(
            f"GWP set {gwp_set!r} is not in the table (known: {', '.join(GWP_SETS)})",
            code="mapping.unknown_gwp_set",
            field=field,
        )
    return gwp_set


def gwp_value(gas: str, gwp_set: str, *, biogenic_method: str = "0/0") -> Decimal:
    """The 100-year GWP of ``gas`` under ``gwp_set`` (kg CO2e per kg), by the rules in the module docstring."""
    check_set(gwp_set)
    if biogenic_method not in BIOGENIC_METHODS:
        raise MappingError(
            f"biogenic method {biogenic_method!r} is not one of {', '.join(BIOGENIC_METHODS)}",
            code="mapping.unknown_biogenic_method",
            field="biogenic_method",
        )
    row = _row(gas)
    if gas == METHANE_NON_FOSSIL and biogenic_method == "-1/+1":
        row = _row(METHANE_FOSSIL)
    value = row.values[gwp_set]
    if value is None and gas in (METHANE_FOSSIL, METHANE_NON_FOSSIL):
        fossil, non_fossil = _row(METHANE_FOSSIL).values[gwp_set], _row(METHANE_NON_FOSSIL).values[gwp_set]
        if fossil is None and non_fossil is None:  # the report has no origin split (AR4): one methane value
            value = _row(METHANE_UNSPLIT).values[gwp_set]
    if value is None:
        raise MappingError(f"the GWP table gives no {gwp_set} value for {gas}", code="mapping.gwp_missing", field=gas)
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


def factor_record(gas: str, gwp_set: str, *, biogenic_method: str = "0/0") -> dict[str, str]:
    """A trail entry for one GWP factor: gas, set, value and where it comes from."""
    row = _row(gas)
    used = gwp_value(gas, gwp_set, biogenic_method=biogenic_method)
    note = row.source
    if gas == METHANE_NON_FOSSIL and biogenic_method == "-1/+1":
        note = f"-1/+1 biogenic method: non-fossil methane takes the fossil value; {_row(METHANE_FOSSIL).source}"
    elif row.values[gwp_set] is None:
        note = f"{gwp_set} has no methane origin split: the single methane value applies; {_row('CH4').source}"
    return {"gas": gas, "gwp_set": gwp_set, "value": str(used), "table": TABLE_SOURCE, "source": note}
