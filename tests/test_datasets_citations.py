"""verifier.citations.check_citation: each citation status and each citation error (issue 8, item 3)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ledger.reference_data import REFERENCE_PUBLISHER, shipped_datasets
from mapping.errors import CarbonLedgerError, InputError, SchemaError
from verifier import citations, schemas
from verifier.envelope import parse_entry

from .helpers import NOW, Signer, midea_label


def _publish(dataset_id: str, *, version: int = 1) -> tuple[dict[str, Any], str]:
    """A signed dataset.publish of a shipped dataset: (payload, entry id)."""
    body = next(d for d in shipped_datasets() if d["id"] == dataset_id)
    body = copy.deepcopy(body) | {"version": version}
    entry = parse_entry(Signer().sign("dataset.publish", {"publisher": REFERENCE_PUBLISHER, "dataset": body}, now=NOW))
    return entry.body, entry.entry_id


GRID, GRID_ID = _publish("cn-grid-co2")


def _cite(payload: dict[str, Any], entry: str, key: str) -> dict[str, Any]:
    return {"dataset": payload["dataset"]["id"], "version": payload["dataset"]["version"], "entry": entry, "key": key}


def _label(cite: dict[str, Any], **factor_changes: Any) -> dict[str, Any]:
    """The Midea label (0.5568 kgCO2/kWh, combustion-co2, 2021, CN) citing ``cite`` from its electricity factor."""
    label = midea_label()
    factor = label["footprint"]["electricity"][0]["factor"]
    factor["citation"] = dict(cite)
    factor.update(factor_changes)
    label["cites"] = [dict(cite)]
    # issued after the 2021 factor's publication (2024-04-12): a citation of a later value is flagged
    # (test_datasets_published.py), which is not what these tests are about
    label["issued_at"] = "2024-06-28"
    schemas.validate("label-record", label)
    return label


CITE = _cite(GRID, GRID_ID, "CN/2021")


def test_matched() -> None:
    label = _label(CITE)
    citations.check_label_citations(label)
    result = citations.check_citation(CITE, GRID, "current", label)
    assert result.to_dict() == {
        "dataset": "cn-grid-co2",
        "version": 1,
        "entry": GRID_ID,
        "key": "CN/2021",
        "status": "matched",
        "value": "0.5568",
        "unit": "kgCO2/kWh",
        "kind": "combustion-co2",
        "publisher": REFERENCE_PUBLISHER,
        "newer_version": None,
        "findings": [],
    }
    assert citations.require_present(result, label) is result
    # the entry id the caller looked up agrees
    assert citations.check_citation(CITE, GRID, "current", label, entry_id=GRID_ID).status == "matched"
    # the dataset object alone, with the publisher passed
    alone = citations.check_citation(CITE, GRID["dataset"], "current", label, publisher="p-x")
    assert (alone.status, alone.publisher) == ("matched", "p-x")


def test_equal_as_decimal_not_as_text() -> None:
    assert citations.check_citation(CITE, GRID, "current", _label(CITE, value="0.55680")).status == "matched"


def test_superseded_names_the_newest_version() -> None:
    label = _label(CITE)
    result = citations.check_citation(CITE, GRID, "superseded", label, newer_versions=[3, 2])
    assert (result.status, result.newer_version, result.value) == ("superseded", 3, "0.5568")
    # newer versions alone make it superseded; a status without the list still says so
    assert citations.check_citation(CITE, GRID, "current", label, newer_versions=[2]).status == "superseded"
    assert citations.check_citation(CITE, GRID, "superseded", label).to_dict()["newer_version"] is None


def test_retired() -> None:
    result = citations.check_citation(CITE, GRID, "retired", _label(CITE), newer_versions=[2])
    assert (result.status, result.newer_version) == ("retired", 2)


def test_missing_is_reported_and_refused_by_require_present() -> None:
    label = _label(CITE)
    for body, status in ((None, "current"), (GRID, "missing")):
        result = citations.check_citation(CITE, body, status, label)
        assert result.status == "missing"
        assert (result.value, result.unit, result.publisher, result.newer_version) == (None, None, None, None)
    with pytest.raises(SchemaError) as e:
        citations.require_present(result, label)
    assert (e.value.code, e.value.field) == ("dataset.citation_missing", "/cites/0/entry")
    with pytest.raises(SchemaError) as e:
        citations.require_present(result)
    assert (e.value.code, e.value.field) == ("dataset.citation_missing", "/cites")


def _error(cite: dict[str, Any], label: dict[str, Any], body: dict[str, Any] = GRID, **kw: Any) -> CarbonLedgerError:
    with pytest.raises(CarbonLedgerError) as e:
        citations.check_citation(cite, body, "current", label, **kw)
    return e.value


@pytest.mark.parametrize(
    ("member", "value"), [("version", 2), ("dataset", "cn-regional-grid-co2"), ("entry", "ab" * 32)]
)
def test_citation_mismatch(member: str, value: Any) -> None:
    cite = CITE | {member: value}
    label = _label(cite)
    kw = {"entry_id": GRID_ID} if member == "entry" else {}
    err = _error(cite, label, **kw)
    assert (err.code, err.field) == ("dataset.citation_mismatch", f"/cites/0/{member}")


def test_citation_unknown_key() -> None:
    cite = CITE | {"key": "CN/2020"}
    err = _error(cite, _label(cite))
    assert (err.code, err.field) == ("dataset.citation_unknown_key", "/cites/0/key")


VALUE_MISMATCHES = [
    ({"value": "0.5569"}, "value"),
    ({"value": "0.5366"}, "value"),  # another year's value
    ({"unit": "kgCO2e/kWh"}, "unit"),  # CO2 only signed, CO2e stated
    ({"kind": "residual-mix-co2"}, "kind"),
    ({"year": 2022}, "year"),
    ({"td_losses_included": True}, "td_losses_included"),
]


@pytest.mark.parametrize(("changes", "member"), VALUE_MISMATCHES)
def test_citation_value_mismatch(changes: dict[str, Any], member: str) -> None:
    err = _error(CITE, _label(CITE, **changes))
    assert (err.code, err.field) == ("dataset.citation_value_mismatch", f"/footprint/electricity/0/factor/{member}")


def test_scopes_are_never_mixed_silently() -> None:
    """schemes.md §4.2 example 4: the 0.6205 life-cycle factor stated as a combustion factor is refused."""
    footprint, fp_id = _publish("cn-electricity-footprint")
    cite = _cite(footprint, fp_id, "CN/2023")
    ok = _label(cite, value="0.6205", unit="kgCO2e/kWh", kind="lifecycle-co2e", year=2023, td_losses_included=True)
    assert citations.check_citation(cite, footprint, "current", ok).status == "matched"
    wrong = _label(cite, value="0.6205", unit="kgCO2e/kWh", kind="combustion-co2e", year=2023)
    err = _error(cite, wrong, footprint)
    assert (err.code, err.field) == ("dataset.citation_value_mismatch", "/footprint/electricity/0/factor/kind")


def test_units_are_converted_exactly() -> None:
    """281 gCO2e/kWh (EEA) = 0.281 kgCO2e/kWh; 0.5703 tCO2/MWh = 0.5703 kgCO2/kWh."""
    eu, eu_id = _publish("eu-electricity-eea")
    cite = _cite(eu, eu_id, "EU-27/2018")
    label = _label(cite, value="0.281", unit="kgCO2e/kWh", kind="combustion-co2e", year=2018, geography="EU-27")
    assert citations.check_citation(cite, eu, "current", label).status == "matched"
    err = _error(cite, _label(cite, value="281", unit="kgCO2e/kWh", kind="combustion-co2e", year=2018), eu)
    assert (err.code, err.field) == ("dataset.citation_value_mismatch", "/footprint/electricity/0/factor/value")
    cite = CITE | {"key": "CN/2022/power-sector-reporting"}
    label = _label(cite, value="0.5703", year=2022, td_losses_included=True)  # td unspecified in the dataset
    assert citations.check_citation(cite, GRID, "current", label).status == "matched"


def test_only_factors_citing_this_key_are_compared() -> None:
    label = _label(CITE)
    other = copy.deepcopy(label["footprint"]["electricity"][0])
    other["factor"]["value"] = "0.9"
    other["factor"]["citation"] = CITE | {"key": "CN/2022"}
    label["footprint"]["electricity"].append(other)
    assert citations.check_citation(CITE, GRID, "current", label).status == "matched"
    err = _error(CITE | {"key": "CN/2022"}, label)
    assert (err.code, err.field) == ("dataset.citation_value_mismatch", "/footprint/electricity/1/factor/value")


def test_release_citations_name_a_file() -> None:
    from .test_datasets_schema import publish_release

    release = publish_release()
    cite = {"dataset": "tiangong-lca-db", "version": 3, "entry": "12" * 32, "key": "db.zip"}
    label = midea_label() | {"cites": [cite]}
    result = citations.check_citation(cite, release, "current", label)
    assert (result.status, result.value, result.publisher) == ("matched", None, "tiangong-lca")
    err = _error(cite | {"key": "other.zip"}, label, release)
    assert (err.code, err.field) == ("dataset.citation_unknown_key", "/cites")  # not listed in the label's cites
    label["footprint"]["electricity"][0]["factor"]["citation"] = cite
    err = _error(cite, label, release)
    assert (err.code, err.field) == ("dataset.citation_value_mismatch", "/footprint/electricity/0/factor/citation")


def test_factor_citations_must_be_listed() -> None:
    label = _label(CITE)
    label["cites"] = []
    with pytest.raises(SchemaError) as e:
        citations.check_label_citations(label)
    assert (e.value.code, e.value.field) == ("dataset.citation_unlisted", "/footprint/electricity/0/factor/citation")
    citations.check_label_citations(midea_label())  # no citations at all


def test_unknown_status_is_a_caller_error() -> None:
    with pytest.raises(InputError) as e:
        citations.check_citation(CITE, GRID, "stale", _label(CITE))
    assert e.value.code == "dataset.status_invalid"
