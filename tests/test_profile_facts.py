"""Issue 20's corrected profile facts, one test per fact, each naming its source; the date-dependent GWP rule;
the boundary of a Guangdong cradle-to-grave label against an EN 15804+A2 EPD; the battery functional unit."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

import mapping
from mapping.errors import MappingError
from mapping.profiles import get_profile, gwp_rule_met, gwp_sets_required, list_profiles, validate_profile


def _by_dim(a: str, b: str) -> dict[str, Any]:
    return {d.dimension: d for d in mapping.diff(a, b)}


# ---- EN 15804+A2 boundary: A1–A3, C1–C4 and D mandatory; A4–A5 and B optional (schemes.md §1a [K]) -------------
@pytest.mark.parametrize("pid", ["en15804-a2", "epd-intl-en15804a2"])
def test_en15804_a2_boundary_mandatory_modules_and_optional_ones_schemes_md_1a(pid: str) -> None:
    b = get_profile(pid).dimension("boundary")
    assert b.value == ["cradle-to-grave"]
    assert b.get("optional_stages") == ["distribution", "use"]  # A4–A5 and B1–B7
    assert b.get("module_d") == "required"
    assert "schemes.md §1a" in b.source and "A1–A3 plus C1–C4 plus D" in b.source


def test_guangdong_against_epd_international_is_not_an_identical_boundary() -> None:
    there = _by_dim("gd-carbon-label", "epd-intl-en15804a2")["boundary"]
    assert there.cls != "identical"
    assert there.cls == "needs_agreement" and "module D" in there.reason
    back = _by_dim("epd-intl-en15804a2", "gd-carbon-label")["boundary"]
    assert back.cls == "needs_agreement" and back.conversion == "boundary-extend"  # A4–A5 and B may be absent


def test_an_epd_boundary_trims_to_pact_cradle_to_gate() -> None:
    # every EN 15804+A2 EPD holds A1–A3: trimming C (and any A4–A5, B declared) gives PACT's cradle-to-gate
    d = _by_dim("epd-intl-en15804a2", "pact-v3")["boundary"]
    assert (d.cls, d.conversion) == ("convertible", "boundary-trim")
    assert "end-of-life" in d.reason


# ---- verification: EN 15804 (via ISO 14025) internal or external; EPD International external ---------------
def test_en15804_a2_verification_may_be_internal_iso14025_anab_source() -> None:
    d = get_profile("en15804-a2").to_dict()
    v = d["dimensions"]["verification"]
    assert v["value"] == {"third_party": False, "min_level": "unspecified"}
    assert "[N1]" in v["source"] and "anab.ansi.org/standard/iso-14025" in d["references"]["N1"]


def test_epd_international_requires_external_verification_s36_and_environdec() -> None:
    d = get_profile("epd-intl-en15804a2").to_dict()
    v = d["dimensions"]["verification"]
    assert v["value"]["third_party"] is True
    assert "[S36]" in v["source"] and "environdec.com" in d["references"]["N1"]
    assert _by_dim("en15804-a2", "epd-intl-en15804a2")["verification"].cls == "needs_agreement"


# ---- reference standards no source names: the scheme extends nothing and says [?] --------------------------
@pytest.mark.parametrize("pid", ["gd-carbon-label", "cn-ceesta-tdzjn", "cn-huzhou-carbon-label"])
def test_unsourced_base_standard_is_not_claimed_schemes_md(pid: str) -> None:
    p = get_profile(pid)
    assert p.kind == "scheme" and p.extends is None
    assert "[?]" in p.to_dict()["source"]


def test_guangdong_standards_stay_unspecified_schemes_md_2_10() -> None:
    std = get_profile("gd-carbon-label").dimension("standards")
    assert std.unspecified and "[?]" in std.source


def test_a_scheme_that_extends_nothing_must_say_why() -> None:
    doc = copy.deepcopy(get_profile("gd-carbon-label").to_dict())
    doc["source"] = "schemes.md §2.10 [S13]"
    with pytest.raises(MappingError) as e:
        validate_profile(doc)
    assert (e.value.code, e.value.field) == ("mapping.invalid_profile", "/extends")


# ---- GWP: "the latest IPCC values" is a rule judged by the footprint's date -------------------------------
def test_iso14067_gwp_is_a_date_rule_with_ipcc_publication_dates_n1_n2() -> None:
    d = get_profile("iso14067-2018").to_dict()
    g = d["dimensions"]["gwp_sets"]
    assert [(p["from"], p["sets"]) for p in g["by_date"]] == [
        ("2013-09-27", ["AR5", "AR5-feedback"]),  # AR5 WG1, Stockholm [N2]
        ("2021-08-09", ["AR6"]),  # AR6 WG1 release [N1]
    ]
    assert "2021-08-09" in d["references"]["N1"] and "2013-09-27" in d["references"]["N2"]


def test_an_ar5_footprint_of_2018_conforms_to_iso14067_under_the_rule() -> None:
    iso = get_profile("iso14067-2018")
    assert gwp_sets_required(iso.dimension("gwp_sets"), date(2018, 11, 1)) == ("AR5", "AR5-feedback")
    assert gwp_rule_met(iso, ["AR5"], date(2018, 11, 1))
    assert not gwp_rule_met(iso, ["AR6"], date(2018, 11, 1))  # AR6 did not exist yet
    assert not gwp_rule_met(iso, ["AR5"], date(2023, 3, 1))  # by then AR6 is the latest
    assert gwp_rule_met(iso, ["AR6"], date(2021, 8, 9))
    assert not gwp_rule_met(iso, ["AR5"], date(2021, 8, 9))
    assert gwp_rule_met(iso, ["AR5"], date(2021, 8, 8))


def test_pas2050_rule_starts_with_the_ar4_it_tabulates_n3() -> None:
    pas = get_profile("pas2050-2011")
    g = pas.dimension("gwp_sets")
    assert g.get("by_date")[0]["from"] == "2007-02-02" and g.get("by_date")[0]["sets"] == ["AR4"]
    assert "AR4" in g.note and "Annex A" in g.note
    assert gwp_rule_met(pas, ["AR4"], date(2012, 5, 1))
    assert not gwp_rule_met(pas, ["AR4"], date(2016, 5, 1))
    assert gwp_sets_required(g, date(2006, 1, 1)) is None  # before AR4: no set the package holds


def test_a_fixed_rule_and_an_unspecified_one_ignore_the_date() -> None:
    pact = get_profile("pact-v3")
    assert gwp_sets_required(pact.dimension("gwp_sets"), date(2015, 1, 1)) == ("AR6",)
    gd = get_profile("gd-carbon-label")
    assert gwp_sets_required(gd.dimension("gwp_sets"), date(2023, 1, 1)) is None
    assert not gwp_rule_met(gd, ["AR6"], date(2023, 1, 1))
    assert not gwp_rule_met(pact, [], date(2023, 1, 1))


def test_the_differ_never_calls_a_date_rule_identical_to_fixed_ar6() -> None:
    there = _by_dim("iso14067-2018", "pact-v3")["gwp_sets"]
    assert there.cls == "convertible" and there.conversion == "gwp-recharacterize"
    assert "/issued_at" in there.needs and "date" in there.reason
    pas = _by_dim("pas2050-2011", "pact-v3")["gwp_sets"]
    assert pas.cls == "convertible" and "/issued_at" in pas.needs


def test_fixed_ar6_into_a_date_rule_is_identical_and_ar5_depends_on_the_date() -> None:
    # a footprint declaring AR6 postdates AR6's publication, when the rule requires AR6
    assert _by_dim("pact-v3", "iso14067-2018")["gwp_sets"].cls == "identical"
    same = _by_dim("iso14067-2018", "iso14067-2018")["gwp_sets"]
    assert same.cls == "identical"
    # ISO's rule starts at AR5, PAS's at AR4: an AR4 PAS footprint needs re-characterization (and its date)
    pas_iso = _by_dim("pas2050-2011", "iso14067-2018")["gwp_sets"]
    assert pas_iso.cls == "convertible" and "/issued_at" in pas_iso.needs
    # from 2013-09-27 on, the two "latest IPCC" rules require the same sets on every date
    assert _by_dim("iso14067-2018", "pas2050-2011")["gwp_sets"].cls == "identical"


@pytest.mark.parametrize(
    ("by_date", "field"),
    [
        ([{"from": "2021-08-09", "sets": ["AR6"], "source": "t [?]"}] * 2, "/dimensions/gwp_sets/by_date"),
        ([{"from": "2021-08-09", "sets": ["AR4"], "source": "t [?]"}], "/dimensions/gwp_sets/by_date/0/sets"),
        ([{"from": "2021-02-30", "sets": ["AR6"], "source": "t [?]"}], "/dimensions/gwp_sets/by_date/0/from"),
    ],
)
def test_malformed_gwp_rules_are_refused(by_date: list, field: str) -> None:
    doc = copy.deepcopy(get_profile("iso14067-2018").to_dict())
    doc["dimensions"]["gwp_sets"]["by_date"] = by_date
    with pytest.raises(MappingError) as e:
        validate_profile(doc)
    assert (e.value.code, e.value.field) == ("mapping.invalid_profile", field)


def test_optional_stages_must_lie_inside_the_boundary_and_not_be_excluded() -> None:
    doc = copy.deepcopy(get_profile("en15804-a2").to_dict())
    doc["dimensions"]["boundary"]["value"] = ["cradle-to-gate"]
    with pytest.raises(MappingError) as e:
        validate_profile(doc)
    assert e.value.field == "/dimensions/boundary/optional_stages"
    doc = copy.deepcopy(get_profile("en15804-a2").to_dict())
    doc["dimensions"]["boundary"]["excluded_stages"] = ["use"]
    with pytest.raises(MappingError) as e:
        validate_profile(doc)
    assert e.value.field == "/dimensions/boundary/optional_stages"


# ---- SuMPO: the old CFP programme stopped new registrations in March 2020 (cfp-japan.jp) --------------------
def test_sumpo_notes_the_cfp_programme_closed_to_new_registrations_in_march_2020() -> None:
    d = get_profile("jp-sumpo-cfp").to_dict()
    std = d["dimensions"]["standards"]
    assert "March 2020" in std["note"] and "[N1]" in std["note"]
    assert "cfp-japan.jp" in d["references"]["N1"] and "2020-03-31" in d["references"]["N1"]
    assert "ISO/TS 14067:2013" in std["value"]  # the integrated programme still names it [S40]


# ---- the battery functional unit is not a plain kWh (schemes.md §2.15, §4.2 example 3 [S50]) ---------------
@pytest.mark.parametrize(("a", "b"), [("eu-battery-cfb", "iso14067-2018"), ("iso14067-2018", "eu-battery-cfb")])
def test_battery_lifetime_kwh_is_never_identical_to_a_plain_kwh(a: str, b: str) -> None:
    d = _by_dim(a, b)["declared_unit"]
    assert d.cls == "needs_agreement" and "service life" in d.reason
    assert _by_dim("eu-battery-cfb", "eu-battery-cfb")["declared_unit"].cls == "identical"


# ---- the added profiles: sourced or unspecified ------------------------------------------------------------
ADDED = [
    "iso14025-2006",
    "iso14026-2017",
    "iso14083-2023",
    "en15804-a1",
    "catenax-pcf-rulebook",
    "tfs-pcf-guideline",
    "jp-meti-moe-cfp-guideline-2023",
    "tw-moenv-carbon-label",
    "th-tgo-carbon-label",
    "hk-cic-carbon-label",
    "cn-cqc-low-carbon",
]


@pytest.mark.parametrize("pid", ADDED)
def test_added_profiles_cite_named_sources_or_say_unspecified(pid: str) -> None:
    p = get_profile(pid)
    refs = p.to_dict()["references"]
    for dim in p.dimensions():
        if dim.unspecified:
            assert "[?]" in dim.source, (pid, dim.name)
        else:
            tags = [t for t in refs if f"[{t}" in dim.source or f" {t}]" in dim.source or f"{t}," in dim.source]
            assert tags or "schemes.md" in dim.source, (pid, dim.name)


def test_added_facts_match_their_sources() -> None:
    assert get_profile("tfs-pcf-guideline").dimension("boundary").value == ["cradle-to-gate"]  # ecomatters.nl
    assert get_profile("catenax-pcf-rulebook").dimension("cut_off").value == {"max_exempted_percent": "3"}
    assert get_profile("th-tgo-carbon-label").dimension("claim_types").value == ["footprint", "reduction"]
    assert get_profile("tw-moenv-carbon-label").dimension("verification").value["third_party"] is True
    assert get_profile("cn-cqc-low-carbon").dimension("claim_types").value == ["grade"]
    assert get_profile("hk-cic-carbon-label").dimension("boundary").unspecified  # cradle to the HK border [S71]
    assert get_profile("iso14025-2006").dimension("verification").value["third_party"] is False
    assert len(list_profiles()) == 17 + len(ADDED)


def test_conversion_reads_a_date_dependent_gwp_rule_at_the_labels_date() -> None:
    """ISO 14067's "most recent IPCC values": an AR5 footprint issued in 2018 needs no re-characterization; one
    issued in 2023 is re-characterized to AR6 — the planner never takes the union of every period."""
    from mapping.footprint import Footprint
    from mapping.planner import plan_conversion

    from .helpers import midea_label

    def gwp_steps(issued: str) -> list[tuple[str, dict[str, object]]]:
        label = midea_label()
        label["issued_at"], label["valid_until"] = issued, "2030-12-31"
        plan = plan_conversion(Footprint.from_label(label), get_profile("iso14067-2018"))
        return [s for s in plan.steps if s[0] == "gwp-recharacterize"]

    assert gwp_steps("2018-06-01") == []
    assert gwp_steps("2023-06-01") == [("gwp-recharacterize", {"to_set": "AR6"})]
