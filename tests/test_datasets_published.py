"""Issue 20, item 5: every shipped factor carries when it was published and where that date comes from; a label
citing a value published after its ``issued_at`` is flagged (``citation.published_after_issue``) by admission
(the receipt) and by the offline verifier (the citation in the report), and refused by neither
(verifier/citations_published.py says why). Dataset entries without a publication date (every one before this
issue) still verify."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import mapping
from ledger.reference_data import gwp_dataset_from_csv, shipped_datasets
from mapping.errors import SchemaError
from verifier import datasets, schemas
from verifier.citations_published import (
    PUBLISHED_AFTER_ISSUE,
    check_published,
    earliest_publication,
    label_findings,
    published_after_issue,
)

from .test_datasets_reference import SHARED, _payload
from .test_verify_equivalence import DATASET, World, run
from .test_verify_equivalence import world as world

# (dataset, key) -> the publication as schemes.md §3 gives it: the day, else (year, month), else a lower bound.
EXPECTED: dict[tuple[str, str], tuple[str, str]] = {
    # source: schemes.md §3 [S24]: "MEE and NBS, announcement 2024 No. 12 (2024-04-12)"; the announcement also
    # publishes the fossil-only factor (its text at hfyfsb.com/industry/elec/3596.html, an [S24] page)
    ("cn-grid-co2", "CN/2021"): ("date", "2024-04-12"),
    ("cn-grid-co2", "CN/2021/fossil-only"): ("date", "2024-04-12"),
    # source: schemes.md §3 [S24]: "0.5366 kgCO2/kWh | 2022 | CO2 only | MEE and NBS, 2024-12-20"; the same
    # announcement publishes the regional, residual-mix-analogue and fossil-only factors of 2022
    ("cn-grid-co2", "CN/2022"): ("date", "2024-12-20"),
    ("cn-grid-co2", "CN/2022/excluding-market-traded-non-fossil"): ("date", "2024-12-20"),
    ("cn-grid-co2", "CN/2022/fossil-only"): ("date", "2024-12-20"),
    **{("cn-regional-grid-co2", f"CN-{r}/2022"): ("date", "2024-12-20") for r in ("South", "North", "Central")},
    # source: schemes.md §3 [S24]: "0.5306 kgCO2/kWh | 2023 | CO2 only | MEE and NBS, published around the end of
    # 2025": no day, so only the lower bound
    ("cn-grid-co2", "CN/2023"): ("not_before", "2025-01-01"),
    ("cn-grid-co2", "CN/2023/fossil-only"): ("not_before", "2025-01-01"),
    ("cn-regional-grid-co2", "CN-South/2023"): ("not_before", "2025-01-01"),
    # source: schemes.md §3 [S25]: "MEE notice on 2023–2025 power-sector GHG reporting (Feb 2023)"
    ("cn-grid-co2", "CN/2022/power-sector-reporting"): ("month", "2023-02"),
    # source: schemes.md §3 [S26]: "announcement on 2023 electricity carbon-footprint factors, published January 2025"
    ("cn-electricity-footprint", "CN/2023"): ("month", "2025-01"),
    # source: schemes.md §3 [S27, secondary]: "MEE announcement on 2024 factors, October 2025"
    ("cn-electricity-footprint", "CN/2024"): ("month", "2025-10"),
    # source: schemes.md §3 [S31]: "0.207074 (2023 set, published 2023-06-07 [S31])"
    ("uk-electricity-desnz", "UK/2023"): ("date", "2023-06-07"),
    # source: schemes.md §3: no publication date given ([S28], [S29], [S30], [S32]; the 2021/2022 UK sets are [K])
    ("hk-utilities-electricity", "HK/CLP/2019"): ("unspecified", ""),
    ("hk-utilities-electricity", "HK/HKE/2019"): ("unspecified", ""),
    ("eu-electricity-eea", "EU-27/2018"): ("unspecified", ""),
    ("uk-electricity-desnz", "UK/2021"): ("unspecified", ""),
    ("uk-electricity-desnz", "UK/2022"): ("unspecified", ""),
    ("uk-electricity-desnz", "UK/2024"): ("unspecified", ""),
}


def _values() -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["id"], v["key"]): v for d in shipped_datasets() for v in d["values"]}


def _said(published: dict[str, Any]) -> tuple[str, str]:
    if published["date"] != "unspecified":
        return "date", published["date"]
    if "month" in published:
        return "month", f"{published['year']}-{published['month']:02d}"
    if "not_before" in published:
        return "not_before", published["not_before"]
    return "unspecified", ""


def test_every_shipped_factor_says_when_it_was_published_and_where_that_comes_from() -> None:
    values = _values()
    for (dataset_id, key), value in values.items():
        published = value["published"]
        assert published["source"].strip(), (dataset_id, key)
        tagged = any(tag in published["source"] for tag in ("[S", "[K]", "schemes.md"))
        assert tagged, f"{dataset_id} {key}: the publication's source names no schemes.md tag"
        if published["date"] == "unspecified" and len(published) == 2:
            # nothing but "not found": the source says so rather than guessing
            assert "not" in published["source"], (dataset_id, key)
    for (dataset_id, key), expected in EXPECTED.items():
        assert _said(values[(dataset_id, key)]["published"]) == expected, (dataset_id, key)


def test_every_date_is_one_schemes_md_gives() -> None:
    """No publication day that schemes.md does not print: a guess never becomes a date."""
    text = (SHARED / "schemes.md").read_text(encoding="utf-8") if (SHARED / "schemes.md").is_file() else None
    if text is None:
        pytest.skip("shared/domain/schemes.md is not beside the checkout")
    for (dataset_id, key), value in _values().items():
        day = value["published"]["date"]
        if day != "unspecified":
            assert day in text, f"{dataset_id} {key}: {day} is not in schemes.md"


def test_gwp_values_carry_their_reports_year_as_general_knowledge() -> None:
    body = gwp_dataset_from_csv((Path(mapping.__file__).parent / "data" / "gwp.csv").read_text(encoding="utf-8"))
    years = {v["gwp_set"]: v["published"]["year"] for v in body["values"]}
    assert years == {"AR4": 2007, "AR5": 2013, "AR5-feedback": 2013, "AR6": 2021}
    # source: schemes.md §1a "IPCC 2013 (AR5)" [K]; the other years are general knowledge, and say so
    assert all(v["published"]["source"].startswith("[K]") for v in body["values"])


# ---- the shape: additive, checked -----------------------------------------------------------------------------


def _footprint_body() -> dict[str, Any]:
    return copy.deepcopy(next(d for d in shipped_datasets() if d["id"] == DATASET))


def test_an_entry_without_publication_dates_still_validates() -> None:
    body = _footprint_body()
    for v in body["values"]:
        del v["published"]
    schemas.validate("dataset.publish", _payload(body))
    datasets.check_dataset(_payload(body))


@pytest.mark.parametrize(
    ("published", "member"),
    [
        ({"date": "2024-04-12", "year": 2024, "source": "x"}, "year"),
        ({"date": "2024-04-12", "not_before": "2024-01-01", "source": "x"}, "not_before"),
        ({"date": "unspecified", "year": 2025, "not_before": "2025-01-01", "source": "x"}, "year"),
    ],
)
def test_a_publication_dated_twice_is_refused(published: dict[str, Any], member: str) -> None:
    body = _footprint_body()
    body["values"][0]["published"] = published
    schemas.validate("dataset.publish", _payload(body))
    with pytest.raises(SchemaError) as e:
        datasets.check_dataset(_payload(body))
    assert (e.value.code, e.value.field) == ("dataset.value_invalid", f"/dataset/values/0/published/{member}")


@pytest.mark.parametrize(
    "published",
    [
        {"date": "2025-02-30", "source": "x"},  # no such day
        {"date": "January 2025", "source": "x"},
        {"date": "unspecified", "month": 1, "source": "x"},  # a month needs its year
        {"date": "unspecified"},  # the source is required
        {"date": "unspecified", "year": 2025, "source": "x", "quarter": 1},
    ],
)
def test_the_schema_refuses_a_malformed_publication(published: dict[str, Any]) -> None:
    body = _footprint_body()
    body["values"][0]["published"] = published
    with pytest.raises(SchemaError):
        schemas.validate("dataset.publish", _payload(body))


def test_a_release_digest_is_dated_as_a_whole() -> None:
    release = {
        "id": "tiangong-lca-data",
        "version": 1,
        "title": "A database release (test)",
        "licence": "test",
        "geography": "CN",
        "years": [],
        "published": {"date": "2025-03-01", "source": "test release notes"},
        "release": {"name": "test", "version": "1", "files": [{"name": "steel.json", "size": 1, "sha256": "ab" * 32}]},
    }
    schemas.validate("dataset.publish", _payload(release))
    datasets.check_dataset(_payload(release))
    cite = {"dataset": "tiangong-lca-data", "version": 1, "entry": "cd" * 32, "key": "steel.json"}
    early = published_after_issue({"issued_at": "2025-02-28"}, cite, release)
    assert early is not None and early["code"] == PUBLISHED_AFTER_ISSUE
    assert published_after_issue({"issued_at": "2025-03-01"}, cite, release) is None


# ---- the rule: certain contradictions only ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "earliest"),
    [
        ({"date": "2024-04-12", "source": "x"}, date(2024, 4, 12)),
        ({"date": "unspecified", "year": 2025, "month": 10, "source": "x"}, date(2025, 10, 1)),
        ({"date": "unspecified", "year": 2025, "source": "x"}, date(2025, 1, 1)),
        ({"date": "unspecified", "not_before": "2025-01-01", "source": "x"}, date(2025, 1, 1)),
        ({"date": "unspecified", "source": "x"}, None),
        (None, None),
    ],
)
def test_the_earliest_day_a_value_can_have_been_published(published: Any, earliest: date | None) -> None:
    assert earliest_publication(published) == earliest
    if isinstance(published, dict):
        check_published(published, "/p")


def test_a_label_issued_within_the_month_of_publication_is_not_flagged() -> None:
    """January 2025 (no day): a label of 2025-01-15 may have come after it; only a label before the 1st is flagged."""
    body = _footprint_body()
    cite = {"dataset": DATASET, "version": 1, "entry": "ab" * 32, "key": "CN/2023"}
    assert published_after_issue({"issued_at": "2025-01-15"}, cite, body) is None
    flagged = published_after_issue({"issued_at": "2024-12-31"}, cite, body, "/cites/0")
    assert flagged is not None and flagged["field"] == "/cites/0" and flagged["issued_at"] == "2024-12-31"
    assert "published in 2025-01" in flagged["message"] and "[S26]" in flagged["message"]


def test_label_findings_skip_what_the_caller_does_not_hold() -> None:
    body = _footprint_body()
    cite = {"dataset": DATASET, "version": 1, "entry": "ab" * 32, "key": "CN/2023"}
    label = {"issued_at": "2024-06-01", "cites": [cite, dict(cite, entry="cd" * 32)]}
    held = {"ab" * 32: _payload(body)}
    found = label_findings(label, held.get)
    assert [f["field"] for f in found] == ["/cites/0"]
    # a payload of another dataset than the one cited dates nothing (the citation checks refuse it)
    assert label_findings({"issued_at": "2024-06-01", "cites": [dict(cite, version=2)]}, held.get) == []


# ---- the attack: on the log and on the offline verifier -----------------------------------------------------


def _backdated(world: World, label_id: str, entry: str) -> dict[str, Any]:
    """A label citing the 2023 footprint factor (published January 2025) but stating it was issued in 2024."""
    label = world.citing_label(label_id, entry)
    label["issued_at"], label["valid_until"] = "2024-06-01", "2027-05-31"
    return label


def test_seller_cites_a_factor_published_after_the_label_is_flagged_at_admission(world: World) -> None:
    v1 = world.publish()
    receipt = world.issue("GD-LATE-1", _backdated(world, "GD-LATE-1", v1.entry_id))
    # flagged, not refused: the label is in the log, and the receipt says what contradicts its date
    assert receipt.index == v1.index + 1
    [finding] = receipt.findings
    assert finding["code"] == PUBLISHED_AFTER_ISSUE and finding["field"] == "/cites/0"
    assert finding["issued_at"] == "2024-06-01" and finding["published"]["year"] == 2025
    assert receipt.to_dict()["findings"] == [finding]
    # a label issued after the publication gets a receipt with no finding
    assert world.issue("GD-ONTIME-1", world.citing_label("GD-ONTIME-1", v1.entry_id)).findings == ()


def test_seller_cites_a_factor_published_after_the_label_is_flagged_by_the_offline_verifier(world: World) -> None:
    v1 = world.publish()
    receipt = world.issue("GD-LATE-2", _backdated(world, "GD-LATE-2", v1.entry_id))
    r = run(world.bundle("GD-LATE-2"), world.trust(), at=date(2026, 6, 1))
    [c] = r.citations
    assert c["status"] == "matched" and [f["code"] for f in c["findings"]] == [PUBLISHED_AFTER_ISSUE]
    assert "issued on 2024-06-01" in c["findings"][0]["message"]
    assert "1 flagged citation.published_after_issue" in r.steps[8].detail
    # a flag, not a failure: every step passes and the verdict stands (module docstring of citations_published)
    assert r.exit_code() == 0, r.to_dict()
    # the same rule as admission, from the same signed data: the receipt's finding is the report's
    assert list(receipt.findings) == c["findings"]
