"""Label records and entry envelopes read from files a person hands over, and the payloads of envelopes.

A label file holds the record itself, ``{"label": record}`` (the fields of a ``label.issue`` entry), or — for
reading only, never for signing — a DSSE envelope of a ``label.issue`` entry. Files are parsed strictly
(:func:`verifier.canonical.loads_strict`: no duplicate members, no floats) and are at most 1 MiB.
Reading an envelope's payload checks nothing of its signature: what it says is read, not believed.
"""

from __future__ import annotations

import binascii
from pathlib import Path
from typing import Any

from mapping.errors import InputError
from verifier.b64 import decode_canonical
from verifier.canonical import loads_strict

from .input_files import read_input_file

__all__ = [
    "MAX_FILE_BYTES",
    "envelope_payload",
    "read_json_file",
    "read_label_file",
    "read_label_record",
    "unwrap_label",
]

MAX_FILE_BYTES = 1 << 20


def read_json_file(path: Path, what: str) -> Any:
    """The strict JSON document in ``path`` (``input.unreadable`` when the file cannot be read)."""
    data = read_input_file(path, what)
    return loads_strict(data, what=what, max_bytes=MAX_FILE_BYTES)


def unwrap_label(doc: Any) -> Any:
    """The record of ``{"label": record}``; anything else as it is."""
    if isinstance(doc, dict) and "label" in doc and "label_id" not in doc:
        return doc["label"]
    return doc


def envelope_payload(envelope: dict[str, Any]) -> Any:
    """The strict JSON payload of a DSSE envelope (its signature unchecked)."""
    try:
        payload = decode_canonical(envelope.get("payload", ""))
    except (binascii.Error, ValueError, TypeError) as e:
        raise InputError(
            "the envelope's payload is not canonical padded base64", code="input.malformed", field="payload"
        ) from e
    return loads_strict(payload, what="envelope payload", max_bytes=MAX_FILE_BYTES)


def read_label_record(path: Path) -> Any:
    """The label record to sign from ``path``: the record, or ``{"label": record}`` (its schema is checked when
    the entry is built and admitted)."""
    return unwrap_label(read_json_file(path, "label record"))


def read_label_file(path: Path) -> dict[str, Any]:
    """A label record to read from ``path``: the record, ``{"label": record}``, or a DSSE envelope of a
    label.issue; ``input.malformed`` when it holds no label record (no ``footprint``)."""
    data = read_input_file(path, "label file")
    doc = loads_strict(data, what="label file", max_bytes=MAX_FILE_BYTES)
    if isinstance(doc, dict) and "payloadType" in doc:
        doc = envelope_payload(doc)
    doc = unwrap_label(doc)
    if not isinstance(doc, dict) or "footprint" not in doc:
        raise InputError(f"{path} holds no label record (no 'footprint')", code="input.malformed", field="footprint")
    return doc
