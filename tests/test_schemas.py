"""Every shipped schema is valid Draft 2020-12, and jsonschema (pure Python) agrees with jsonschema-rs."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from mapping.errors import SchemaError
from verifier import schemas

from .helpers import NOW, Signer, midea_label


def _registry() -> Registry:
    return Registry().with_resources(
        (schemas.load_schema(n)["$id"], Resource.from_contents(schemas.load_schema(n))) for n in schemas.schema_names()
    )


def _python_valid(name: str, doc: Any) -> bool:
    validator = jsonschema.Draft202012Validator(schemas.load_schema(name), registry=_registry())
    return validator.is_valid(doc)


@pytest.mark.parametrize("name", schemas.schema_names())
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = schemas.load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"{schemas.SCHEMA_BASE}{name}.schema.json"


def _examples() -> dict[str, dict[str, Any]]:
    root, cb = Signer(), Signer()
    hdr = {"signer": root.key_id, "seq": 0, "prev": "0" * 64, "signed_at": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return {
        "scheme.register": {
            **hdr,
            "kind": "scheme.register",
            "public_key": root.public_b64,
            "scheme": {
                "id": "gd-carbon-label",
                "name": "Guangdong carbon label",
                "role": "scheme",
                "name_zh": "广东碳标签",
                "country": "CN",
            },
        },
        "scheme.rotate": {**hdr, "kind": "scheme.rotate", "scheme": "gd-carbon-label", "new_public_key": cb.public_b64},
        "key.authorize": {
            **hdr,
            "kind": "key.authorize",
            "scheme": "gd-carbon-label",
            "public_key": cb.public_b64,
            "kinds": ["label.issue", "label.revoke"],
            "not_after": "2030-01-01T00:00:00Z",
            "holder": {"name": "CQC Guangzhou", "role": "certification-body"},
        },
        "key.revoke": {
            **hdr,
            "kind": "key.revoke",
            "scheme": "gd-carbon-label",
            "key_id": cb.key_id,
            "reason": "compromised",
            "effective_from_index": 3,
        },
        "label.issue": {**hdr, "kind": "label.issue", "label": midea_label()},
        "label.revoke": {
            **hdr,
            "kind": "label.revoke",
            "scheme": "gd-carbon-label",
            "label_id": "GD-1",
            "label_entry": "ab" * 32,
            "reason": "error",
        },
        "label.supersede": {
            **hdr,
            "kind": "label.supersede",
            "scheme": "gd-carbon-label",
            "label_id": "GD-1",
            "label_entry": "ab" * 32,
            "replacement_entry": "cd" * 32,
            "reason": "corrected",
        },
        **_examples_of_other_layers(),
    }


def _examples_of_other_layers() -> dict[str, dict[str, Any]]:
    """Examples kept beside the tests of the layer that owns those kinds."""
    from .test_agreements_schemas import examples as agreement_examples
    from .test_datasets_schema import publish_values, retire
    from .test_mapping_profiles import publish_example

    return {
        **agreement_examples(),
        "dataset.publish": publish_values(),
        "dataset.retire": retire(),
        "profile.publish": publish_example(),
    }


def test_every_entry_kind_has_an_example() -> None:
    assert set(schemas.ENTRY_KINDS) <= set(_examples())


@pytest.mark.parametrize("kind", schemas.ENTRY_KINDS)
def test_examples_valid_in_both_implementations(kind: str) -> None:
    doc = _examples()[kind]
    schemas.validate(kind, doc)
    assert _python_valid(kind, doc)


def _mutants(kind: str, doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for key in schemas.load_schema(kind)["required"]:
        d = copy.deepcopy(doc)
        del d[key]
        out.append((f"without {key}", d))
    d = copy.deepcopy(doc)
    d["unexpected"] = 1
    out.append(("extra member", d))
    d = copy.deepcopy(doc)
    d["seq"] = -1
    out.append(("negative seq", d))
    d = copy.deepcopy(doc)
    d["signer"] = d["signer"].upper()
    out.append(("upper-case key id", d))
    d = copy.deepcopy(doc)
    d["signed_at"] = "2026-11-24 12:00:00"
    out.append(("bad timestamp", d))
    return out


@pytest.mark.parametrize("kind", schemas.ENTRY_KINDS)
def test_both_implementations_reject_the_same_mutants(kind: str) -> None:
    for what, doc in _mutants(kind, _examples()[kind]):
        assert not _python_valid(kind, doc), what
        with pytest.raises(SchemaError):
            schemas.validate(kind, doc)


LABEL_MUTANTS = [
    ("/footprint/pcf/value", 12.5),
    ("/footprint/pcf/value", "12,5"),
    ("/footprint/pcf/unit", "tCO2e"),
    ("/footprint/declaredUnitOfMeasurement", "box"),
    ("/footprint/boundary", "cradle-to-cradle"),
    ("/footprint/ipccCharacterizationFactors", []),
    ("/footprint/ipccCharacterizationFactors", ["AR3"]),
    ("/footprint/primaryDataShare", "101"),
    ("/footprint/stages/use/masses_kg/CO2", "-1"),
    ("/verification/level", "strong"),
    ("/claim/type", "carbon-negative"),
    ("/issued_at", "2022-13-01"),
    ("/product/manufacturer/country", "China"),
]


@pytest.mark.parametrize(("pointer", "value"), LABEL_MUTANTS)
def test_label_record_mutants_rejected_by_both(pointer: str, value: Any) -> None:
    label = midea_label()
    target = label
    parts = pointer.strip("/").split("/")
    for p in parts[:-1]:
        target = target[p]
    target[parts[-1]] = value
    assert not _python_valid("label-record", label)
    with pytest.raises(SchemaError) as e:
        schemas.validate("label-record", label)
    assert e.value.field is not None and e.value.field.startswith(pointer.rsplit("/", 1)[0])
