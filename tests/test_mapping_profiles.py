"""Profiles: every shipped profile validates (cross-checked with the pure-Python jsonschema), lookups, versions,
semantic checks, the schema copies, and the profile.publish entry schema."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from mapping.errors import MappingError, SchemaError
from mapping.profiles import DIMENSIONS, Profile, get_profile, list_profiles, profile_schema, validate_profile
from verifier import schemas

from .helpers import NOW, Signer

REQUIRED_IDS = {
    "gd-carbon-label",
    "hk-cma-carbon-label",
    "cn-cnca-cfp-label",
    "cn-huzhou-carbon-label",
    "gbt24067-2024",
    "iso14067-2018",
    "pas2050-2011",
    "ghgp-product-2011",
    "carbontrust-label",
    "epd-intl-en15804a2",
    "eu-pef-ef31",
    "jp-sumpo-cfp",
    "kr-keiti-cfp",
    "pact-v3",
    "eu-battery-cfb",
}
STANDARDS = {
    "iso14025-2006",
    "iso14026-2017",
    "iso14083-2023",
    "en15804-a1",
    "catenax-pcf-rulebook",
    "tfs-pcf-guideline",
    "jp-meti-moe-cfp-guideline-2023",
    "iso14067-2018",
    "gbt24067-2024",
    "pas2050-2011",
    "ghgp-product-2011",
    "eu-pef-ef31",
    "pact-v3",
    "en15804-a2",
}
ROOT = Path(__file__).resolve().parent.parent


def _docs() -> list[dict[str, Any]]:
    folder = resources.files("mapping") / "data" / "profiles"
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".json")
    ]


def test_schema_copies_are_identical() -> None:
    assert (ROOT / "mapping/data/profile.schema.json").read_bytes() == (
        ROOT / "verifier/schemas/profile.schema.json"
    ).read_bytes()
    assert profile_schema()["$id"] == f"{schemas.SCHEMA_BASE}profile.schema.json"


def test_required_profiles_are_shipped_with_the_right_kinds() -> None:
    ids = {p.id for p in list_profiles()}
    assert REQUIRED_IDS <= ids
    for p in list_profiles():
        assert isinstance(p, Profile)
        assert p.kind == ("standard" if p.id in STANDARDS else "scheme")
        # a scheme whose followed standard no source names extends nothing, and its source says so ([?]; issue 20)
        assert p.kind == "scheme" or p.extends is None
        assert p.extends is not None or p.kind == "standard" or "[?]" in p.to_dict()["source"]
        assert p.version == "1"


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: d["id"])
def test_every_shipped_profile_validates_in_both_implementations(doc: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(profile_schema())
    jsonschema.Draft202012Validator(profile_schema()).validate(doc)
    assert validate_profile(doc).to_dict() == doc


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: d["id"])
def test_every_dimension_cites_a_source(doc: dict[str, Any]) -> None:
    assert list(doc["dimensions"]) == list(DIMENSIONS)
    for name, dim in doc["dimensions"].items():
        assert re.search(r"schemes\.md|\[S\d+|\[N\d+|\[K\]|\[\?\]", dim["source"]), (doc["id"], name)
        if dim["value"] == "unspecified":
            assert "[?]" in dim["source"] or "[K]" in dim["source"], (doc["id"], name)
    cited = set(re.findall(r"\b[SN]\d+b?\b", json.dumps(doc["dimensions"]) + doc["source"]))
    assert cited <= set(doc["references"]), doc["id"]


def test_silent_sources_say_unspecified() -> None:
    gd = get_profile("gd-carbon-label")
    assert gd.dimension("gwp_sets").unspecified and gd.dimension("electricity_basis").unspecified
    assert gd.dimension("boundary").value == ["cradle-to-grave"]
    assert get_profile("pact-v3").dimension("gwp_sets").value == ["AR6"]
    assert get_profile("eu-battery-cfb").dimension("boundary").get("excluded_stages") == ["use"]


def test_lookup_errors() -> None:
    assert get_profile("pact-v3", "1").id == "pact-v3"
    with pytest.raises(MappingError) as e:
        get_profile("nope")
    assert (e.value.code, e.value.field) == ("mapping.unknown_profile", "profile")
    with pytest.raises(MappingError) as e:
        get_profile("pact-v3", "9")
    assert (e.value.code, e.value.field) == ("mapping.unknown_profile_version", "profile")


def _mutant(pointer: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(get_profile("gd-carbon-label").to_dict())
    target = doc
    parts = pointer.strip("/").split("/")
    for p in parts[:-1]:
        target = target[p]
    if value is _DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return doc


_DELETE = object()
MUTANTS = [
    ("/dimensions/gwp_sets/value", ["AR3"]),
    ("/dimensions/gwp_sets/value", "guess"),
    ("/dimensions/boundary/source", ""),
    ("/dimensions/validity", _DELETE),
    ("/kind", "club"),
    ("/version", ""),
    ("/tolerances/gas_total_relative/value", "1.5"),
    ("/dimensions/cut_off/value", {"max_exempted_percent": 5}),
]


@pytest.mark.parametrize(("pointer", "value"), MUTANTS)
def test_structural_mutants_are_refused_by_both(pointer: str, value: Any) -> None:
    doc = _mutant(pointer, value)
    assert not jsonschema.Draft202012Validator(profile_schema()).is_valid(doc)
    with pytest.raises(MappingError) as e:
        validate_profile(doc)
    assert e.value.code == "mapping.invalid_profile"
    assert e.value.field is not None and e.value.field.startswith(pointer.rsplit("/", 1)[0])


@pytest.mark.parametrize(
    ("pointer", "value", "code"),
    [
        ("/source", "schemes.md §2.10 [S13]", "mapping.invalid_profile"),  # extends nothing, yet no [?] says why
        ("/extends", {"id": "gd-carbon-label", "version": "1"}, "mapping.unknown_profile"),
        ("/extends", {"id": "iso14067-2018", "version": "7"}, "mapping.unknown_profile"),
        (
            "/dimensions/boundary",
            {"value": ["gate-to-gate"], "source": "test [?]", "excluded_stages": ["use"]},
            "mapping.invalid_profile",
        ),
        ("/dimensions/validity", {"value": {"years": 2}, "source": "test [?]"}, "mapping.invalid_profile"),
    ],
)
def test_semantic_mutants_are_refused(pointer: str, value: Any, code: str) -> None:
    with pytest.raises(MappingError) as e:
        validate_profile(_mutant(pointer, value))
    assert e.value.code == code


def publish_example() -> dict[str, Any]:
    """A valid profile.publish entry (used by tests/test_schemas.py's examples of other layers)."""
    root = Signer()
    return {
        "kind": "profile.publish",
        "signer": root.key_id,
        "seq": 0,
        "prev": "0" * 64,
        "signed_at": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scheme": "gd-carbon-label",
        "profile": get_profile("gd-carbon-label").to_dict(),
    }


def test_profile_publish_entry_schema() -> None:
    assert "profile.publish" in schemas.ENTRY_KINDS
    entry = publish_example()
    registry = Registry().with_resources(
        (schemas.load_schema(n)["$id"], Resource.from_contents(schemas.load_schema(n))) for n in schemas.schema_names()
    )
    python = jsonschema.Draft202012Validator(schemas.load_schema("profile.publish"), registry=registry)
    schemas.validate("profile.publish", entry)
    assert python.is_valid(entry)
    for key in ("kind", "signer", "seq", "prev", "signed_at", "scheme", "profile"):
        broken = {k: v for k, v in entry.items() if k != key}
        assert not python.is_valid(broken)
        with pytest.raises(SchemaError):
            schemas.validate("profile.publish", broken)
    bad_profile = copy.deepcopy(entry)
    bad_profile["profile"]["dimensions"]["gwp_sets"]["value"] = ["AR3"]
    assert not python.is_valid(bad_profile)
    with pytest.raises(SchemaError):
        schemas.validate("profile.publish", bad_profile)
    header = json.loads((ROOT / "verifier/schemas/key.authorize.schema.json").read_text())["properties"]
    ours = schemas.load_schema("profile.publish")["properties"]
    for key in ("signer", "seq", "prev", "signed_at"):
        assert ours[key] == header[key]
