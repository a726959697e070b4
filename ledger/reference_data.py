"""Reference datasets shipped with carbonledger: transcribed, not issued by the authorities.

Issue 8: "Shipped datasets, signed by a reference-data key named for what it is (transcribed by
carbonledger, not issued by the authorities), each value tagged with its source and confidence exactly
as in schemes.md §3 and only the values found there".

The electricity datasets are JSON files under ``ledger/data/datasets/`` (each the ``dataset`` object of a
``dataset.publish`` payload, unsigned); so are the release digests of a background LCA database (issue 20:
"Tiangong-style database releases published as release-digest datasets that labels cite"), one file per release,
each a version of its dataset (:func:`shipped_releases`; illustrative, and marked so); the IPCC GWP100 dataset is
built from ``gwp.csv`` text by :func:`gwp_dataset_from_csv`. Signing and publishing them is the caller's job, under
the publisher id :data:`REFERENCE_PUBLISHER`. Pure apart from reading the package's own data files.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from mapping.errors import InputError

__all__ = [
    "GWP_DATASET_ID",
    "REFERENCE_PUBLISHER",
    "TRANSCRIBED_BY",
    "gwp_dataset",
    "gwp_dataset_from_csv",
    "shipped_datasets",
    "shipped_releases",
]

REFERENCE_PUBLISHER = "carbonledger-reference-data"
TRANSCRIBED_BY = "carbonledger reference data (transcribed; not issued by the authority)"
GWP_DATASET_ID = "ipcc-gwp100"
_LICENCE = (
    "The values are public facts transcribed from the publications named in each value's source; no licence "
    "of the original publications was recorded, so check the publisher's own terms before reuse. The "
    "transcription ships with carbonledger (Apache-2.0)."
)
# gwp.csv columns holding values, and the set names the label record uses (ipccCharacterizationFactors).
_GWP_COLUMNS = (("ar4", "AR4"), ("ar5", "AR5"), ("ar5_feedback", "AR5-feedback"), ("ar6", "AR6"))
_GWP_REQUIRED_COLUMNS = ("id", "gas", *(c for c, _ in _GWP_COLUMNS), "source")
_PLAIN_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,12})?")
# When each set's Working Group I report was published: the year only, from general knowledge ([K]): no source
# read states it (schemes.md §1a names "IPCC 2013 (AR5)" [K]). A label citing a GWP of a report published after
# its issue date is flagged (verifier/citations_published.py).
_GWP_PUBLISHED = {
    "AR4": {"date": "unspecified", "year": 2007, "source": "[K] IPCC AR4 WG1 (2007)"},
    "AR5": {"date": "unspecified", "year": 2013, "source": "[K] IPCC AR5 WG1 (2013)"},
    "AR5-feedback": {"date": "unspecified", "year": 2013, "source": "[K] IPCC AR5 WG1 (2013)"},
    "AR6": {"date": "unspecified", "year": 2021, "source": "[K] IPCC AR6 WG1 (2021)"},
}


def _shipped_bodies() -> list[dict[str, Any]]:
    folder = resources.files("ledger") / "data" / "datasets"
    return [json.loads(p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith(".json")]


def shipped_datasets() -> list[dict[str, Any]]:
    """The shipped electricity datasets — factor tables (``dataset`` bodies with ``values``, unsigned), one version
    each — ordered by dataset id."""
    return sorted((b for b in _shipped_bodies() if "values" in b), key=lambda b: b["id"])


def shipped_releases() -> list[dict[str, Any]]:
    """The shipped release digests (``dataset`` bodies with ``release``, unsigned: each version of a dataset is
    one release of the database, listing its files' sizes and SHA-256), ordered by dataset id then version, so
    publishing them in order publishes each dataset's versions in increasing order."""
    return sorted((b for b in _shipped_bodies() if "release" in b), key=lambda b: (b["id"], b["version"]))


def _gwp_confidence(gas: str, gwp_set: str) -> str:
    """The confidence of one gwp.csv cell, as schemes.md §5 tags it.

    §5: "Every cell of gwp.csv except the methane-origin rows matches openclimatedata/globalwarmingpotentials
    at fc4e6f4 (checked programmatically)". The origin rows come from secondary sources: "Table 7.15 gives
    CH4-fossil 29.8 … and CH4-non-fossil 27.0 [S3, S4]"; "AR5 fossil CH4 = 30 (no feedback) is also secondary
    [S4, S70]"; "AR5 fossil with feedback = 36 comes only from a GitHub issue [S3]: **unconfirmed**."
    """
    if gas == "CH4-fossil" and gwp_set == "AR5-feedback":
        return "unconfirmed"
    if gas in ("CH4-fossil", "CH4-non-fossil"):
        return "secondary"
    return "confirmed"


def gwp_dataset(rows: Iterable[Mapping[str, str]]) -> dict[str, Any]:
    """The IPCC GWP100 dataset body from gwp.csv rows (mappings with the CSV's column names).

    One value per (gas, set) cell that holds a number: key ``"<gas id>/<set>"``, unit ``dimensionless``,
    kind ``gwp``, the set in ``gwp_set``, the row's ``source`` column as its source, and the year its report was
    published (``published``, [K]). A blank cell (e.g.
    AR4 has no methane-origin split) yields no value. Raises :class:`InputError` ``dataset.import_invalid``
    naming the row and column of a malformed cell.
    """
    values: list[dict[str, Any]] = []
    for n, row in enumerate(rows, start=2):
        for column in ("id", "gas", "source"):
            if not (row.get(column) or "").strip():
                raise InputError(
                    f"gwp.csv row {n}: column {column!r} is empty",
                    code="dataset.import_invalid",
                    field=f"row {n}, column {column}",
                )
        gas = row["id"].strip()
        for column, gwp_set in _GWP_COLUMNS:
            cell = (row.get(column) or "").strip()
            if not cell:
                continue
            if not _PLAIN_DECIMAL.fullmatch(cell):
                raise InputError(
                    f"gwp.csv row {n}: {cell!r} is not a plain non-negative decimal",
                    code="dataset.import_invalid",
                    field=f"row {n}, column {column}",
                )
            values.append(
                {
                    "key": f"{gas}/{gwp_set}",
                    "value": cell,
                    "unit": "dimensionless",
                    "kind": "gwp",
                    "geography": "global",
                    "name": row["gas"].strip(),
                    "gwp_set": gwp_set,
                    "source": row["source"].strip(),
                    "published": dict(_GWP_PUBLISHED[gwp_set]),
                    "confidence": _gwp_confidence(gas, gwp_set),
                }
            )
    if not values:
        raise InputError("gwp.csv holds no values", code="dataset.import_invalid", field="row 2")
    return {
        "id": GWP_DATASET_ID,
        "version": 1,
        "title": "IPCC GWP100 values: AR4, AR5 (without and with climate-carbon feedback) and AR6",
        "licence": _LICENCE,
        "geography": "global",
        "years": [],
        "description": (
            "100-year global warming potentials from IPCC AR4 WG1 Table 2.14, AR5 WG1 Table 8.A.1 (without "
            "climate-carbon feedback) and Table 8.SM.16 / 8.7 (with feedback), AR6 WG1 Table 7.SM.7 and Table 7.15 "
            "(fossil / non-fossil methane), as checked in carbonledger's gwp.csv (schemes.md §5). The methane-origin "
            "values come from secondary sources; AR5 fossil methane with feedback (36) is unconfirmed."
        ),
        "transcribed_by": TRANSCRIBED_BY,
        "values": values,
    }


def gwp_dataset_from_csv(text: str) -> dict[str, Any]:
    """:func:`gwp_dataset` of gwp.csv ``text`` (header ``id,gas,formula,ar4,ar5,ar5_feedback,ar6,source``)."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    missing = [c for c in _GWP_REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InputError(
            f"gwp.csv lacks column(s) {missing}", code="dataset.import_invalid", field=f"row 1, column {missing[0]}"
        )
    return gwp_dataset(list(reader))
