"""Agreement terms: parsing and rejection (issue 5 §1), JSON Pointers (RFC 6901), the condition language."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.agreement_terms import (
    ABSENT,
    ORDERINGS,
    Condition,
    check_condition,
    fields_of_schema,
    parse_condition,
    parse_terms,
    resolve_pointer,
    split_pointer,
)
from mapping.errors import MappingError
from verifier.agreements import label_fields
from verifier.schemas import load_schema

from .helpers import midea_label

AGREEMENTS = Path(__file__).parent.parent / "mapping" / "data" / "agreements"
# The mapping layer's registry names (mapping.conversions.CONVERSIONS), injected: the terms model never imports it.
KNOWN_CONVERSIONS = frozenset(
    {
        "gwp-recharacterize",
        "declared-unit-rescale",
        "boundary-trim",
        "boundary-extend",
        "electricity-rebase",
        "biogenic-include",
        "biogenic-exclude",
    }
)


def base_terms(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "gd-hk-mutual",
        "version": 1,
        "parties": ["gd-carbon-label", "hk-cma-carbon-label"],
        "direction": "mutual",
        "conditions": [
            {
                "field": "/verification/level",
                "op": "at_least",
                "value": "limited",
                "ordering": "verification",
                "applies": "as_issued",
            },
            {"field": "/footprint/primaryDataShare", "op": "gte", "value": "30", "applies": "after_conversion"},
        ],
        "conversions": [],
        "datasets": [],
        "tolerance": "0.01",
        "valid_from": "2024-01-01",
        "valid_until": "2026-12-31",
        "supersedes": None,
    }
    doc.update(changes)
    return doc


def parse(doc: Any) -> Any:
    return parse_terms(doc, known_fields=label_fields(), known_conversions=KNOWN_CONVERSIONS)


def cond(field: str, op: str, value: Any, ordering: str | None = None, applies: str = "as_issued") -> Condition:
    doc: dict[str, Any] = {"field": field, "op": op, "value": value, "applies": applies}
    if ordering is not None:
        doc["ordering"] = ordering
    return parse_condition(doc, "/conditions/0", known_fields=label_fields())


# ------------------------------------------------------------------------------------------------- parsing


def test_base_terms_parse() -> None:
    terms = parse(base_terms())
    assert terms.id == "gd-hk-mutual" and terms.version == 1
    assert terms.parties == ("gd-carbon-label", "hk-cma-carbon-label")
    assert terms.tolerance == Decimal("0.01")
    assert terms.carry_over == "until_version_end"
    assert terms.covers("gd-carbon-label", "hk-cma-carbon-label")
    assert terms.covers("hk-cma-carbon-label", "gd-carbon-label")
    assert not terms.covers("gd-carbon-label", "carbontrust-label")
    assert not terms.covers("gd-carbon-label", "gd-carbon-label")
    assert terms.to_dict() == base_terms()


def test_one_way_covers_one_direction() -> None:
    terms = parse(
        base_terms(
            parties=["gd-carbon-label", "carbontrust-label"],
            direction="one-way",
            **{"from": "gd-carbon-label", "to": "carbontrust-label"},
        )
    )
    assert terms.covers("gd-carbon-label", "carbontrust-label")
    assert not terms.covers("carbontrust-label", "gd-carbon-label")
    assert terms.other_party("gd-carbon-label") == "carbontrust-label"
    assert terms.other_party("hk-cma-carbon-label") is None


@pytest.mark.parametrize("name", ["gd-hk-mutual", "gd-to-carbontrust-ar6"])
def test_shipped_example_terms_parse(name: str) -> None:
    doc = json.loads((AGREEMENTS / f"{name}.json").read_text(encoding="utf-8"))
    terms = parse(doc)
    assert terms.id == name
    assert terms.illustrative is True
    assert "schemes.md" in (terms.notes or "")


def _set(doc: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    parts = split_pointer(pointer)
    target: Any = doc
    for p in parts[:-1]:
        target = target[int(p)] if isinstance(target, list) else target[p]
    if value is _DELETE:
        del target[parts[-1]]
    elif isinstance(target, list):
        target[int(parts[-1])] = value
    else:
        target[parts[-1]] = value
    return doc


_DELETE = object()
ONE_WAY = {"direction": "one-way", "from": "gd-carbon-label", "to": "hk-cma-carbon-label"}
COND0 = "/conditions/0"

# (name, pointer to change, new value, expected code, expected error field)
BAD_TERMS: list[tuple[str, str, Any, str, str]] = [
    ("unknown field", f"{COND0}/field", "/verification/strength", "agreement.unknown_field", f"{COND0}/field"),
    ("unknown deep field", f"{COND0}/field", "/footprint/pcf/value/x", "agreement.unknown_field", f"{COND0}/field"),
    ("field not a pointer", f"{COND0}/field", "verification/level", "agreement.invalid_terms", f"{COND0}/field"),
    ("bad pointer escape", f"{COND0}/field", "/a~2b", "agreement.invalid_terms", f"{COND0}/field"),
    ("unknown op", f"{COND0}/op", "gt", "agreement.invalid_terms", f"{COND0}/op"),
    ("at_least without ordering", f"{COND0}/ordering", _DELETE, "agreement.invalid_terms", f"{COND0}/ordering"),
    ("at_least value outside ordering", f"{COND0}/value", "strong", "agreement.invalid_terms", f"{COND0}/value"),
    ("unknown ordering", f"{COND0}/ordering", "gwp_sets", "agreement.invalid_terms", f"{COND0}/ordering"),
    ("ordering on gte", "/conditions/1/ordering", "verification", "agreement.invalid_terms", "/conditions/1/ordering"),
    ("gte with number", "/conditions/1/value", 30, "agreement.invalid_terms", "/conditions/1/value"),
    ("gte with non-decimal", "/conditions/1/value", "30%", "agreement.invalid_terms", "/conditions/1/value"),
    ("gte with float", "/conditions/1/value", 30.5, "agreement.invalid_terms", "/conditions/1/value"),
    ("applies unknown", f"{COND0}/applies", "always", "agreement.invalid_terms", f"{COND0}/applies"),
    ("applies missing", f"{COND0}/applies", _DELETE, "agreement.invalid_terms", f"{COND0}/applies"),
    ("extra condition member", f"{COND0}/weight", "1", "agreement.invalid_terms", f"{COND0}/weight"),
    ("one party", "/parties", ["gd-carbon-label"], "agreement.invalid_terms", "/parties"),
    ("same party twice", "/parties", ["gd-carbon-label", "gd-carbon-label"], "agreement.invalid_terms", "/parties"),
    ("bad party id", "/parties/1", "HK CMA", "agreement.invalid_terms", "/parties/1"),
    ("unknown direction", "/direction", "both", "agreement.invalid_terms", "/direction"),
    ("mutual with from", "/from", "gd-carbon-label", "agreement.invalid_terms", "/from"),
    ("one-way without from", "/direction", "one-way", "agreement.invalid_terms", "/from"),
    ("tolerance 1", "/tolerance", "1", "agreement.invalid_terms", "/tolerance"),
    ("tolerance negative", "/tolerance", "-0.1", "agreement.invalid_terms", "/tolerance"),
    ("tolerance float", "/tolerance", 0.01, "agreement.invalid_terms", "/tolerance"),
    ("tolerance words", "/tolerance", "one percent", "agreement.invalid_terms", "/tolerance"),
    ("valid_until before valid_from", "/valid_until", "2023-12-31", "agreement.invalid_terms", "/valid_until"),
    ("not a date", "/valid_from", "2024-02-30", "agreement.invalid_terms", "/valid_from"),
    (
        "unknown conversion",
        "/conversions",
        [{"name": "magic-offset"}],
        "agreement.unknown_conversion",
        "/conversions/0/name",
    ),
    (
        "conversion params not object",
        "/conversions",
        [{"name": "boundary-trim", "params": []}],
        "agreement.invalid_terms",
        "/conversions/0/params",
    ),
    (
        "float in params",
        "/conversions",
        [{"name": "boundary-trim", "params": {"x": 1.5}}],
        "agreement.invalid_terms",
        "/conversions/0/params/x",
    ),
    (
        "dataset entry not hex",
        "/datasets",
        [{"dataset": "cn-mee-grid", "version": 1, "entry": "xyz", "key": "CN"}],
        "agreement.invalid_terms",
        "/datasets/0/entry",
    ),
    ("version zero", "/version", 0, "agreement.invalid_terms", "/version"),
    ("version boolean", "/version", True, "agreement.invalid_terms", "/version"),
    ("bad id", "/id", "GD HK", "agreement.invalid_terms", "/id"),
    (
        "supersedes itself",
        "/supersedes",
        {"version": 1, "terms_hash": "ab" * 32},
        "agreement.invalid_terms",
        "/supersedes/version",
    ),
    (
        "supersedes bad hash",
        "/supersedes",
        {"version": 1, "terms_hash": "AB" * 32},
        "agreement.invalid_terms",
        "/supersedes/terms_hash",
    ),
    ("unknown top-level member", "/approved", True, "agreement.invalid_terms", "/approved"),
    ("missing tolerance", "/tolerance", _DELETE, "agreement.invalid_terms", "/tolerance"),
    ("carry_over unknown", "/carry_over", "forever", "agreement.invalid_terms", "/carry_over"),
    ("illustrative not bool", "/illustrative", "yes", "agreement.invalid_terms", "/illustrative"),
    (
        "in without list",
        f"{COND0}",
        {"field": "/product/category/code", "op": "in", "value": "44821", "applies": "as_issued"},
        "agreement.invalid_terms",
        f"{COND0}/value",
    ),
    (
        "in with empty list",
        f"{COND0}",
        {"field": "/product/category/code", "op": "in", "value": [], "applies": "as_issued"},
        "agreement.invalid_terms",
        f"{COND0}/value",
    ),
    (
        "in repeating",
        f"{COND0}",
        {"field": "/product/category/code", "op": "in", "value": ["1", "1"], "applies": "as_issued"},
        "agreement.invalid_terms",
        f"{COND0}/value",
    ),
    (
        "eq with object",
        f"{COND0}",
        {"field": "/claim/type", "op": "eq", "value": {"a": 1}, "applies": "as_issued"},
        "agreement.invalid_terms",
        f"{COND0}/value",
    ),
    ("unknown tolerance scope", "/tolerance_scope", "some_labels", "agreement.invalid_terms", "/tolerance_scope"),
]


@pytest.mark.parametrize(("name", "pointer", "value", "code", "field"), BAD_TERMS, ids=[b[0] for b in BAD_TERMS])
def test_bad_terms_rejected(name: str, pointer: str, value: Any, code: str, field: str) -> None:
    with pytest.raises(MappingError) as e:
        parse(_set(base_terms(), pointer, value))
    assert e.value.code == code, e.value
    assert e.value.field == field, e.value


def test_one_way_from_to_must_be_the_parties() -> None:
    parse(base_terms(**ONE_WAY))
    with pytest.raises(MappingError) as e:
        parse(base_terms(**{**ONE_WAY, "to": "carbontrust-label"}))
    assert e.value.code == "agreement.invalid_terms" and e.value.field == "/from"
    with pytest.raises(MappingError):
        parse(base_terms(**{**ONE_WAY, "to": "gd-carbon-label"}))


def test_known_fields_is_injected() -> None:
    """The terms model asks the injected predicate, not a schema of its own."""
    asked: list[str] = []

    def only_level(p: str) -> bool:
        asked.append(p)
        return p == "/verification/level"

    with pytest.raises(MappingError) as e:
        parse_terms(base_terms(), known_fields=only_level, known_conversions=KNOWN_CONVERSIONS)
    assert e.value.code == "agreement.unknown_field" and e.value.field == "/conditions/1/field"
    assert asked == ["/verification/level", "/footprint/primaryDataShare"]


def test_known_conversions_is_injected() -> None:
    doc = base_terms(conversions=[{"name": "gwp-recharacterize", "params": {"to_set": "AR6"}}])
    parse(doc)
    with pytest.raises(MappingError) as e:
        parse_terms(doc, known_fields=label_fields(), known_conversions=set())
    assert e.value.code == "agreement.unknown_conversion"


def test_open_ended_window_and_dataset_pins() -> None:
    pin = {"dataset": "ipcc-gwp100", "version": 3, "entry": "ab" * 32, "key": "AR6"}
    terms = parse(base_terms(valid_until=None, datasets=[pin]))
    assert terms.valid_until is None
    assert terms.datasets[0].to_dict() == pin
    with pytest.raises(MappingError) as e:
        parse(base_terms(datasets=[pin, pin]))
    assert e.value.field == "/datasets"


def test_floats_anywhere_rejected() -> None:
    doc = base_terms(notes="n")
    doc["conditions"][0]["value"] = 1.0
    with pytest.raises(MappingError) as e:
        parse(doc)
    assert e.value.field == "/conditions/0/value"


# ------------------------------------------------------------------------------------------------- pointers


def test_pointer_rfc6901_examples() -> None:
    """RFC 6901 §5's example document."""
    doc = {"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, 'k"l': 6, " ": 7, "m~n": 8}
    assert resolve_pointer(doc, "") == doc
    assert resolve_pointer(doc, "/foo") == ["bar", "baz"]
    assert resolve_pointer(doc, "/foo/0") == "bar"
    assert resolve_pointer(doc, "/") == 0
    assert resolve_pointer(doc, "/a~1b") == 1
    assert resolve_pointer(doc, "/c%d") == 2
    assert resolve_pointer(doc, "/e^f") == 3
    assert resolve_pointer(doc, "/g|h") == 4
    assert resolve_pointer(doc, "/i\\j") == 5
    assert resolve_pointer(doc, '/k"l') == 6
    assert resolve_pointer(doc, "/ ") == 7
    assert resolve_pointer(doc, "/m~0n") == 8


def test_pointer_unescapes_in_order() -> None:
    """'~01' is '~1' literally (RFC 6901 §4: ~1 first, then ~0)."""
    assert split_pointer("/~01") == ["~1"]
    assert resolve_pointer({"~1": "x", "/": "y"}, "/~01") == "x"


@pytest.mark.parametrize("pointer", ["/nope", "/foo/2", "/foo/01", "/foo/-", "/foo/0/x", "/a~1b/c"])
def test_missing_is_absent(pointer: str) -> None:
    doc = {"foo": ["bar", "baz"], "a/b": 1}
    assert resolve_pointer(doc, pointer) is ABSENT


def test_fields_of_label_schema() -> None:
    known = fields_of_schema(load_schema("label-record"))
    for p in [
        "/verification/level",
        "/footprint/boundary",
        "/footprint/ipccCharacterizationFactors",
        "/footprint/ipccCharacterizationFactors/0",
        "/footprint/stages/use/masses_kg/CH4-fossil",
        "/footprint/electricity/0/factor/kind",
        "/footprint/dqi/technological",
        "/product/category/code",
        "/verification/body/accreditation",
    ]:
        assert known(p), p
    for p in [
        "",
        "/",
        "/verification/strength",
        "/footprint/stages/transport",
        "/footprint/stages/use/masses_kg/H2O",
        "/footprint/electricity/x",
        "/footprint/pcf/value/deep",
        "/footprint/dqi/not-a-name!",
        "verification/level",
    ]:
        assert not known(p), p


# ------------------------------------------------------------------------------------------------- conditions


def _label_with(pointer: str, value: Any) -> dict[str, Any]:
    return _set(midea_label(), pointer, value)


GWP = "/footprint/ipccCharacterizationFactors"
OP_CASES: list[tuple[str, Condition, Any, bool]] = [
    ("eq holds", cond("/claim/type", "eq", "footprint"), "footprint", True),
    ("eq fails", cond("/claim/type", "eq", "footprint"), "neutrality", False),
    ("eq does not coerce numbers", cond("/claim/type", "eq", "1"), 1, False),
    ("eq tells true from 1", cond("/claim/type", "eq", True), 1, False),
    ("in holds", cond("/product/category/code", "in", ["44821", "4482"]), "44821", True),
    ("in fails", cond("/product/category/code", "in", ["44821"]), "4482", False),
    ("gte equal", cond("/footprint/primaryDataShare", "gte", "41.5"), "41.50", True),
    ("gte greater", cond("/footprint/primaryDataShare", "gte", "30"), "41.5", True),
    ("gte less", cond("/footprint/primaryDataShare", "gte", "50"), "41.5", False),
    ("gte not a number", cond("/footprint/primaryDataShare", "gte", "30"), "high", False),
    ("gte integer value", cond("/footprint/primaryDataShare", "gte", "30"), 31, True),
    ("lte holds", cond("/footprint/exemptedEmissionsPercent", "lte", "1"), "0.6", True),
    ("lte fails", cond("/footprint/exemptedEmissionsPercent", "lte", "0.5"), "0.6", False),
    ("lte decimal not lexical", cond("/footprint/exemptedEmissionsPercent", "lte", "10"), "9", True),
    ("at_least verification", cond("/verification/level", "at_least", "limited", "verification"), "reasonable", True),
    ("at_least verification fails", cond("/verification/level", "at_least", "limited", "verification"), "none", False),
    (
        "at_least boundary equal",
        cond("/footprint/boundary", "at_least", "cradle-to-gate", "boundary"),
        "cradle-to-gate",
        True,
    ),
    (
        "at_least boundary fails",
        cond("/footprint/boundary", "at_least", "cradle-to-gate", "boundary"),
        "gate-to-gate",
        False,
    ),
    ("at_least gwp", cond(GWP, "at_least", "AR5", "gwp_set"), ["AR5-feedback"], True),
    ("at_least gwp fails", cond(GWP, "at_least", "AR5", "gwp_set"), ["AR4"], False),
    ("at_least gwp all of list", cond(GWP, "at_least", "AR5", "gwp_set"), ["AR5", "AR6"], True),
    ("at_least gwp one weak", cond(GWP, "at_least", "AR5", "gwp_set"), ["AR4", "AR6"], False),
    ("at_least outside ordering", cond(GWP, "at_least", "AR4", "gwp_set"), ["EF3.1"], False),
    ("at_least empty list", cond(GWP, "at_least", "AR4", "gwp_set"), [], False),
    ("in over list all", cond(GWP, "in", ["AR5", "AR6"]), ["AR6", "AR5"], True),
    ("in over list one out", cond(GWP, "in", ["AR5", "AR6"]), ["AR6", "AR4"], False),
    ("eq over list", cond(GWP, "eq", "AR6"), ["AR6"], True),
    ("object never compares", cond("/footprint/pcf", "eq", "x"), {"value": "1", "unit": "kgCO2e"}, False),
]


@pytest.mark.parametrize(("name", "condition", "actual", "ok"), OP_CASES, ids=[c[0] for c in OP_CASES])
def test_each_op_and_ordering(name: str, condition: Condition, actual: Any, ok: bool) -> None:
    res = check_condition(condition, _label_with(condition.field, actual))
    assert res.ok is ok, res.reason
    assert res.field == condition.field and res.op == condition.op
    assert res.actual == actual and res.required == condition.value
    assert res.reason


def test_absent_field_fails_with_reason() -> None:
    label = midea_label()
    del label["footprint"]["primaryDataShare"]
    res = check_condition(cond("/footprint/primaryDataShare", "gte", "0"), label)
    assert not res.ok and res.actual is None and res.reason.startswith("absent")
    assert res.to_dict() == {
        "field": "/footprint/primaryDataShare",
        "op": "gte",
        "actual": None,
        "required": "0",
        "reason": res.reason,
    }


def test_midea_label_meets_the_shipped_mutual_terms() -> None:
    terms = parse(json.loads((AGREEMENTS / "gd-hk-mutual.json").read_text(encoding="utf-8")))
    assert all(check_condition(c, midea_label()).ok for c in terms.conditions)


# Property: at_least agrees with a naive table of every (actual, required) pair written out by hand.
NAIVE_AT_LEAST = {
    "verification": {
        ("none", "none"),
        ("limited", "none"),
        ("limited", "limited"),
        ("reasonable", "none"),
        ("reasonable", "limited"),
        ("reasonable", "reasonable"),
    },
    "boundary": {
        ("gate-to-gate", "gate-to-gate"),
        ("cradle-to-gate", "gate-to-gate"),
        ("cradle-to-gate", "cradle-to-gate"),
        ("cradle-to-grave", "gate-to-gate"),
        ("cradle-to-grave", "cradle-to-gate"),
        ("cradle-to-grave", "cradle-to-grave"),
    },
    "gwp_set": {
        (a, r)
        for a, r in [
            ("AR4", "AR4"),
            ("AR5", "AR4"),
            ("AR5", "AR5"),
            ("AR5-feedback", "AR4"),
            ("AR5-feedback", "AR5"),
            ("AR5-feedback", "AR5-feedback"),
            ("AR6", "AR4"),
            ("AR6", "AR5"),
            ("AR6", "AR5-feedback"),
            ("AR6", "AR6"),
        ]
    },
}
FIELD_OF = {
    "verification": "/verification/level",
    "boundary": "/footprint/boundary",
    "gwp_set": "/footprint/ipccCharacterizationFactors",
}


def test_orderings_are_exactly_the_published_ones() -> None:
    assert ORDERINGS == {
        "gwp_set": ("AR4", "AR5", "AR5-feedback", "AR6"),
        "boundary": ("gate-to-gate", "cradle-to-gate", "cradle-to-grave"),
        "verification": ("none", "limited", "reasonable"),
    }


@given(st.data())
def test_at_least_matches_naive_table(data: st.DataObject) -> None:
    ordering = data.draw(st.sampled_from(sorted(ORDERINGS)))
    required = data.draw(st.sampled_from(ORDERINGS[ordering]))
    actual = data.draw(st.sampled_from(ORDERINGS[ordering]))
    c = cond(FIELD_OF[ordering], "at_least", required, ordering)
    record = {
        "verification": {"level": actual},
        "footprint": {"boundary": actual, "ipccCharacterizationFactors": [actual]},
    }
    assert check_condition(c, record).ok == ((actual, required) in NAIVE_AT_LEAST[ordering])


@given(
    st.lists(st.sampled_from(ORDERINGS["gwp_set"]), min_size=1, max_size=4, unique=True),
    st.sampled_from(ORDERINGS["gwp_set"]),
)
def test_at_least_over_a_list_means_every_element(sets: list[str], required: str) -> None:
    c = cond(GWP, "at_least", required, "gwp_set")
    record = {"footprint": {"ipccCharacterizationFactors": sets}}
    assert check_condition(c, record).ok == all((s, required) in NAIVE_AT_LEAST["gwp_set"] for s in sets)


@given(
    st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
)
def test_gte_lte_compare_as_decimals(actual: Decimal, bound: Decimal) -> None:
    a, b = format(actual, "f"), format(bound, "f")
    record = {"footprint": {"primaryDataShare": a}}
    assert check_condition(cond("/footprint/primaryDataShare", "gte", b), record).ok == (actual >= bound)
    assert check_condition(cond("/footprint/primaryDataShare", "lte", b), record).ok == (actual <= bound)
