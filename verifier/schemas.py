"""JSON Schemas (Draft 2020-12) of every entry kind, shipped as package data.

Hot path: ``jsonschema-rs`` (Rust). The tests cross-check every schema and
example with the pure-Python ``jsonschema`` as an independent implementation.
Schemas reference each other by ``$id`` under :data:`SCHEMA_BASE`; the
registry below resolves those references from the package, never the network.

Dates are real dates: every date and time of every schema is ``common.schema.json``'s ``date`` or
``timestamp``, whose pattern fixes the shape and whose ``$ref`` to ``real_date`` / ``real_timestamp`` admits
only days and times that exist (no 30 February, no 29 February in 2025, no hour 25), exactly the strings
Python's ``date.fromisoformat`` / ``datetime.fromisoformat`` parse in that shape (a test checks them against
each other). Being patterns, they hold in any Draft 2020-12 validator and cost a label about 0.6 µs; the
``format`` beside them is an annotation (formats are not asserted: a validator's own ``date-time`` admits leap
seconds and year 0000, which the parsers refuse). A refused value names its JSON Pointer and says it is not a
real date.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from mapping.errors import SchemaError

SCHEMA_BASE = "https://schemas.carbonledger.invalid/v1/"
ENTRY_KINDS = (
    "scheme.register",
    "scheme.rotate",
    "key.authorize",
    "key.revoke",
    "profile.publish",
    "label.issue",
    "label.revoke",
    "label.supersede",
    "agreement.propose",
    "agreement.accept",
    "agreement.withdraw",
    "dataset.publish",
    "dataset.retire",
)


def schema_names() -> list[str]:
    """Names (file stems without ``.schema.json``) of every shipped schema."""
    folder = resources.files("verifier") / "schemas"
    return sorted(p.name.removesuffix(".schema.json") for p in folder.iterdir() if p.name.endswith(".schema.json"))


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema document ``name`` (e.g. ``label.issue`` or ``common``)."""
    path = resources.files("verifier") / "schemas" / f"{name}.schema.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SchemaError(f"no schema named {name!r}", code="schema.unknown") from e


@cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(load_schema(n)["$id"], load_schema(n)) for n in schema_names()])


@cache
def validator(name: str) -> Any:
    """A compiled ``jsonschema-rs`` validator for schema ``name``."""
    return compile_schema(load_schema(name))


def compile_schema(schema: dict[str, Any]) -> Any:
    """A ``jsonschema-rs`` validator for a schema document built from the shipped ones (its ``$ref`` s resolve
    against the shipped schemas)."""
    return jsonschema_rs.Draft202012Validator(schema, registry=_registry(), validate_formats=False)


# common.schema.json's definitions that admit only real calendar dates and times, and what a refusal says.
_CALENDAR_DEFS = {"real_date": "is not a real date", "real_timestamp": "is not a real date and time"}


def _calendar_refusal(error: Any) -> str | None:
    """What a refusal by a real-date pattern says (``None`` for any other error): the error itself, or an
    ``anyOf`` / ``oneOf`` (such as "a date or null") one of whose branches failed only by that pattern."""
    path = error.schema_path
    if len(path) >= 3 and path[-1] == "pattern" and path[-3] == "$defs" and str(path[-2]) in _CALENDAR_DEFS:
        return _CALENDAR_DEFS[str(path[-2])]
    for branch in getattr(error.kind, "context", None) or ():
        refusals = [_calendar_refusal(e) for e in branch]
        if refusals and None not in refusals:
            return refusals[0]
    return None


MAX_REPORTED_ERRORS = 50  # a document wrong everywhere gets the first fifty, and says how many more


def _pointer(error: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in error.instance_path)


def _said(error: Any) -> str:
    """The error as a person reads it: a date refused by the calendar, a date of the wrong shape, or the
    validator's own sentence (never a regular expression for a date)."""
    refusal = _calendar_refusal(error)
    if refusal is not None:
        return f"{json.dumps(error.instance, ensure_ascii=False)} {refusal}"
    pattern = getattr(error.kind, "pattern", None)
    if isinstance(pattern, str) and "[0-9]{4}-" in pattern.replace("[0-9]{3}", "[0-9]{4}"):
        shape = "a date and time YYYY-MM-DDTHH:MM:SSZ" if "T" in pattern else "a date YYYY-MM-DD"
        return f"{json.dumps(error.instance, ensure_ascii=False)} is not {shape}"
    return str(error.message)


def validate(name: str, document: Any) -> None:
    """Raise :class:`SchemaError` naming every failing field of ``document`` under schema ``name`` (one
    sentence per field, shallowest first; ``field`` is the first), so an issuer fixes a record in one pass.

    A value of the right shape naming a day or time that does not exist (``2026-02-30``, ``T25:00:00Z``) is
    refused as "not a real date"; a value of the wrong shape by its shape."""
    v = validator(name)
    if v.is_valid(document):
        return
    best: dict[str, Any] = {}
    # per field, a refusal by shape before one by the calendar: "x" is not a date at all, "2026-02-30" is not real
    for error in sorted(v.iter_errors(document), key=lambda e: (_calendar_refusal(e) is not None, _said(e))):
        best.setdefault(_pointer(error), error)
    ordered = sorted(best.items(), key=lambda kv: (len(kv[1].instance_path), kv[0]))
    problems = [{"field": pointer, "message": _said(error)} for pointer, error in ordered]
    shown = problems[:MAX_REPORTED_ERRORS]
    text = "; ".join(f"at {p['field']}: {p['message']}" for p in shown)
    if len(problems) > len(shown):
        text += f"; and {len(problems) - len(shown)} more"
    raise SchemaError(f"{name} schema: {text}", code="schema.invalid", field=shown[0]["field"], errors=shown)
