"""mapping.vocabulary: the domain's names written once — equal to the JSON Schemas' enums, to gwp.csv, and to
every module that still keeps a copy (until it imports them from here)."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from mapping import vocabulary as v
from mapping.agreement_conditions import ORDERINGS as TERMS_ORDERINGS
from mapping.orderings import ORDERINGS

SCHEMAS = Path(__file__).resolve().parent.parent / "verifier" / "schemas"


def _at(schema: str, pointer: str) -> Any:
    node: Any = json.loads((SCHEMAS / schema).read_text(encoding="utf-8"))
    for token in pointer.strip("/").split("/"):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


LABEL = "/properties/footprint/properties"
VALUE = "/properties/dataset/properties/values/items/properties"
DIMENSION = "/properties/dimensions/properties"
FACTOR = f"{LABEL}/electricity/items/properties/factor/properties"


@pytest.mark.parametrize(
    ("schema", "pointer", "names"),
    [
        ("label-record.schema.json", "/properties/claim/properties/type/enum", v.CLAIM_TYPES),
        ("label-record.schema.json", f"{LABEL}/declaredUnitOfMeasurement/enum", v.DECLARED_UNITS),
        ("label-record.schema.json", f"{LABEL}/boundary/enum", v.BOUNDARIES),
        ("label-record.schema.json", f"{LABEL}/stages/propertyNames/enum", v.LABEL_STAGES),
        ("label-record.schema.json", f"{LABEL}/electricity/items/properties/stage/enum", v.SUPPLY_STAGES),
        ("label-record.schema.json", f"{LABEL}/ipccCharacterizationFactors/items/enum", v.DECLARED_GWP_SETS),
        ("label-record.schema.json", f"{LABEL}/methane_origin/enum", v.METHANE_ORIGINS),
        ("label-record.schema.json", f"{LABEL}/biogenic/properties/method/enum", v.BIOGENIC_METHODS),
        ("label-record.schema.json", f"{LABEL}/electricity/items/properties/basis/enum", v.ELECTRICITY_BASES),
        ("label-record.schema.json", f"{LABEL}/electricity/items/properties/instrument/enum", v.INSTRUMENTS),
        ("label-record.schema.json", f"{FACTOR}/unit/enum", v.FACTOR_UNITS),
        ("label-record.schema.json", f"{FACTOR}/kind/enum", v.FACTOR_KINDS),
        ("label-record.schema.json", f"{FACTOR}/gwp_set/enum", v.GWP_SETS),
        ("label-record.schema.json", f"{LABEL}/allocation/properties/rule/enum", v.ALLOCATION_RULES),
        ("label-record.schema.json", "/properties/verification/properties/level/enum", v.VERIFICATION_LEVELS),
        ("dataset.publish.schema.json", f"{VALUE}/unit/enum", v.DATASET_UNITS),
        ("dataset.publish.schema.json", f"{VALUE}/kind/enum", v.DATASET_KINDS),
        ("dataset.publish.schema.json", f"{VALUE}/scope/enum", v.SCOPES),
        ("dataset.publish.schema.json", f"{VALUE}/gases/enum", v.GASES),
        ("dataset.publish.schema.json", f"{VALUE}/basis/enum", v.DATASET_BASES),
        ("dataset.publish.schema.json", f"{VALUE}/td_losses_included/enum", v.TD_LOSSES),
        ("dataset.publish.schema.json", f"{VALUE}/gwp_set/enum", v.DATASET_GWP_SETS),
        ("dataset.publish.schema.json", f"{VALUE}/confidence/enum", v.CONFIDENCE),
        ("profile.schema.json", f"{DIMENSION}/gwp_sets/properties/value/oneOf/1/items/enum", v.DECLARED_GWP_SETS),
        (
            "profile.schema.json",
            f"{DIMENSION}/electricity_basis/properties/value/oneOf/1/items/enum",
            v.ELECTRICITY_BASES,
        ),
        (
            "profile.schema.json",
            f"{DIMENSION}/electricity_factor_kind/properties/value/oneOf/1/items/enum",
            v.ELECTRICITY_KINDS,
        ),
        ("agreement-terms.schema.json", "/$defs/condition/properties/ordering/enum", tuple(TERMS_ORDERINGS)),
    ],
    ids=lambda x: x if isinstance(x, str) and x.startswith("/") else None,
)
def test_vocabulary_equals_the_schema_enum(schema: str, pointer: str, names: tuple[Any, ...]) -> None:
    assert tuple(_at(schema, pointer)) == tuple(names)


def test_gwp_sets_are_the_table_columns() -> None:
    text = (resources.files("mapping") / "data" / "gwp.csv").read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert tuple(v.GWP_CSV_COLUMNS) == v.GWP_SETS
    assert [c for c in header if c in v.GWP_CSV_COLUMNS.values()] == list(v.GWP_CSV_COLUMNS.values())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {v.METHANE_UNSPLIT, v.METHANE_FOSSIL, v.METHANE_NON_FOSSIL} <= {r["id"] for r in rows}


def test_derived_vocabularies() -> None:
    assert v.DECLARED_GWP_SETS[: len(v.GWP_SETS)] == v.GWP_SETS
    assert v.DATASET_GWP_SETS[: len(v.DECLARED_GWP_SETS)] == v.DECLARED_GWP_SETS
    assert v.DATASET_KINDS[: len(v.ELECTRICITY_KINDS)] == v.ELECTRICITY_KINDS == v.FACTOR_KINDS
    assert set(v.ELECTRICITY_KIND_RULES) == set(v.ELECTRICITY_KINDS)
    for rule in v.ELECTRICITY_KIND_RULES.values():
        assert rule.scopes <= set(v.SCOPES) and rule.gases <= set(v.GASES) and rule.bases <= set(v.DATASET_BASES)
    assert set(v.ELECTRICITY_UNITS) <= set(v.DATASET_UNITS)
    assert {gases for gases, _ in v.ELECTRICITY_UNITS.values()} == set(v.GASES)
    assert set(v.FACTOR_UNITS) <= set(v.ELECTRICITY_UNITS)
    assert v.BOUNDARY_STAGES["cradle-to-grave"] == v.STAGES and tuple(v.BOUNDARY_STAGES) == v.BOUNDARIES


def test_orderings_are_the_vocabularies() -> None:
    assert ORDERINGS == {
        "gwp_sets": v.GWP_SETS,
        "boundaries": v.BOUNDARIES,
        "verification_levels": v.VERIFICATION_LEVELS,
    }
    assert TERMS_ORDERINGS == {"gwp_set": v.GWP_SETS, "boundary": v.BOUNDARIES, "verification": v.VERIFICATION_LEVELS}


def test_copies_elsewhere_agree() -> None:
    """Modules above mapping/ that still keep their own copy (listed for the switch to mapping.vocabulary)."""
    from verifier import datasets

    assert datasets.UNITS == v.DATASET_UNITS
    assert datasets.KINDS == v.DATASET_KINDS
    assert datasets.ELECTRICITY_KINDS == v.ELECTRICITY_KINDS
    assert datasets.SCOPES == v.SCOPES
    assert datasets.GASES == v.GASES
    assert datasets.BASES == v.DATASET_BASES
    assert datasets.GWP_SETS == v.DATASET_GWP_SETS
    assert datasets.CONFIDENCE == v.CONFIDENCE
    assert datasets.ELECTRICITY_ATTRIBUTES == v.ELECTRICITY_ATTRIBUTES
