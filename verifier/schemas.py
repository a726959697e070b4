"""JSON Schemas (Draft 2020-12) of every entry kind, shipped as package data.

Hot path: ``jsonschema-rs`` (Rust). The tests cross-check every schema and
example with the pure-Python ``jsonschema`` as an independent implementation.
Schemas reference each other by ``$id`` under :data:`SCHEMA_BASE`; the
registry below resolves those references from the package, never the network.
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


def validate(name: str, document: Any) -> None:
    """Raise :class:`SchemaError` naming the first failing field of ``document`` under schema ``name``."""
    v = validator(name)
    if v.is_valid(document):
        return
    error = min(v.iter_errors(document), key=lambda e: (len(e.instance_path), e.message))
    pointer = "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in error.instance_path)
    raise SchemaError(f"{name} schema: at {pointer}: {error.message}", code="schema.invalid", field=pointer)
