"""Equivalence verdicts (issue 5 §3): every verdict kind, each condition failing alone, the time rules.

The mapping layer's conversions are injected; ``fake_convert`` below is a test double of that layer (a
pure function with the same contract), not of any store. One test runs the real ``mapping.conversions``.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mapping.equivalence import VERDICTS, Verdict, evaluate
from mapping.errors import MappingError

from .helpers import midea_label
from .test_agreements_negotiation import CT, GD, HK, KR, Ledger
from .test_agreements_terms import _set

AGREEMENTS = Path(__file__).parent.parent / "mapping" / "data" / "agreements"
ONE_WAY_CT = {"parties": [GD, CT], "direction": "one-way", "from": GD, "to": CT}
GWP_TO_AR6 = [{"name": "gwp-recharacterize", "params": {"to_set": "AR6"}}]
PIN = {"dataset": "ipcc-gwp100", "version": 2, "entry": "ab" * 32, "key": "AR6"}


def fake_convert(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """A stand-in for mapping.conversions.apply_steps(...).to_dict(): gwp-recharacterize multiplies by 1.02."""
    value = Decimal(record["footprint"]["pcf"]["value"])
    sets = list(record["footprint"]["ipccCharacterizationFactors"])
    trail = []
    for step in steps:
        if step["name"] == "gwp-recharacterize":
            value = (value * Decimal("1.02")).quantize(Decimal("0.0001"))
            sets = [step["params"]["to_set"]]
        trail.append({"step": step["name"], "params": step["params"], "datasets": step.get("datasets", [])})
    return {
        "value": str(value),
        "unit": "kgCO2e",
        "approximate": False,
        "reasons": [],
        "trail": trail,
        "gwp_sets": sets,
    }


def keep_sets_convert(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    out = fake_convert(record, steps)
    out["gwp_sets"] = record["footprint"]["ipccCharacterizationFactors"]
    return out


def failing_convert(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    raise MappingError("the label has no per-gas masses", code="mapping.missing_data", field="/footprint/stages")


def never_convert(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    raise AssertionError("no conversion should run")


def label(**changes: Any) -> dict[str, Any]:
    out = midea_label()
    out["valid_until"] = "2029-12-31"
    for pointer, value in changes.items():
        out = _set(out, pointer, value)
    return out


class World:
    """A ledger of agreement events plus labels logged into the same index and clock."""

    def __init__(self) -> None:
        self.ledger = Ledger()

    def log_label(self) -> tuple[int, datetime]:
        return self.ledger._next()

    def verdict(
        self,
        logged: tuple[int, datetime],
        at: date | None = None,
        *,
        record: dict[str, Any] | None = None,
        scheme: str = GD,
        target: str = HK,
        convert: Any = fake_convert,
        recompute: Any = None,
    ) -> Verdict:
        v = evaluate(
            record if record is not None else label(),
            scheme,
            logged[0],
            logged[1],
            target,
            at or self.ledger.now.date(),
            self.ledger.history,
            convert=convert,
            recompute_total=recompute,
        )
        assert v.verdict in VERDICTS
        return v


def in_force(**changes: Any) -> World:
    w = World()
    w.ledger.propose(GD, **changes)
    w.ledger.accept(HK)
    return w


# ------------------------------------------------------------------------------------------------- verdict kinds


def test_same_scheme_is_recognized_without_agreement() -> None:
    w = World()
    v = w.verdict(w.log_label(), target=GD, convert=never_convert)
    assert v.to_dict() == {
        "verdict": "recognized",
        "agreement": None,
        "reasons": ["same scheme"],
        "failed_conditions": [],
    }


def test_no_agreement_at_all() -> None:
    w = World()
    v = w.verdict(w.log_label())
    assert v.verdict == "no_agreement" and v.agreement is None
    assert "no agreement covering gd-carbon-label -> hk-cma-carbon-label" in v.reasons[0]


def test_agreement_with_other_schemes_is_no_agreement() -> None:
    w = in_force()
    v = w.verdict(w.log_label(), target=KR)
    assert v.verdict == "no_agreement"


def test_recognized() -> None:
    w = in_force()
    accept = w.ledger.history[-1]
    v = w.verdict(w.log_label(), convert=never_convert)
    assert v.verdict == "recognized"
    d = v.to_dict()
    assert d["agreement"] == {
        "id": "gd-hk-mutual",
        "version": 1,
        "terms_hash": accept.terms_hash,
        "index": accept.index,
        "proposed_index": w.ledger.history[0].index,
    }
    assert d["failed_conditions"] == [] and "converted" not in d
    assert any("tolerance not checked" in r for r in d["reasons"])


def test_mutual_works_both_ways() -> None:
    w = in_force()
    v = w.verdict(w.log_label(), record=label(**{"/scheme": HK}), scheme=HK, target=GD)
    assert v.verdict == "recognized"


def test_recognized_after_conversion() -> None:
    w = World()
    w.ledger.propose(GD, agreement_id="gd-ct", conversions=GWP_TO_AR6, datasets=[PIN], **ONE_WAY_CT)
    w.ledger.accept(CT, agreement_id="gd-ct")
    v = w.verdict(w.log_label(), target=CT)
    assert v.verdict == "recognized_after_conversion"
    d = v.to_dict()
    assert d["converted"]["value"] == str((Decimal("2713.8100") * Decimal("1.02")).quantize(Decimal("0.0001")))
    assert d["converted"]["unit"] == "kgCO2e" and d["converted"]["approximate"] is False
    assert d["converted"]["trail"] == [{"step": "gwp-recharacterize", "params": {"to_set": "AR6"}, "datasets": [PIN]}]
    assert d["agreement"]["id"] == "gd-ct"
    # one-way: the other direction has no agreement
    back = w.verdict(w.log_label(), record=label(**{"/scheme": CT}), scheme=CT, target=GD)
    assert back.verdict == "no_agreement"


def test_proposed_but_not_accepted_is_no_agreement() -> None:
    w = World()
    w.ledger.propose(GD)
    v = w.verdict(w.log_label())
    assert v.verdict == "no_agreement"
    assert "gd-hk-mutual: latest version 1 is proposed" in v.reasons


def test_not_recognized_lists_every_failure() -> None:
    w = in_force()
    record = label(**{"/verification/level": "none", "/footprint/primaryDataShare": "10"})
    v = w.verdict(w.log_label(), record=record)
    assert v.verdict == "not_recognized"
    d = v.to_dict()
    assert [(f["field"], f["actual"], f["required"]) for f in d["failed_conditions"]] == [
        ("/verification/level", "none", "limited"),
        ("/footprint/primaryDataShare", "10", "30"),
    ]
    assert d["agreement"]["version"] == 1 and "converted" not in d


# ------------------------------------------------------------------------------------------------- each condition alone

ALL_OPS_CONDITIONS = [
    {"field": "/claim/type", "op": "eq", "value": "footprint", "applies": "as_issued"},
    {"field": "/product/category/code", "op": "in", "value": ["43912", "43913"], "applies": "as_issued"},
    {
        "field": "/verification/level",
        "op": "at_least",
        "value": "limited",
        "ordering": "verification",
        "applies": "as_issued",
    },
    {
        "field": "/footprint/boundary",
        "op": "at_least",
        "value": "cradle-to-gate",
        "ordering": "boundary",
        "applies": "as_issued",
    },
    {
        "field": "/footprint/ipccCharacterizationFactors",
        "op": "at_least",
        "value": "AR5",
        "ordering": "gwp_set",
        "applies": "as_issued",
    },
    {"field": "/footprint/primaryDataShare", "op": "gte", "value": "30", "applies": "after_conversion"},
    {"field": "/footprint/exemptedEmissionsPercent", "op": "lte", "value": "1", "applies": "after_conversion"},
    {"field": "/footprint/pcf/value", "op": "lte", "value": "5000", "applies": "after_conversion"},
]
# (condition field, a label change breaking only it, the label's failing value)
ALONE: list[tuple[str, str, dict[str, Any], Any]] = [
    ("eq", "/claim/type", {"/claim/type": "neutrality"}, "neutrality"),
    ("in", "/product/category/code", {"/product/category/code": "4391"}, "4391"),
    ("at_least verification", "/verification/level", {"/verification/level": "none"}, "none"),
    ("at_least boundary", "/footprint/boundary", {"/footprint/boundary": "gate-to-gate"}, "gate-to-gate"),
    (
        "at_least gwp_set",
        "/footprint/ipccCharacterizationFactors",
        {"/footprint/ipccCharacterizationFactors": ["AR4"]},
        ["AR4"],
    ),
    ("gte", "/footprint/primaryDataShare", {"/footprint/primaryDataShare": "29.9"}, "29.9"),
    ("lte", "/footprint/exemptedEmissionsPercent", {"/footprint/exemptedEmissionsPercent": "1.01"}, "1.01"),
    ("lte after conversion", "/footprint/pcf/value", {"/footprint/pcf/value": "4950"}, "5049.0000"),
    ("absent", "/footprint/primaryDataShare", {"/footprint/primaryDataShare": "DELETE"}, None),
]


def _break(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for pointer, value in changes.items():
        if value == "DELETE":
            parent, key = pointer.rsplit("/", 1)
            node = record
            for p in parent.strip("/").split("/"):
                node = node[p]
            del node[key]
        else:
            record = _set(record, pointer, value)
    return record


@pytest.mark.parametrize(("name", "field", "changes", "actual"), ALONE, ids=[a[0] for a in ALONE])
def test_each_condition_failing_alone(name: str, field: str, changes: dict[str, Any], actual: Any) -> None:
    w = World()
    w.ledger.propose(GD, agreement_id="gd-ct", conditions=ALL_OPS_CONDITIONS, conversions=GWP_TO_AR6, **ONE_WAY_CT)
    w.ledger.accept(CT, agreement_id="gd-ct")
    logged = w.log_label()
    assert w.verdict(logged, target=CT).verdict == "recognized_after_conversion"
    v = w.verdict(logged, target=CT, record=_break(label(), changes))
    assert v.verdict == "not_recognized"
    assert len(v.failed_conditions) == 1, v.failed_conditions
    failed = v.failed_conditions[0]
    assert failed.field == field and failed.actual == actual and not failed.ok
    expected = next(c for c in ALL_OPS_CONDITIONS if c["field"] == field)
    assert failed.op == expected["op"] and failed.required == expected["value"]


def test_numeric_conditions_see_the_converted_record() -> None:
    after = {"field": "/footprint/ipccCharacterizationFactors", "op": "at_least", "value": "AR6", "ordering": "gwp_set"}
    w = World()
    w.ledger.propose(
        GD,
        agreement_id="gd-ct",
        conditions=[{**after, "applies": "after_conversion"}],
        conversions=GWP_TO_AR6,
        **ONE_WAY_CT,
    )
    w.ledger.accept(CT, agreement_id="gd-ct")
    logged = w.log_label()
    assert w.verdict(logged, target=CT).verdict == "recognized_after_conversion"
    v = w.verdict(logged, target=CT, convert=keep_sets_convert)
    assert v.verdict == "not_recognized" and v.failed_conditions[0].actual == ["AR5"]


def test_provenance_conditions_see_the_label_as_issued() -> None:
    before = {
        "field": "/footprint/ipccCharacterizationFactors",
        "op": "at_least",
        "value": "AR6",
        "ordering": "gwp_set",
    }
    w = World()
    w.ledger.propose(
        GD, agreement_id="gd-ct", conditions=[{**before, "applies": "as_issued"}], conversions=GWP_TO_AR6, **ONE_WAY_CT
    )
    w.ledger.accept(CT, agreement_id="gd-ct")
    v = w.verdict(w.log_label(), target=CT)
    assert v.verdict == "not_recognized" and v.failed_conditions[0].actual == ["AR5"]


def test_conversion_that_fails_is_not_recognized() -> None:
    w = World()
    w.ledger.propose(GD, agreement_id="gd-ct", conversions=GWP_TO_AR6, **ONE_WAY_CT)
    w.ledger.accept(CT, agreement_id="gd-ct")
    v = w.verdict(w.log_label(), target=CT, convert=failing_convert)
    assert v.verdict == "not_recognized"
    assert any("conversion failed: mapping.missing_data" in r for r in v.reasons)
    assert "converted" not in v.to_dict()


# ------------------------------------------------------------------------------------------------- tolerance


@pytest.mark.parametrize(
    ("recomputed", "ok", "reason"),
    [
        (Decimal("2713.81"), True, "relative gap 0.000000 <= 0.01"),
        (Decimal("2700"), True, "relative gap 0.005115 <= 0.01"),
        (Decimal("2680"), False, "relative gap 0.012616 exceeds 0.01"),
        (Decimal("0"), False, "relative gap unbounded exceeds 0.01"),
    ],
)
def test_tolerance(recomputed: Decimal, ok: bool, reason: str) -> None:
    w = in_force()
    v = w.verdict(w.log_label(), recompute=lambda record: recomputed)
    assert (v.verdict == "recognized") is ok
    text = " | ".join(v.reasons + [f.reason for f in v.failed_conditions])
    assert reason in text
    if not ok:
        f = v.failed_conditions[0]
        assert (f.field, f.op, f.required) == ("/footprint/pcfExcludingBiogenicUptake", "tolerance", "0.01")


def test_attack_label_without_breakdown_escapes_the_tolerance_check() -> None:
    # A seller strips the stage x gas masses so nothing can be recomputed: the check fails, never skips...
    w = in_force()
    v = w.verdict(w.log_label(), recompute=lambda record: None)
    assert v.verdict == "not_recognized"
    assert v.failed_conditions[0].field == "/footprint/stages" and "every_label" in v.failed_conditions[0].reason
    # ...unless the terms say the check applies only to labels with a breakdown
    w = in_force(tolerance_scope="labels_with_breakdown")
    v = w.verdict(w.log_label(), recompute=lambda record: None)
    assert v.verdict == "recognized"
    assert any(r.startswith("tolerance not applicable: the label has no stage x gas breakdown") for r in v.reasons)


def test_tolerance_compares_emissions_with_emissions_when_the_headline_includes_uptake() -> None:
    # A correct label whose headline includes biogenic uptake (200) while its emissions are 2713.81: the
    # recomputed emissions are compared with the stated emissions, not with the headline.
    w = in_force()
    record = label()
    fp = record["footprint"]
    fp["pcfIncludingBiogenicUptake"] = "200"
    fp["pcf"]["value"] = "200"
    v = w.verdict(w.log_label(), record=record, recompute=lambda record: Decimal("2713.81"))
    assert v.verdict == "recognized", v.reasons
    assert any("stated emissions 2713.81" in r and "relative gap 0.000000" in r for r in v.reasons)


# ------------------------------------------------------------------------------------------------- time rules


def test_label_logged_before_the_version_came_into_force() -> None:
    w = World()
    logged = w.log_label()
    w.ledger.propose(GD)
    w.ledger.accept(HK)
    v = w.verdict(logged)
    assert v.verdict == "recognized"  # rule 5: the version in force on the date decides
    assert any("is in force on the date asked" in r for r in v.reasons)
    assert w.verdict(logged, at=logged[1].date() - timedelta(days=1)).verdict == "no_agreement"


def test_label_logged_during_stays_recognized_until_withdrawal() -> None:
    w = in_force()
    logged = w.log_label()
    w.ledger.tick(30)
    withdrawal = w.ledger.withdraw(HK)
    before = w.verdict(logged, at=withdrawal.at.date() - timedelta(days=1))
    assert before.verdict == "recognized"
    assert any("stays recognized under that version" in r for r in before.reasons)
    after = w.verdict(logged, at=withdrawal.at.date() + timedelta(days=1))
    assert after.verdict == "no_agreement"
    assert any(f"withdrawn at index {withdrawal.index}" in r for r in after.reasons)


def test_label_logged_after_a_withdrawal_is_not_covered() -> None:
    w = in_force()
    w.ledger.withdraw(GD)
    logged = w.log_label()
    v = w.verdict(logged)
    assert v.verdict == "no_agreement"
    assert any("after gd-hk-mutual version 1 was withdrawn" in r for r in v.reasons)


def test_label_logged_after_a_withdrawal_covered_by_a_later_version() -> None:
    w = in_force()
    w.ledger.withdraw(GD)
    logged = w.log_label()
    w.ledger.propose(HK, 2, tolerance="0.02")
    w.ledger.accept(GD, 2)
    v = w.verdict(logged)
    assert v.verdict == "recognized" and v.agreement is not None and v.agreement.version == 2


def test_label_logged_during_then_version_expires() -> None:
    w = in_force(valid_until="2025-05-31")
    logged = w.log_label()
    assert w.verdict(logged, at=date(2025, 5, 31)).verdict == "recognized"
    v = w.verdict(logged, at=date(2025, 6, 1))
    assert v.verdict == "not_recognized"  # it was recognized; an expired agreement is not "no agreement"
    assert any("expired on" in r for r in v.reasons)


def test_carry_over_until_label_expiry_survives_expiry() -> None:
    w = in_force(valid_until="2025-05-31", carry_over="until_label_expiry")
    logged = w.log_label()
    v = w.verdict(logged, at=date(2026, 6, 1))
    assert v.verdict == "recognized" and v.agreement is not None and v.agreement.version == 1
    w.ledger.tick(100)
    late = w.log_label()  # logged after the version expired: not covered
    verdict = w.verdict(late, at=date(2026, 6, 1))
    assert verdict.verdict == "not_recognized" and any("expired on" in r for r in verdict.reasons)


def test_carry_over_until_label_expiry_ends_at_withdrawal() -> None:
    w = in_force(carry_over="until_label_expiry")
    logged = w.log_label()
    w.ledger.withdraw(HK)
    assert w.verdict(logged).verdict == "no_agreement"


def test_label_logged_during_v1_then_v2_comes_into_force() -> None:
    w = in_force()
    logged = w.log_label()
    w.ledger.propose(GD, 2, supersedes=1, valid_from="2025-06-01", valid_until="2026-12-31", tolerance="0.02")
    w.ledger.accept(HK, 2)
    under_v1 = w.verdict(logged, at=date(2025, 5, 31))
    assert under_v1.agreement is not None and under_v1.agreement.version == 1
    under_v2 = w.verdict(logged, at=date(2025, 6, 1))
    assert under_v2.verdict == "recognized" and under_v2.agreement is not None and under_v2.agreement.version == 2
    assert any("superseded by version 2" in r for r in under_v2.reasons)


def test_label_expiry_before_the_version_end() -> None:
    w = in_force()
    logged = w.log_label()
    record = label(**{"/valid_until": "2025-04-30"})
    assert w.verdict(logged, at=date(2025, 4, 30), record=record).verdict == "recognized"
    v = w.verdict(logged, at=date(2025, 5, 1), record=record)
    assert v.verdict == "not_recognized" and v.agreement is None
    assert v.reasons == ["label expired: its valid_until is 2025-04-30"]


def test_label_logged_while_accepted_but_before_the_window_opened() -> None:
    w = in_force(valid_from="2025-06-01", valid_until="2026-12-31")
    logged = w.log_label()
    assert w.verdict(logged, at=date(2025, 5, 31)).verdict == "no_agreement"
    assert w.verdict(logged, at=date(2025, 6, 1)).verdict == "recognized"


def test_a_verdict_for_a_past_date_ignores_later_events() -> None:
    w = in_force()
    logged = w.log_label()
    accepted_day = w.ledger.now.date()
    w.ledger.tick(60)
    w.ledger.withdraw(GD)
    assert w.verdict(logged, at=accepted_day).verdict == "recognized"
    assert w.verdict(logged).verdict == "no_agreement"


def test_inconsistent_history_with_two_versions_in_force_is_refused() -> None:
    """evaluate() trusts admission; handed an inconsistent history it refuses to pick one."""
    a, b = in_force(), in_force()
    for ev in b.ledger.history:
        a.ledger.history.append(
            type(ev)(**{**ev.__dict__, "agreement_id": "gd-hk-bis", "index": ev.index + 1000})  # bypass admission
        )
    with pytest.raises(MappingError) as e:
        a.verdict(a.log_label(), at=date(2026, 1, 1))
    assert e.value.code == "agreement.overlap_in_force"


# ------------------------------------------------------------------------------------------------- real mapping layer


def test_shipped_one_way_terms_with_the_real_conversions() -> None:
    conversions = pytest.importorskip("mapping.conversions")
    from verifier.agreements import terms_hash

    from .test_agreements_terms import parse

    doc = json.loads((AGREEMENTS / "gd-to-carbontrust-ar6.json").read_text(encoding="utf-8"))
    assert {c["name"] for c in doc["conversions"]} <= set(conversions.CONVERSIONS)
    w = World()
    w.ledger.now = datetime(2026, 2, 1, 9, 0, tzinfo=w.ledger.now.tzinfo)
    terms = parse(doc)
    from mapping.negotiation import AgreementEvent

    index, at = w.ledger._next()
    w.ledger.admit(
        AgreementEvent(
            kind="propose",
            index=index,
            signer_scheme=GD,
            signer_is_root=True,
            agreement_id=terms.id,
            version=1,
            terms_hash=terms_hash(doc),
            terms=terms,
            at=at,
        )
    )
    w.ledger.accept(CT, agreement_id=terms.id)

    def real(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
        return conversions.apply_steps(record, steps).to_dict()

    v = w.verdict(w.log_label(), target=CT, convert=real)
    assert v.verdict == "recognized_after_conversion", v.to_dict()
    assert v.converted is not None and v.converted["trail"]
    assert Decimal(v.converted["value"]) != Decimal("2713.8100")
