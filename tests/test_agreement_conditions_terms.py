"""Issue 20 item 4: agreement terms with real conditions — the verifier's accreditation (body and standard), the
verification standard, the PCR, the background databases, each electricity factor's kind, geography and year,
the data's age and the exempted share — in the condition language (field pointer, op, value), with ``*`` for
each element of a list and dates for ``gte``/``lte``. The shipped Guangdong–Hong Kong terms use them; a label
failing one is not recognized, with that condition as its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mapping.agreement_conditions import check_condition
from mapping.errors import MappingError
from verifier.agreements import label_fields
from verifier.equivalence_offline import recompute_total

from .test_agreements_equivalence import in_force, label, never_convert
from .test_agreements_terms import _DELETE, _set, cond, parse
from .test_verify_equivalence import HK, World, mutual, run, world  # noqa: F401 (world is a fixture)

SHIPPED = json.loads(
    (Path(__file__).parent.parent / "mapping" / "data" / "agreements" / "gd-hk-mutual.json").read_text(encoding="utf-8")
)
CN = {"value": "0.5568", "unit": "kgCO2/kWh", "kind": "combustion-co2", "year": 2021, "geography": "CN"}


def two_supplies(second: dict[str, Any]) -> dict[str, Any]:
    out = label()
    out["footprint"]["electricity"].append({"kwh": "10", "stage": "production", "basis": "location", "factor": second})
    return out


# ---- the language: each element, dates, objects ------------------------------------------------------------
def test_each_element_of_a_list_must_satisfy_the_condition() -> None:
    kind = cond("/footprint/electricity/*/factor/kind", "in", ["combustion-co2", "lifecycle-co2e"])
    ok = check_condition(kind, two_supplies(CN))
    assert ok.ok and ok.actual == ["combustion-co2", "combustion-co2"]
    # A certificate-backed supplier factor on the second supply fails the whole condition, and says which.
    res = check_condition(kind, two_supplies({**CN, "kind": "supplier-specific", "unit": "kgCO2e/kWh"}))
    assert not res.ok and "'supplier-specific' is not one of" in res.reason
    # A supply without the member is absent, naming the element; a label listing no supply fails too.
    no_year = {k: v for k, v in CN.items() if k != "year"}
    res = check_condition(cond("/footprint/electricity/*/factor/year", "gte", "2021"), two_supplies(no_year))
    assert not res.ok and res.reason == "absent: the label has no /footprint/electricity/1/factor/year"
    res = check_condition(kind, _set(label(), "/footprint/electricity", []))
    assert not res.ok and res.actual == [] and "lists none" in res.reason
    res = check_condition(kind, _set(label(), "/footprint/electricity", _DELETE))
    assert not res.ok and res.reason.startswith("absent")


def test_each_names_only_fields_of_the_label_schema() -> None:
    known = label_fields()
    assert known("/footprint/electricity/*/factor/kind")
    assert known("/footprint/secondaryEmissionFactorSources/*/name")
    assert known("/verification/accreditation/body") and known("/verification/accreditation/standard")
    assert not known("/footprint/electricity/*/factor/colour")
    assert not known("/footprint/stages/*/masses_kg")  # stages is an object: '*' is a member name there, and none
    with pytest.raises(MappingError) as e:
        parse(_set(SHIPPED, "/conditions/0/field", "/footprint/electricity/*/nope"))
    assert e.value.code == "agreement.unknown_field"


def test_attack_object_elements_compared_as_values_fail_instead_of_crashing() -> None:
    # A pointer to the list of objects itself (not a member of each): every element is an object, never "in" a list.
    res = check_condition(cond("/footprint/secondaryEmissionFactorSources", "in", ["Tiangong LCA Data"]), label())
    assert not res.ok and "is not a value the condition can compare" in res.reason


def test_dates_bound_the_data_age() -> None:
    since = cond("/footprint/referencePeriodEnd", "gte", "2021-01-01")
    assert check_condition(since, label()).ok  # the Midea data end 2021-12-31
    res = check_condition(since, _set(label(), "/footprint/referencePeriodEnd", "2020-12-31"))
    assert not res.ok and res.reason == "2020-12-31 is before 2021-01-01"
    res = check_condition(cond("/footprint/exemptedEmissionsPercent", "gte", "2021-01-01"), label())
    assert not res.ok and res.reason == "'0.6' is not a date"
    with pytest.raises(MappingError) as e:
        cond("/footprint/referencePeriodEnd", "lte", "2021-02-30")
    assert e.value.field == "/conditions/0/value" and "not a calendar date" in e.value.message


# ---- the shipped Guangdong–Hong Kong terms -----------------------------------------------------------------
def test_shipped_gd_hk_terms_name_the_real_conditions_and_stay_illustrative() -> None:
    terms = parse(SHIPPED)
    fields = {c.field for c in terms.conditions}
    assert {
        "/verification/accreditation/body",
        "/verification/accreditation/standard",
        "/verification/standard",
        "/methodology/pcr",
        "/footprint/secondaryEmissionFactorSources/*/name",
        "/footprint/electricity/*/factor/kind",
        "/footprint/electricity/*/factor/geography",
        "/footprint/electricity/*/factor/year",
        "/footprint/referencePeriodEnd",
        "/footprint/exemptedEmissionsPercent",
    } <= fields
    assert terms.illustrative and "illustrative" in SHIPPED["title"] and "illustrative" in SHIPPED["notes"]
    by_field = {c.field: c.value for c in terms.conditions}
    assert by_field["/verification/accreditation/body"] == ["CNAS", "HKAS"]
    assert by_field["/verification/accreditation/standard"] == ["ISO 14065:2020"]
    assert by_field["/verification/standard"] == ["ISO 14064-3:2019"]


def test_midea_label_is_recognized_under_the_shipped_terms() -> None:
    w = in_force(conditions=SHIPPED["conditions"])
    v = w.verdict(w.log_label(), convert=never_convert, recompute=recompute_total)
    assert v.verdict == "recognized", v.reasons


ACCREDITATION, DATABASES = "/verification/accreditation", "/footprint/secondaryEmissionFactorSources"
FACTOR = "/footprint/electricity/*/factor"
FAILURES = [
    ("no structured accreditation", ACCREDITATION, _DELETE, f"{ACCREDITATION}/body"),
    ("accredited by UKAS", f"{ACCREDITATION}/body", "UKAS", f"{ACCREDITATION}/body"),
    ("accredited to ISO 14065:2013", f"{ACCREDITATION}/standard", "ISO 14065:2013", f"{ACCREDITATION}/standard"),
    ("verified to ISO 14064-3:2006", "/verification/standard", "ISO 14064-3:2006", "/verification/standard"),
    ("another PCR", "/methodology/pcr", "PCR for kettles", "/methodology/pcr"),
    ("an unlisted database", f"{DATABASES}/0/name", "GaBi", f"{DATABASES}/*/name"),
    ("no database named", DATABASES, _DELETE, f"{DATABASES}/*/name"),
    ("a market-based supply", "/footprint/electricity/0/basis", "market", "/footprint/electricity/*/basis"),
    ("a residual-mix factor", "/footprint/electricity/0/factor/kind", "residual-mix-co2", f"{FACTOR}/kind"),
    ("an EU grid factor", "/footprint/electricity/0/factor/geography", "EU-27", f"{FACTOR}/geography"),
    ("a 2019 factor", "/footprint/electricity/0/factor/year", 2019, f"{FACTOR}/year"),
    ("data of 2019", "/footprint/referencePeriodEnd", "2019-12-31", "/footprint/referencePeriodEnd"),
    ("8% exempted", "/footprint/exemptedEmissionsPercent", "8", "/footprint/exemptedEmissionsPercent"),
]


@pytest.mark.parametrize(("why", "pointer", "value", "expected"), FAILURES, ids=[f[0] for f in FAILURES])
def test_label_failing_one_real_condition_is_not_recognized_with_that_condition(
    why: str, pointer: str, value: Any, expected: str
) -> None:
    record = _set(label(), pointer, value)
    if pointer == "/footprint/electricity/0/factor/kind":  # a residual-mix CO2 factor, in its unit
        record = _set(record, "/footprint/electricity/0/basis", "residual-mix")
    w = in_force(conditions=SHIPPED["conditions"])
    v = w.verdict(w.log_label(), record=record, convert=never_convert, recompute=recompute_total)
    assert v.verdict == "not_recognized", why
    failed = {c.field for c in v.failed_conditions}
    assert expected in failed, (why, failed)
    assert any(r.startswith(f"failed: {expected} ") for r in v.reasons)


def test_bundle_of_a_label_without_accreditation_is_not_equivalent(world: World) -> None:  # noqa: F811
    """Offline (step 10): the buyer's verdict is not_equivalent, and the failed condition is its reason."""
    mutual(world)
    record = _set(label(), "/verification/accreditation", _DELETE)
    record.update(scheme="gd-carbon-label", label_id="GD-NO-ACCR", issued_at="2026-06-01", valid_until="2029-05-31")
    world.issue("GD-NO-ACCR", record)
    r = run(world.bundle("GD-NO-ACCR", HK), world.trust(), target_scheme=HK)
    assert r.verdict() == "not_equivalent"
    eq = r.equivalence
    assert eq is not None and eq["verdict"] == "not_recognized"
    assert [c["field"] for c in eq["failed_conditions"]] == [
        "/verification/accreditation/body",
        "/verification/accreditation/standard",
    ]
    assert "/verification/accreditation/body" in r.steps[10].detail or any(
        "/verification/accreditation/body" in reason for reason in eq["reasons"]
    )
