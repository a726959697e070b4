"""dataset.publish and dataset.retire schemas: Draft 2020-12; jsonschema (pure Python) agrees with jsonschema-rs."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from mapping.errors import SchemaError
from verifier import datasets, schemas
from verifier.envelope import parse_entry

from .helpers import NOW, Signer

HEADER = {"signer": "ab" * 32, "seq": 0, "prev": "0" * 64, "signed_at": "2026-11-24T12:00:00Z"}
ELECTRICITY_VALUE = {
    "key": "CN/2022",
    "value": "0.5366",
    "unit": "kgCO2/kWh",
    "kind": "combustion-co2",
    "year": 2022,
    "geography": "CN",
    "scope": "combustion",
    "gases": "CO2",
    "basis": "location",
    "td_losses_included": False,
    "gwp_set": "not-applicable",
    "source": "MEE and NBS, 2024-12-20 [S24]",
    "confidence": "confirmed",
}


def publish_values() -> dict[str, Any]:
    return {
        **HEADER,
        "kind": "dataset.publish",
        "publisher": "cn-mee",
        "dataset": {
            "id": "cn-grid-co2",
            "version": 1,
            "title": "China national electricity CO2 factors",
            "title_zh": "全国电力平均二氧化碳排放因子",
            "licence": "public announcement",
            "geography": "CN",
            "years": [2022],
            "values": [copy.deepcopy(ELECTRICITY_VALUE)],
        },
    }


def publish_release() -> dict[str, Any]:
    return {
        **HEADER,
        "kind": "dataset.publish",
        "publisher": "tiangong-lca",
        "dataset": {
            "id": "tiangong-lca-db",
            "version": 3,
            "title": "TianGong LCA database release",
            "licence": "per the publisher",
            "geography": "CN",
            "years": [2024],
            "release": {
                "name": "TianGong LCA",
                "version": "2024.1",
                "files": [{"name": "db.zip", "size": 1024, "sha256": "cd" * 32}],
            },
        },
    }


def retire() -> dict[str, Any]:
    return {
        **HEADER,
        "kind": "dataset.retire",
        "publisher": "cn-mee",
        "dataset": {"id": "cn-grid-co2", "version": 1, "entry": "ef" * 32},
        "reason": "transcription error in CN/2022",
    }


def _registry() -> Registry:
    return Registry().with_resources(
        (schemas.load_schema(n)["$id"], Resource.from_contents(schemas.load_schema(n))) for n in schemas.schema_names()
    )


def _python_valid(name: str, doc: Any) -> bool:
    return jsonschema.Draft202012Validator(schemas.load_schema(name), registry=_registry()).is_valid(doc)


def _both_reject(name: str, doc: Any) -> None:
    assert not _python_valid(name, doc)
    with pytest.raises(SchemaError):
        schemas.validate(name, doc)


@pytest.mark.parametrize("name", ["dataset.publish", "dataset.retire"])
def test_schema_is_valid_draft_2020_12_and_registered(name: str) -> None:
    schema = schemas.load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"https://schemas.carbonledger.invalid/v1/{name}.schema.json"
    assert name in schemas.ENTRY_KINDS
    assert schema["additionalProperties"] is False
    assert schema["required"][:5] == ["kind", "signer", "seq", "prev", "signed_at"]
    header = schemas.load_schema("key.authorize")["properties"]
    for member in ("signer", "seq", "prev", "signed_at"):
        assert schema["properties"][member] == header[member]


@pytest.mark.parametrize(
    ("name", "build"),
    [("dataset.publish", publish_values), ("dataset.publish", publish_release), ("dataset.retire", retire)],
)
def test_examples_valid_in_both_implementations(name: str, build: Any) -> None:
    doc = build()
    schemas.validate(name, doc)
    assert _python_valid(name, doc)


def _set(doc: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    parts = pointer.strip("/").split("/")
    target: Any = doc
    for p in parts[:-1]:
        target = target[int(p)] if isinstance(target, list) else target[p]
    if value is _DELETE:
        del target[parts[-1]]
    else:
        target[int(parts[-1]) if isinstance(target, list) else parts[-1]] = value
    return doc


_DELETE = object()
PUBLISH_MUTANTS = [
    ("/dataset/values/0/value", 0.5366),  # binary float
    ("/dataset/values/0/value", "5.366e-1"),
    ("/dataset/values/0/value", "0,5366"),
    ("/dataset/values/0/unit", "lbCO2/kWh"),
    ("/dataset/values/0/kind", "marginal"),
    ("/dataset/values/0/confidence", "probably"),
    ("/dataset/values/0/scope", "cradle"),
    ("/dataset/values/0/gases", "CH4"),
    ("/dataset/values/0/basis", "market"),
    ("/dataset/values/0/td_losses_included", "yes"),
    ("/dataset/values/0/gwp_set", "AR3"),
    ("/dataset/values/0/year", "2022"),
    ("/dataset/values/0/key", " padded"),
    ("/dataset/values/0/source", _DELETE),
    ("/dataset/values/0/confidence", _DELETE),
    ("/dataset/values/0/extra", 1),
    ("/dataset/values", []),
    ("/dataset/version", 0),
    ("/dataset/version", "1"),
    ("/dataset/id", "CN grid"),
    ("/dataset/years", [2022, 2022]),
    ("/dataset/licence", _DELETE),
    ("/dataset/values", _DELETE),  # neither values nor release
    ("/dataset/release", {"name": "x", "version": "1", "files": [{"name": "a", "size": 1, "sha256": "00" * 32}]}),
    ("/dataset/extra", True),
    ("/publisher", "Not A Scheme Id"),
    ("/publisher", _DELETE),
    ("/kind", "dataset.retire"),
]


@pytest.mark.parametrize(("pointer", "value"), PUBLISH_MUTANTS)
def test_publish_mutants_rejected_by_both(pointer: str, value: Any) -> None:
    _both_reject("dataset.publish", _set(publish_values(), pointer, value))


RELEASE_MUTANTS = [
    ("/dataset/release/files", []),
    ("/dataset/release/files/0/sha256", "CD" * 32),
    ("/dataset/release/files/0/size", -1),
    ("/dataset/release/files/0/size", 1.5),
    ("/dataset/release/files/0/name", _DELETE),
    ("/dataset/release/version", _DELETE),
]


@pytest.mark.parametrize(("pointer", "value"), RELEASE_MUTANTS)
def test_release_mutants_rejected_by_both(pointer: str, value: Any) -> None:
    _both_reject("dataset.publish", _set(publish_release(), pointer, value))


RETIRE_MUTANTS = [
    ("/dataset/entry", "xyz"),
    ("/dataset/version", 0),
    ("/dataset/values", []),
    ("/reason", _DELETE),
    ("/reason", ""),
    ("/publisher", _DELETE),
    ("/extra", 1),
]


@pytest.mark.parametrize(("pointer", "value"), RETIRE_MUTANTS)
def test_retire_mutants_rejected_by_both(pointer: str, value: Any) -> None:
    _both_reject("dataset.retire", _set(retire(), pointer, value))


@pytest.mark.parametrize("name", ["dataset.publish", "dataset.retire"])
@pytest.mark.parametrize(
    ("member", "value"),
    [("seq", -1), ("signer", "AB" * 32), ("signed_at", "2026-11-24 12:00:00"), ("prev", "0" * 63)],
)
def test_header_mutants_rejected_by_both(name: str, member: str, value: Any) -> None:
    doc = publish_values() if name == "dataset.publish" else retire()
    doc[member] = value
    _both_reject(name, doc)


def test_module_vocabularies_equal_the_schema_enums() -> None:
    item = schemas.load_schema("dataset.publish")["properties"]["dataset"]["properties"]["values"]["items"]
    props = item["properties"]
    assert tuple(props["unit"]["enum"]) == datasets.UNITS
    assert tuple(props["kind"]["enum"]) == datasets.KINDS
    assert tuple(props["scope"]["enum"]) == datasets.SCOPES
    assert tuple(props["gases"]["enum"]) == datasets.GASES
    assert tuple(props["basis"]["enum"]) == datasets.BASES
    assert tuple(props["gwp_set"]["enum"]) == datasets.GWP_SETS
    assert tuple(props["confidence"]["enum"]) == datasets.CONFIDENCE
    assert props["td_losses_included"]["enum"] == [True, False, "unspecified"]
    # the label record's electricity kinds are exactly the dataset's electricity kinds
    label = schemas.load_schema("label-record")["properties"]["footprint"]["properties"]["electricity"]
    assert tuple(label["items"]["properties"]["factor"]["properties"]["kind"]["enum"]) == datasets.ELECTRICITY_KINDS
    assert set(datasets.ELECTRICITY_ATTRIBUTES) <= set(props)


def test_signed_envelopes_parse() -> None:
    """A signed dataset.publish and dataset.retire pass the envelope checks (kind known, schema applied)."""
    signer = Signer()
    fields = {k: v for k, v in publish_values().items() if k not in HEADER and k != "kind"}
    entry = parse_entry(signer.sign("dataset.publish", fields, now=NOW))
    assert entry.body["dataset"]["values"][0]["value"] == "0.5366"
    fields = {k: v for k, v in retire().items() if k not in HEADER and k != "kind"}
    fields["dataset"]["entry"] = entry.entry_id
    assert parse_entry(signer.sign("dataset.retire", fields, now=NOW)).body["dataset"]["entry"] == entry.entry_id
