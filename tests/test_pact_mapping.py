"""Label record <-> PACT v3 ProductFootprint (mapping/pact_*.py): round trips field for field, validation against
PACT v3's constraints (tests/pact_schema.py), and every refusal naming its field.

``PACT_SPEC_DIR`` may point at a checkout of wbcsd/data-exchange-protocol (or at its ``spec/v3``): then the
specification's own example footprints (``examples/example-*.json``, ``examples/*-footprint*-response.json``)
run through the same round trip, and every exported footprint is also validated against the specification's
own ``spec/v3/openapi.yaml`` (tests/pact_spec.py; without it those tests skip). They are not vendored: WBCSD's
licence does not allow a part of the specification to be redistributed (docs/pact-mapping.md).
"""

from __future__ import annotations

import copy
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.bench import realistic_label
from mapping.errors import MappingError
from mapping.footprint import Footprint
from mapping.pact_export import Hosting, ProofLinks, export_footprint
from mapping.pact_fields import CROSS_SECTORAL_STANDARDS, footprint_id, pact_decimal
from mapping.pact_import import ImportDefaults, footprints_in, import_footprint
from mapping.pact_members import DRAFT_NAMES, HOST_FIELDS
from verifier import schemas

from .helpers import midea_label
from .pact_schema import validator
from .pact_spec import errors, footprint_validator

VECTORS = Path(__file__).parent / "vectors" / "pact"
DEFAULTS = ImportDefaults(
    scheme="gd-carbon-label", manufacturer_country="DE", boundary="cradle-to-gate", verification_level="limited"
)
HOSTING = Hosting(entry_id="ab" * 32, created="2026-11-24T12:00:00Z")
LINKS = ProofLinks(
    "log.test/x", 7, 9, "log.test/x\n9\nroot\n", "https://h/b", "https://h/s", "https://h/x.json", "L", "s"
)


def own_footprints() -> list[dict[str, Any]]:
    return json.loads((VECTORS / "footprints.json").read_text(encoding="utf-8"))["footprints"]


def spec_examples() -> list[tuple[str, dict[str, Any]]]:
    root = os.environ.get("PACT_SPEC_DIR")
    if not root:
        return []
    base = Path(root)
    folder = next((p for p in (base / "spec" / "v3" / "examples", base / "examples") if p.is_dir()), None)
    if folder is None:
        return []
    files = sorted(folder.glob("example-*.json")) + sorted(folder.glob("*footprint*-response.json"))
    return [(f"{f.name}#{i}", pf) for f in files for i, pf in enumerate(footprints_in(f.read_text("utf-8")))]


def _instants(value: Any) -> Any:
    """Date-times compared as instants (``Z`` and ``+00:00`` write the same one)."""
    if isinstance(value, dict):
        return {k: _instants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_instants(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


# Members of a draft of v3 that v3 dropped, with no v3 equivalent: an import holds them, the export does not
# write them.
DRAFT_ONLY = ("uncertifiedLandManagementCO2Removals", "biogenicAccountingMethodology")


def expected_back(pf: dict[str, Any]) -> dict[str, Any]:
    """What the export of an imported footprint must say: every member it stated, the v3 draft's spellings in the
    v3 schema's names; not the host's members (id, version, created, status, ...: the log's) nor the members
    v3 dropped (DRAFT_ONLY); a ``pcf.otherOperatorName`` (where the spec's example footprints put it) in the one
    ``Other`` rule that names no operator, v3's place for it, and nowhere when there is no such one rule."""
    out = {k: v for k, v in copy.deepcopy(pf).items() if k not in HOST_FIELDS and k != "extensions"}
    pcf = {DRAFT_NAMES.get(k, k): v for k, v in out["pcf"].items() if k not in DRAFT_ONLY}
    name = pcf.pop("otherOperatorName", None)
    rules = pcf.get("productOrSectorSpecificRules", [])
    unnamed = [r for r in rules if r["operator"] == "Other" and "otherOperatorName" not in r]
    if name is not None and len(unnamed) == 1:
        unnamed[0]["otherOperatorName"] = name
    out["pcf"] = pcf
    return _instants(out)


def strip_host(pf: dict[str, Any]) -> dict[str, Any]:
    """``pf`` without the host's members and extensions, its date-times as instants."""
    return _instants({k: v for k, v in pf.items() if k not in HOST_FIELDS and k != "extensions"})


def round_trip(pf: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    label = import_footprint(pf, DEFAULTS)
    schemas.validate("label-record", label)  # a label record ready to sign
    Footprint.from_label(label)  # and one the footprint model reads
    return label, export_footprint(label, Hosting(HOSTING.entry_id, HOSTING.created, proof=LINKS))


CASES = [(f"own#{i}", pf) for i, pf in enumerate(own_footprints())] + spec_examples()


@pytest.mark.parametrize(("name", "pf"), CASES, ids=[c[0] for c in CASES])
def test_footprint_imports_and_exports_back_field_for_field(name: str, pf: dict[str, Any]) -> None:
    _label, back = round_trip(pf)
    assert strip_host(back) == expected_back(pf)
    assert back["extensions"][:-1] == pf.get("extensions", [])  # foreign extensions kept, the proof appended
    assert back["extensions"][-1]["data"]["entryId"] == HOSTING.entry_id
    assert back["id"] == footprint_id(HOSTING.entry_id) and back["version"] == 1 and back["status"] == "Active"


@pytest.mark.parametrize(("name", "pf"), CASES, ids=[c[0] for c in CASES])
def test_exported_footprint_validates_against_pact_v3(name: str, pf: dict[str, Any]) -> None:
    _label, back = round_trip(pf)
    errors = [(list(e.absolute_path), e.validator) for e in validator().iter_errors(back)]
    # A later revision's crossSectoralStandards value is kept (PACT asks hosts to accept them), though the
    # 3.0 schema's enumeration refuses it: that is the one disagreement allowed.
    known = set(validator().schema["properties"]["pcf"]["properties"]["crossSectoralStandards"]["items"]["enum"])
    later = [i for i, s in enumerate(back["pcf"]["crossSectoralStandards"]) if s not in known]
    assert errors == [(["pcf", "crossSectoralStandards", i], "enum") for i in later]


def demo_footprint(label: dict[str, Any]) -> dict[str, Any]:
    return export_footprint(pact_complete(label), Hosting(HOSTING.entry_id, HOSTING.created, proof=LINKS))


def _demo_labels() -> list[tuple[str, dict[str, Any]]]:
    return [("midea", midea_label()), ("bench", realistic_label(3))]


EXPORTS = [(name, lambda pf=pf: round_trip(pf)[1]) for name, pf in CASES] + [
    (f"demo-{name}", lambda label=label: demo_footprint(label)) for name, label in _demo_labels()
]


@pytest.mark.parametrize(("name", "export"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_export_names_the_totals_as_pact_v3_not_as_its_draft(name: str, export: Any) -> None:
    """Regression: the export wrote a draft's ``pcfExcludingBiogenicCO2Withdrawal`` / ``…Including…`` /
    ``biogenicCO2Withdrawal``; PACT v3's CarbonFootprint requires ``pcfExcludingBiogenicUptake`` and
    ``pcfIncludingBiogenicUptake``, so no v3 client could read a served footprint."""
    pcf = export()["pcf"]
    assert {"pcfExcludingBiogenicUptake", "pcfIncludingBiogenicUptake"} <= set(pcf)
    assert not set(DRAFT_NAMES) & set(pcf)


def test_the_uptake_exports_under_its_v3_name() -> None:
    pf = own_footprints()[0]  # states biogenicCO2Withdrawal, the draft's name
    assert round_trip(pf)[1]["pcf"]["biogenicCO2Uptake"] == pf["pcf"]["biogenicCO2Withdrawal"]


@pytest.mark.parametrize(("draft", "v3"), sorted(DRAFT_NAMES.items()))
def test_import_refuses_a_value_stated_under_both_its_names(draft: str, v3: str) -> None:
    pf = copy.deepcopy(own_footprints()[1])  # states all four under their v3 names
    pf["pcf"][draft] = pf["pcf"][v3]
    with pytest.raises(MappingError) as e:
        import_footprint(pf, DEFAULTS)
    assert e.value.code == "pact.cannot_carry" and "both" in e.value.message


@pytest.mark.parametrize(("name", "export"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_exported_footprint_validates_against_the_specifications_own_schema(name: str, export: Any) -> None:
    """Needs PACT_SPEC_DIR: ``components/schemas/ProductFootprint`` of the specification's openapi.yaml."""
    spec = footprint_validator()  # skips without the specification
    pf = export()
    later = [i for i, s in enumerate(pf["pcf"]["crossSectoralStandards"]) if s not in CROSS_SECTORAL_STANDARDS]
    allowed = [f"/pcf/crossSectoralStandards/{i}" for i in later]  # a later revision's value, kept as PACT asks
    assert [e for e in errors(spec, pf) if not (e[0] in allowed and e[1] == "enum")] == []


def test_footprint_ids_are_uuid5_of_the_entry_id_and_stable() -> None:
    a, b = footprint_id("00" * 32), footprint_id("00" * 31 + "01")
    assert a == footprint_id("00" * 32) and a != b and a[14] == "5"
    with pytest.raises(MappingError) as e:
        footprint_id("xyz")
    assert e.value.code == "pact.bad_entry_id"


def pact_complete(label: dict[str, Any]) -> dict[str, Any]:
    """``label`` with the label v2 fields an issuer states for PACT (values illustrative)."""
    out = copy.deepcopy(label)
    out["footprint"].update(
        fossilGhgEmissions=out["footprint"]["pcfExcludingBiogenicUptake"], fossilCarbonContent="9.1"
    )
    out["footprint"].setdefault("biogenicCarbonContent", "0")
    out["methodology"]["crossSectoralStandards"] = ["ISO14067"]
    return out


@pytest.mark.parametrize("label", [midea_label(), realistic_label(3)], ids=["midea", "bench"])
def test_demo_labels_refuse_naming_every_number_pact_requires(label: dict[str, Any]) -> None:
    with pytest.raises(MappingError) as e:
        export_footprint(label, HOSTING)
    assert e.value.code == "pact.missing_field"
    assert e.value.field == "/footprint/fossilGhgEmissions" and "/footprint/fossilCarbonContent" in e.value.message


@pytest.mark.parametrize("label", [midea_label(), realistic_label(3)], ids=["midea", "bench"])
def test_demo_labels_with_the_v2_fields_export_and_validate(label: dict[str, Any]) -> None:
    complete = pact_complete(label)
    schemas.validate("label-record", label)  # version 1 records stay valid
    schemas.validate("label-record", complete)
    pf = export_footprint(complete, Hosting(HOSTING.entry_id, HOSTING.created, proof=LINKS))
    assert list(validator().iter_errors(pf)) == []
    assert pf["pcf"]["referencePeriodEnd"] == f"{int(label['footprint']['referencePeriodEnd'][:4]) + 1}-01-01T00:00:00Z"
    assert pf["productIds"][0].startswith("urn:gtin:")
    assert pf["productClassifications"] == ["urn:pact:productclassification:un-cpc:43912"]


@pytest.mark.parametrize("gwp", ["AR5-feedback", "EF3.0", "EF3.1"])
def test_gwp_sets_pact_cannot_name_are_refused_not_rounded(gwp: str) -> None:
    label = pact_complete(midea_label())
    label["footprint"]["ipccCharacterizationFactors"] = [gwp]
    with pytest.raises(MappingError) as e:
        export_footprint(label, HOSTING)
    assert (e.value.code, e.value.field) == ("pact.gwp_set", "/footprint/ipccCharacterizationFactors/0")


def test_unmapped_standard_names_refuse_instead_of_guessing() -> None:
    label = pact_complete(realistic_label(1))
    del label["methodology"]["crossSectoralStandards"]  # "GB/T 24067-2024" is modelled on ISO 14067, not it
    with pytest.raises(MappingError) as e:
        export_footprint(label, HOSTING)
    assert e.value.field == "/methodology/crossSectoralStandards"


def test_conflicting_v1_and_v2_places_refuse() -> None:
    label = pact_complete(midea_label())
    label["footprint"]["biogenicCarbonContent"] = "0.5"  # biogenic.biogenicCarbonContent says 0
    with pytest.raises(MappingError) as e:
        export_footprint(label, HOSTING)
    assert e.value.field == "/footprint/biogenicCarbonContent"


def _mutated(path: list[str], value: Any, index: int = 0) -> dict[str, Any]:
    pf = copy.deepcopy(own_footprints()[index])
    target = pf
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return pf


REFUSALS = [
    (["pcf", "referencePeriodEnd"], "2026-01-01T12:00:00Z", "/pcf/referencePeriodEnd", "pact.cannot_carry"),
    (["pcf", "declaredUnitOfMeasurement"], "hour", "/pcf/declaredUnitOfMeasurement", "pact.cannot_carry"),
    (["pcf", "ipccCharacterizationFactors"], ["AR7"], "/pcf/ipccCharacterizationFactors/0", "pact.cannot_carry"),
    (["pcf", "fossilGhgEmissions"], "-1", "/pcf/fossilGhgEmissions", "pact.bad_value"),
    (["pcf", "landManagementBiogenicCO2Removals"], "0.3", "/pcf/landManagementBiogenicCO2Removals", "pact.bad_value"),
    (["pcf", "primaryDataShare"], "101", "/pcf/primaryDataShare", "pact.cannot_carry"),
    (["productIds"], ["GTIN 4012345000016"], "/productIds/0", "pact.bad_value"),
    (["productClassifications"], KeyError, "/productClassifications", "pact.cannot_carry"),
    (
        ["pcf", "pcfExcludingBiogenicCO2Withdrawal"],
        KeyError,
        "/pcf/pcfExcludingBiogenicUptake",
        "pact.missing_field",
    ),
    (["pcf", "declaredUnitAmount"], "1e3", "/pcf/declaredUnitAmount", "pact.bad_value"),
    (["pcf", "fossilCarbonContent"], "0.1234567890123", "/pcf/fossilCarbonContent", "pact.cannot_carry"),
]


@pytest.mark.parametrize(("path", "value", "field", "code"), REFUSALS, ids=[r[2] + "=" + str(r[1]) for r in REFUSALS])
def test_import_refuses_what_a_label_cannot_carry_with_field_and_reason(
    path: list[str], value: Any, field: str, code: str
) -> None:
    with pytest.raises(MappingError) as e:
        import_footprint(_mutated(path, value), DEFAULTS)
    assert (e.value.field, e.value.code) == (field, code)
    assert e.value.message.startswith(field + ": ")


def test_import_asks_for_what_pact_does_not_state() -> None:
    with pytest.raises(MappingError) as e:
        import_footprint(own_footprints()[1], ImportDefaults(scheme="s"))
    assert e.value.code == "pact.missing_default" and "manufacturer country" in e.value.message
    with pytest.raises(MappingError) as e:  # a verified footprint: PACT states no assurance level
        import_footprint(
            own_footprints()[0], ImportDefaults(scheme="s", manufacturer_country="DE", boundary="cradle-to-gate")
        )
    assert (e.value.field, e.value.code) == ("/pcf/verification", "pact.missing_default")


def test_an_imported_footprint_has_no_invented_stage_breakdown() -> None:
    label = import_footprint(own_footprints()[0], DEFAULTS)
    assert "stages" not in label["footprint"] and not Footprint.from_label(label).stages


def test_import_reads_list_responses_single_footprints_and_json_lines() -> None:
    a, b = own_footprints()[:2]
    assert footprints_in(json.dumps({"data": [a, b]})) == [a, b]
    assert footprints_in(json.dumps({"data": a})) == [a]
    assert footprints_in(json.dumps(b)) == [b]
    assert footprints_in(json.dumps(a) + "\n\n" + json.dumps({"data": [b]}) + "\n") == [a, b]
    with pytest.raises(MappingError) as e:
        footprints_in('{"pcf": {"declaredUnitAmount": 1.5}}')
    assert e.value.code == "pact.bad_input" and "float" in e.value.message


@pytest.mark.parametrize(("text", "out"), [("+1.50", "1.50"), ("007", "7"), ("-0", "0"), ("0.0", "0.0")])
def test_pact_decimals_keep_their_value_and_digits(text: str, out: str) -> None:
    assert pact_decimal(text, "/x") == out


def test_declared_units_match_the_label_schema() -> None:
    from mapping.pact_import import LABEL_DECLARED_UNITS
    from mapping.vocabulary import DECLARED_UNITS

    assert LABEL_DECLARED_UNITS == DECLARED_UNITS
