"""Agreement schemas (Draft 2020-12), cross-checked with pure-Python ``jsonschema``; terms hashing; payloads."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import rfc8785
from referencing import Registry, Resource

from mapping.errors import InputError, MappingError, SchemaError
from verifier import schemas
from verifier.agreements import (
    check_propose_payload,
    event_from_payload,
    label_fields,
    parse_proposed_terms,
    terms_hash,
)

from .helpers import NOW, Signer
from .test_agreements_terms import KNOWN_CONVERSIONS, base_terms

AGREEMENTS = Path(__file__).parent.parent / "mapping" / "data" / "agreements"
KINDS = ("agreement.propose", "agreement.accept", "agreement.withdraw")


def _registry() -> Registry:
    return Registry().with_resources(
        (schemas.load_schema(n)["$id"], Resource.from_contents(schemas.load_schema(n))) for n in schemas.schema_names()
    )


def python_valid(name: str, doc: Any) -> bool:
    return jsonschema.Draft202012Validator(schemas.load_schema(name), registry=_registry()).is_valid(doc)


def rs_valid(name: str, doc: Any) -> bool:
    try:
        schemas.validate(name, doc)
    except SchemaError:
        return False
    return True


def examples() -> dict[str, dict[str, Any]]:
    root = Signer()
    hdr = {"signer": root.key_id, "seq": 3, "prev": "ab" * 32, "signed_at": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}
    terms = base_terms()
    h = terms_hash(terms)
    return {
        "agreement.propose": {
            **hdr,
            "kind": "agreement.propose",
            "scheme": "gd-carbon-label",
            "terms": terms,
            "terms_hash": h,
        },
        "agreement.accept": {
            **hdr,
            "kind": "agreement.accept",
            "scheme": "hk-cma-carbon-label",
            "agreement": {"id": "gd-hk-mutual", "version": 1, "terms_hash": h},
        },
        "agreement.withdraw": {
            **hdr,
            "kind": "agreement.withdraw",
            "scheme": "hk-cma-carbon-label",
            "agreement": {"id": "gd-hk-mutual", "version": 1, "terms_hash": h},
            "reason": "the MoU's detailed rules replaced these terms",
        },
    }


def test_kinds_are_entry_kinds_with_schemas() -> None:
    for kind in KINDS:
        assert kind in schemas.ENTRY_KINDS
        assert kind in schemas.schema_names()
    assert "agreement-terms" in schemas.schema_names()


@pytest.mark.parametrize("name", ["agreement-terms", *KINDS])
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = schemas.load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"{schemas.SCHEMA_BASE}{name}.schema.json"
    assert schema.get("additionalProperties") is False


@pytest.mark.parametrize("kind", KINDS)
def test_entry_header_is_spelled_as_key_authorize(kind: str) -> None:
    ours, theirs = schemas.load_schema(kind), schemas.load_schema("key.authorize")
    for member in ("signer", "seq", "prev", "signed_at"):
        assert ours["properties"][member] == theirs["properties"][member]
    assert ours["required"][:5] == theirs["required"][:5]
    assert ours["properties"]["kind"] == {"const": kind}


@pytest.mark.parametrize("kind", KINDS)
def test_examples_valid_in_both(kind: str) -> None:
    doc = examples()[kind]
    assert rs_valid(kind, doc)
    assert python_valid(kind, doc)


def test_answers_is_allowed_on_propose() -> None:
    doc = examples()["agreement.propose"]
    doc["answers"] = {"version": 1, "terms_hash": "cd" * 32}
    assert rs_valid("agreement.propose", doc) and python_valid("agreement.propose", doc)


def _mutants(kind: str, doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for key in schemas.load_schema(kind)["required"]:
        d = copy.deepcopy(doc)
        del d[key]
        out.append((f"without {key}", d))
    changes: list[tuple[str, Any]] = [
        ("/unexpected", 1),
        ("/kind", "agreement.amend"),
        ("/scheme", "GD Carbon Label"),
        ("/seq", -1),
        ("/signed_at", "2026-11-24 12:00:00"),
    ]
    if kind == "agreement.propose":
        changes += [
            ("/terms_hash", "AB" * 32),
            ("/answers", {"version": 0, "terms_hash": "ab" * 32}),
            ("/answers", {"version": 1}),
            ("/terms/tolerance", 0.01),
            ("/terms/tolerance", "1.5"),
            ("/terms/tolerance", "-0.01"),
            ("/terms/version", 0),
            ("/terms/parties", ["gd-carbon-label"]),
            ("/terms/parties", ["gd-carbon-label", "gd-carbon-label"]),
            ("/terms/direction", "one-way"),
            ("/terms/from", "gd-carbon-label"),
            ("/terms/valid_from", "2024-13-01"),
            ("/terms/conditions/0/ordering", None),
            ("/terms/conditions/0/op", "gt"),
            ("/terms/conditions/0/field", "verification/level"),
            ("/terms/conditions/1/value", "thirty"),
            ("/terms/conditions/1/value", 30),
            ("/terms/conditions/1/ordering", "boundary"),
            ("/terms/conditions/1/applies", "later"),
            ("/terms/conversions", [{"name": "GWP"}]),
            ("/terms/datasets", [{"dataset": "ipcc-gwp100", "version": 1, "entry": "x", "key": "AR6"}]),
            ("/terms/carry_over", "forever"),
            ("/terms/extra", True),
        ]
    else:
        changes += [
            ("/agreement/terms_hash", "ab" * 31),
            ("/agreement/version", 0),
            ("/agreement/id", "GD HK"),
            ("/agreement/extra", 1),
        ]
    for pointer, value in changes:
        d = copy.deepcopy(doc)
        parts = pointer.strip("/").split("/")
        target: Any = d
        for p in parts[:-1]:
            target = target[int(p)] if isinstance(target, list) else target[p]
        if value is None and isinstance(target, dict):
            target.pop(parts[-1], None)
        else:
            target[parts[-1]] = value
        out.append((f"{pointer} = {value!r}", d))
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_both_implementations_reject_the_same_mutants(kind: str) -> None:
    for what, doc in _mutants(kind, examples()[kind]):
        assert not python_valid(kind, doc), what
        assert not rs_valid(kind, doc), what


@pytest.mark.parametrize("path", sorted(AGREEMENTS.glob("*.json")), ids=lambda p: p.name)
def test_shipped_terms_valid_in_both_and_parse(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert rs_valid("agreement-terms", doc) and python_valid("agreement-terms", doc)
    body = {"terms": doc, "terms_hash": terms_hash(doc)}
    terms = parse_proposed_terms(body, known_conversions=KNOWN_CONVERSIONS)
    assert terms.document == doc and terms.illustrative


# ------------------------------------------------------------------------------------------------- hashing


def test_terms_hash_is_sha256_of_rfc8785_bytes() -> None:
    terms = base_terms()
    assert terms_hash(terms) == hashlib.sha256(rfc8785.dumps(terms)).hexdigest()
    reordered = dict(reversed(list(terms.items())))
    assert terms_hash(reordered) == terms_hash(terms)
    assert terms_hash(base_terms(tolerance="0.02")) != terms_hash(terms)


def test_terms_hash_refuses_floats() -> None:
    with pytest.raises(InputError) as e:
        terms_hash(base_terms(tolerance=0.01))
    assert e.value.code == "json.float"


def test_check_propose_payload() -> None:
    body = examples()["agreement.propose"]
    check_propose_payload(body)
    body["terms"]["tolerance"] = "0.02"
    with pytest.raises(MappingError) as e:
        check_propose_payload(body)
    assert e.value.code == "agreement.hash_mismatch" and e.value.field == "/terms_hash"


def test_parse_proposed_terms_points_into_the_payload() -> None:
    body = examples()["agreement.propose"]
    body["terms"]["conditions"][0]["field"] = "/verification/strength"
    body["terms_hash"] = terms_hash(body["terms"])
    with pytest.raises(MappingError) as e:
        parse_proposed_terms(body, known_conversions=KNOWN_CONVERSIONS)
    assert e.value.code == "agreement.unknown_field" and e.value.field == "/terms/conditions/0/field"


def test_label_fields_follow_the_shipped_label_schema() -> None:
    known = label_fields()
    assert known("/footprint/primaryDataShare") and not known("/footprint/primary_data_share")


def test_event_from_payload() -> None:
    ex = examples()
    propose = event_from_payload(
        ex["agreement.propose"],
        index=7,
        at=NOW,
        signer_scheme="gd-carbon-label",
        signer_is_root=True,
        known_conversions=KNOWN_CONVERSIONS,
    )
    assert (propose.kind, propose.index, propose.agreement_id, propose.version) == ("propose", 7, "gd-hk-mutual", 1)
    assert propose.terms is not None and propose.terms_hash == ex["agreement.propose"]["terms_hash"]
    accept = event_from_payload(
        ex["agreement.accept"],
        index=9,
        at=NOW,
        signer_scheme="hk-cma-carbon-label",
        signer_is_root=True,
        known_conversions=KNOWN_CONVERSIONS,
    )
    assert (accept.kind, accept.terms_hash, accept.terms) == ("accept", propose.terms_hash, None)
    withdraw = event_from_payload(
        ex["agreement.withdraw"],
        index=11,
        at=NOW,
        signer_scheme="hk-cma-carbon-label",
        signer_is_root=True,
        known_conversions=KNOWN_CONVERSIONS,
    )
    assert withdraw.kind == "withdraw" and withdraw.reason
    with pytest.raises(MappingError) as e:
        event_from_payload(
            ex["agreement.accept"],
            index=9,
            at=NOW,
            signer_scheme="carbontrust-label",
            signer_is_root=True,
            known_conversions=KNOWN_CONVERSIONS,
        )
    assert e.value.code == "agreement.not_party" and e.value.field == "/scheme"


def test_exported_names_exist() -> None:
    import mapping.agreement_terms
    import mapping.equivalence
    import mapping.negotiation
    import verifier.agreements

    for module in (mapping.agreement_terms, mapping.negotiation, mapping.equivalence, verifier.agreements):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
        assert sorted(module.__all__) == sorted(set(module.__all__))
