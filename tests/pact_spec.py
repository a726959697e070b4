"""Validators from the PACT v3 specification's own OpenAPI document, when a checkout of it is at hand.

``PACT_SPEC_DIR`` names a checkout of wbcsd/data-exchange-protocol (or its ``spec/v3``); the document is
``spec/v3/openapi.yaml`` under it. The specification is not vendored (its licence lets it be shared only whole:
tests/vectors/pact/README.md), so without it these checks skip and tests/pact_schema.py, this project's own
statement of the same constraints, is the check that always runs.

OpenAPI 3.1 schemas are JSON Schema Draft 2020-12. The whole document is one registered resource, so the
``#/components/schemas/...`` references inside it resolve within it; formats (``uuid``, ``date-time``) are
checked.

Validation cannot tell a member the schema defines from one it merely lets through (no schema of the
specification says ``additionalProperties: false``), so :func:`undefined_members` compares names: it walks an
instance along the schema's ``properties``, following ``$ref``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "SPEC_URI",
    "error_validator",
    "errors",
    "event_validator",
    "footprint_validator",
    "resolve",
    "response_validator",
    "schema_members",
    "schema_validator",
    "spec_document",
    "spec_file",
    "undefined_members",
]

SPEC_URI = "urn:carbonledger:test:pact-v3-openapi"
"""The base URI the loaded document is registered under (any absolute URI does; references are relative)."""
_RELATIVE = Path("spec") / "v3" / "openapi.yaml"


def spec_file() -> Path | None:
    """The specification's ``openapi.yaml`` under ``PACT_SPEC_DIR``, or None when unset or not there."""
    root = os.environ.get("PACT_SPEC_DIR")
    if not root:
        return None
    base = Path(root)
    return next((p for p in (base / _RELATIVE, base / "openapi.yaml") if p.is_file()), None)


def _require() -> Path:
    path = spec_file()
    if path is None:
        where = os.environ.get("PACT_SPEC_DIR")
        pytest.skip(
            f"PACT_SPEC_DIR={where} has no {_RELATIVE}"
            if where
            else "PACT_SPEC_DIR is not set: no checkout of the PACT v3 specification to validate against"
        )
    return path


@cache
def spec_document() -> dict[str, Any]:
    """The specification's OpenAPI document (skips the calling test when there is none)."""
    yaml = pytest.importorskip("yaml", reason="PyYAML reads the specification's openapi.yaml (the test extra)")
    document = yaml.safe_load(_require().read_text(encoding="utf-8"))
    assert isinstance(document, dict) and str(document.get("openapi", "")).startswith("3.1"), "not OpenAPI 3.1"
    return document


def _validator(pointer: str) -> Any:
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    # Without rfc3339-validator jsonschema passes every date-time unchecked (the test extra installs it).
    assert {"uuid", "date-time"} <= set(checker.checkers), "jsonschema cannot check uuid and date-time here"
    registry = Registry().with_resource(SPEC_URI, Resource(contents=spec_document(), specification=DRAFT202012))
    return jsonschema.Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry, format_checker=checker)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


@cache
def footprint_validator() -> Any:
    """A validator of ``components/schemas/ProductFootprint``."""
    return _validator("/components/schemas/ProductFootprint")


@cache
def response_validator(path: str, status: str = "200") -> Any:
    """A validator of the ``application/json`` body the specification gives ``GET path`` for ``status``; a
    response that is a reference (the error responses) is followed to its content."""
    response = spec_document()["paths"][path]["get"]["responses"][status]
    pointer = f"/paths/{_escape(path)}/get/responses/{status}"
    if "content" not in response:  # e.g. {"$ref": "#/components/schemas/NotFoundResponse"}
        pointer = response["$ref"].removeprefix("#")
    return _validator(f"{pointer}/content/application~1json/schema")


@cache
def error_validator() -> Any:
    """A validator of the specification's error body, ``components/schemas/Error``."""
    return _validator("/components/schemas/Error")


@cache
def schema_validator(name: str) -> Any:
    """A validator of ``components/schemas/<name>`` (e.g. ``RequestFulfilledEvent``)."""
    return _validator(f"/components/schemas/{_escape(name)}")


@cache
def event_validator() -> Any:
    """A validator of the body ``POST /3/events`` takes: one of the specification's four CloudEvents."""
    return _validator("/paths/~13~1events/post/requestBody/content/application~1cloudevents+json/schema")


def errors(validator: Any, instance: Any) -> list[tuple[str, str, str]]:
    """Every way ``instance`` fails ``validator``: (JSON Pointer, keyword, message), sorted."""
    found = validator.iter_errors(instance)
    return sorted(("/" + "/".join(map(str, e.absolute_path)), str(e.validator), e.message[:200]) for e in found)


def resolve(schema: Any) -> Any:
    """``schema`` with every ``$ref`` (``#/...``, within the document) followed; its sibling keywords dropped."""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        target: Any = spec_document()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema = target
    return schema


def schema_members(name: str) -> set[str]:
    """The members ``components/schemas/<name>`` defines: its ``properties`` and the members its ``required`` lists."""
    schema = resolve({"$ref": f"#/components/schemas/{_escape(name)}"})
    return set(schema.get("properties", {})) | set(schema.get("required", []))


def undefined_members(instance: Any, name: str = "ProductFootprint") -> list[str]:
    """The JSON Pointer of every member of ``instance``, at every level, that ``components/schemas/<name>``
    does not define (nor the schemas its properties and items lead to, ``$ref`` followed); an object schema
    with no ``properties`` (a DataModelExtension's ``data``) is open, and not descended into."""
    out: list[str] = []
    _walk(instance, {"$ref": f"#/components/schemas/{_escape(name)}"}, "", out)
    return out


def _walk(value: Any, schema: Any, at: str, out: list[str]) -> None:
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        properties = schema["properties"]
        defined = set(properties) | set(schema.get("required", []))
        for key, item in value.items():
            where = f"{at}/{_escape(key)}"
            if key not in defined:
                out.append(where)
            elif key in properties:
                _walk(item, properties[key], where, out)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _walk(item, schema["items"], f"{at}/{i}", out)
