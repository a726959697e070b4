"""Background datasets, read side and publish preparation: pure functions over a :class:`~ledger.log.Log`.

Issue 8: "a data publisher publishes versioned emission-factor datasets"; buyers and tools list them and
read one version's signed values. Statuses come from :func:`verifier.datasets.version_statuses` over each
dataset id's versions (``current``, ``superseded`` or ``retired``), and the values are read from the logged
``dataset.publish`` payload itself — never from a copy — so what is shown is what the publisher signed.

Shared by ``carbonledger dataset …`` (cli/dataset_cmds.py), ``GET /v1/datasets`` (ledger/api/dataset_routes.py)
and the ``/datasets`` pages (ledger/web/datasets.py).

Errors: :class:`~mapping.errors.NotFoundError` ``dataset.unknown`` / ``dataset.unknown_version``;
:class:`~mapping.errors.InputError` ``dataset.file_invalid`` (a dataset body file that is not a JSON object)
and ``dataset.too_large`` (the signed entry would exceed one entry's 64 KiB); schema and check errors from
:mod:`verifier.schemas` and :mod:`verifier.datasets` as they are.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mapping.errors import InputError, NotFoundError
from verifier import datasets, schemas
from verifier.canonical import canonicalize, loads_strict
from verifier.envelope import ENTRY_PAYLOAD_TYPE, MAX_ENTRY_BYTES, ZERO_ENTRY_ID, parse_entry

from .input_files import read_input_file
from .log import Log
from .tables import DatasetRow

__all__ = [
    "MAX_DATASET_FILE_BYTES",
    "VALUE_MEMBERS",
    "build_publish_fields",
    "build_retire_fields",
    "check_publish_fields",
    "dataset_list",
    "dataset_show",
    "envelope_size_bound",
    "read_dataset_file",
]

MAX_DATASET_FILE_BYTES = 1 << 20
# Members every printed value carries (``year`` is None where the publisher stated none, e.g. a GWP).
VALUE_MEMBERS = ("key", "value", "unit", "kind", "year", "geography", "source", "confidence")
# Upper bounds of the entry header, so a size estimate never comes out below the real envelope.
_MAX_SEQ = 9007199254740991
_PLACEHOLDER_SIGNER = "f" * 64
_PLACEHOLDER_TIME = "2000-01-01T00:00:00Z"
_SIG_B64_LEN = 88  # base64 of a 64-byte Ed25519 signature


# --- read side ------------------------------------------------------------------------------------------------


def _statuses(rows: list[DatasetRow]) -> dict[int, str]:
    return datasets.version_statuses([r.version for r in rows], [r.version for r in rows if r.status == "retired"])


def _summary(row: DatasetRow, status: str) -> dict[str, Any]:
    return {
        "id": row.dataset_id,
        "version": row.version,
        "publisher": row.publisher,
        "status": status,
        "ledger_index": row.idx,
        "title": row.title,
        "entry_id": row.entry_id,
    }


def _by_id(rows: list[DatasetRow]) -> dict[str, list[DatasetRow]]:
    out: dict[str, list[DatasetRow]] = {}
    for r in rows:
        out.setdefault(r.dataset_id, []).append(r)
    return out


def dataset_list(log: Log, publisher: str | None = None) -> list[dict[str, Any]]:
    """Every published version of every dataset (of ``publisher``, when given), by id then version.

    Each item: ``id``, ``version``, ``publisher``, ``status`` (``current``, ``superseded`` or ``retired``),
    ``ledger_index`` (the ``dataset.publish`` entry's log index), ``title`` and ``entry_id``.
    """
    out: list[dict[str, Any]] = []
    for _, rows in sorted(_by_id(log.store.dataset_rows()).items()):
        statuses = _statuses(rows)
        out.extend(
            _summary(r, statuses[r.version])
            for r in sorted(rows, key=lambda r: r.version)
            if publisher is None or r.publisher == publisher
        )
    return out


def _payload(log: Log, index: int | None) -> dict[str, Any]:
    row = None if index is None else log.store.entry(index)
    if row is None:  # the dataset row and its entries are written in one transaction
        raise NotFoundError(f"no entry at index {index} in the log", code="dataset.unknown")
    return parse_entry(row.envelope).body


def _value(item: Mapping[str, Any]) -> dict[str, Any]:
    """A signed value as printed: the listed members first (``year`` None when absent), then the rest."""
    out = {m: item.get(m) for m in VALUE_MEMBERS}
    out.update({k: v for k, v in item.items() if k not in out})
    return out


def dataset_show(log: Log, dataset_id: str, version: int | None = None) -> dict[str, Any]:
    """One version of a dataset (default: the current one; if every version is retired, the newest).

    The :func:`dataset_list` item plus ``newer_versions`` (published, not retired versions above it),
    ``versions`` (every version with its status), the dataset's ``licence``, ``geography``, ``years`` and
    other signed members, ``retired`` (``{index, entry_id, reason}`` or None), and ``values`` (each with
    :data:`VALUE_MEMBERS` then its other signed members, ``value`` a decimal string) — or, for a release
    digest, ``release`` instead of ``values``.
    """
    rows = log.store.dataset_rows(dataset_id)
    if not rows:
        raise NotFoundError(f"no dataset {dataset_id!r} in this log", code="dataset.unknown", field="id")
    statuses = _statuses(rows)
    by_version = {r.version: r for r in rows}
    if version is None:
        current = [v for v, s in statuses.items() if s == "current"]
        version = current[0] if current else max(by_version)
    row = by_version.get(version)
    if row is None:
        raise NotFoundError(
            f"dataset {dataset_id!r} has no version {version} (published: {sorted(by_version)})",
            code="dataset.unknown_version",
            field="version",
        )
    retired = [r.version for r in rows if r.status == "retired"]
    body = _payload(log, row.idx)
    dataset = body["dataset"]
    out = _summary(row, statuses[version])
    out["title"] = dataset.get("title", row.title)
    out["newer_versions"] = datasets.newer_versions(version, by_version, retired)
    out["versions"] = [
        {"version": v, "status": statuses[v], "ledger_index": by_version[v].idx, "entry_id": by_version[v].entry_id}
        for v in sorted(by_version)
    ]
    for member in ("title_zh", "licence", "geography", "years", "description", "transcribed_by"):
        if member in dataset:
            out[member] = dataset[member]
    out["retired"] = None
    if row.status == "retired" and row.retire_entry:
        reason = _payload(log, row.retired_index).get("reason")
        out["retired"] = {"index": row.retired_index, "entry_id": row.retire_entry, "reason": reason}
    if dataset.get("values") is not None:
        out["values"] = [_value(item) for item in dataset["values"]]
    else:
        out["release"] = dataset.get("release")
    return out


# --- publishing -----------------------------------------------------------------------------------------------


def read_dataset_file(path: Path) -> dict[str, Any]:
    """A dataset body JSON file (the ``dataset`` object of a ``dataset.publish`` payload), strictly parsed.

    Floats, NaN and duplicate members are refused (:func:`verifier.canonical.loads_strict`); a file holding a
    whole ``{"publisher", "dataset"}`` payload yields its ``dataset``.
    """
    data = read_input_file(path, "dataset file")
    body = loads_strict(data, what="dataset file", max_bytes=MAX_DATASET_FILE_BYTES)
    if isinstance(body, dict) and isinstance(body.get("dataset"), dict) and "id" not in body:
        body = body["dataset"]
    if not isinstance(body, dict):
        raise InputError(
            "a dataset file is a JSON object: the 'dataset' of a dataset.publish payload",
            code="dataset.file_invalid",
        )
    return body


def _placeholder_payload(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with the largest possible entry header, as the schema and the size check see it."""
    return {
        "kind": kind,
        "signer": _PLACEHOLDER_SIGNER,
        "seq": _MAX_SEQ,
        "prev": ZERO_ENTRY_ID,
        "signed_at": _PLACEHOLDER_TIME,
        **fields,
    }


def envelope_size_bound(kind: str, fields: Mapping[str, Any]) -> int:
    """An upper bound (within a few bytes of exact) of the signed envelope's size for ``fields``."""
    payload = canonicalize(_placeholder_payload(kind, fields))
    envelope = canonicalize(
        {
            "payload": base64.b64encode(payload).decode("ascii"),
            "payloadType": ENTRY_PAYLOAD_TYPE,
            "signatures": [{"keyid": _PLACEHOLDER_SIGNER, "sig": "A" * _SIG_B64_LEN}],
        }
    )
    return len(envelope)


def check_publish_fields(fields: Mapping[str, Any]) -> int:
    """Check ``{"publisher", "dataset"}`` before anything is signed; return the envelope size bound.

    The payload shape (``dataset.publish`` schema), then :func:`verifier.datasets.check_dataset`, then the
    size: one entry is at most 64 KiB, so a bigger table is refused with ``dataset.too_large``.
    """
    payload = _placeholder_payload("dataset.publish", fields)
    dataset = fields.get("dataset")
    if isinstance(dataset, Mapping) and isinstance(dataset.get("values"), list):
        # a number written as a JSON number is dataset.float (the schema would only call it a type error)
        for i, item in enumerate(dataset["values"]):
            if isinstance(item, Mapping) and isinstance(item.get("value"), int | float):
                datasets.parse_value(item["value"], f"/dataset/values/{i}/value")
    schemas.validate("dataset.publish", payload)
    datasets.check_dataset(payload)
    size = envelope_size_bound("dataset.publish", fields)
    if size > MAX_ENTRY_BYTES:
        n = len(dataset.get("values") or ()) if isinstance(dataset, Mapping) else 0
        raise InputError(
            f"the signed dataset.publish entry would be about {size} bytes, over the limit of {MAX_ENTRY_BYTES} "
            f"bytes for one entry ({n} values); split the table into several datasets (e.g. by geography or "
            "year), or publish a release digest of the file (dataset 'release' with its sha256) instead",
            code="dataset.too_large",
            field="/dataset/values",
        )
    return size


def build_publish_fields(body: Mapping[str, Any], publisher: str) -> dict[str, Any]:
    """The ``dataset.publish`` fields (``publisher`` and ``dataset``) for a dataset body, checked as
    :func:`check_publish_fields` does."""
    fields = {"publisher": publisher, "dataset": dict(body)}
    check_publish_fields(fields)
    return fields


def build_retire_fields(log: Log, dataset_id: str, version: int, publisher: str, reason: str) -> dict[str, Any]:
    """The ``dataset.retire`` fields for a published version, naming the entry that published it."""
    rows = log.store.dataset_rows(dataset_id)
    if not rows:
        raise NotFoundError(f"no dataset {dataset_id!r} in this log", code="dataset.unknown", field="id")
    row = next((r for r in rows if r.version == version), None)
    if row is None:
        raise NotFoundError(
            f"dataset {dataset_id!r} has no version {version} (published: {sorted(r.version for r in rows)})",
            code="dataset.unknown_version",
            field="version",
        )
    fields = {
        "publisher": publisher,
        "dataset": {"id": dataset_id, "version": version, "entry": row.entry_id},
        "reason": reason,
    }
    schemas.validate("dataset.retire", _placeholder_payload("dataset.retire", fields))
    return fields
