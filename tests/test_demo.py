"""`carbonledger demo` end to end in a temporary home, as the README's first command runs it; twice, since it
is idempotent on its home (the second run appends nothing and reaches the same verdicts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from verifier.report import PROVEN_STEP_NAMES

from .helpers import Cli


def _demo(home: Path) -> dict[str, Any]:
    return Cli(home).json("--home", str(home), "demo")


def test_demo_tells_the_whole_story_idempotently(tmp_path: Path) -> None:
    first = _demo(tmp_path / "home")
    assert first["verify"]["verdict"] == "authentic_and_valid" and first["verify"]["exit_code"] == 0
    assert {s["status"] for s in first["verify"]["steps"]} == {"passed"}
    verdicts = {scheme: v["verdict"] for scheme, v in first["equivalence"].items()}
    assert verdicts == {
        "hk-cma-carbon-label": "recognized",
        "carbontrust-label": "recognized_after_conversion",
        "jp-sumpo-cfp": "no_agreement",
    }
    assert first["equivalence"]["hk-cma-carbon-label"]["agreement"]["id"] == "gd-hk-mutual"
    assert first["equivalence"]["hk-cma-carbon-label"]["agreement"]["version"] == 2  # the counter-proposal
    assert first["verify"]["citations"] and first["verify"]["citations"][0]["status"] == "matched"
    assert "GD-CL-2024-0003" in first["labels"]
    files = Path(first["files"])
    assert (files / "trust-hk-buyer.json").exists() and (files / "GD-CL-2025-0101.bundle.json").exists()
    # Guangdong's and Hong Kong's witnesses cosign; the buyer's trust file demands both; the bundle v2 proves
    # the label's status, and the step titles say so (citations appended to step 8 keep its earned title)
    steps = {s["step"]: s for s in first["verify"]["steps"]}
    assert "cosigned by 2 of 2 witnesses (threshold 2)" in steps[6]["detail"]
    assert steps[8]["name"] == PROVEN_STEP_NAMES[8] and "citations: 1 matched" in steps[8]["detail"]
    assert steps[3]["name"] == PROVEN_STEP_NAMES[3]
    trust = json.loads((files / "trust-hk-buyer.json").read_text())
    assert trust["witnesses"]["threshold"] == 2 and trust["witnesses"]["vkeys"] == first["witnesses"]["vkeys"]
    # the national label's buyer verifies the Huzhou label, which cites a TianGong release by its signed digest
    # and is adopted by the national label (tests/test_demo_huzhou.py, tests/test_demo_tiangong.py say more)
    assert _huzhou(first) == HUZHOU
    assert (files / "trust-cn-buyer.json").exists() and (files / "HZ-CL-2025-0001.bundle.json").exists()
    second = _demo(tmp_path / "home")
    assert second["tree_size"] == first["tree_size"]
    assert {s: v["verdict"] for s, v in second["equivalence"].items()} == verdicts
    assert _huzhou(second) == HUZHOU


HUZHOU = (
    "authentic_and_valid",
    {"cn-electricity-footprint": "matched", "tiangong-lca-data": "matched"},
    "recognized",
    "huzhou-to-cn-adoption",
)


def _huzhou(summary: dict[str, Any]) -> tuple[Any, ...]:
    h = summary["huzhou"]
    cites = {c["dataset"]: c["status"] for c in h["verify"]["citations"]}
    return h["verify"]["verdict"], cites, h["equivalence"]["verdict"], h["equivalence"]["agreement"]["id"]


def test_the_demo_gives_the_same_verdicts_years_from_now(tmp_path: Path) -> None:
    # The README's verify command must not turn not_equivalent when the shipped agreements' dates pass.
    from datetime import UTC, datetime

    from ledger.demo_story import DemoStory, init_demo_home
    from ledger.home import open_log

    later = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
    home = tmp_path / "home"
    log = open_log(init_demo_home(home), lambda: later, precheck_workers=False)
    try:
        summary = DemoStory(home, log, lambda *a, **k: None).tell()
    finally:
        log.store.close()
    assert summary["verify"]["verdict"] == "authentic_and_valid", summary["verify"]["steps"]
    assert {s: v["verdict"] for s, v in summary["equivalence"].items()} == {
        "hk-cma-carbon-label": "recognized",
        "carbontrust-label": "recognized_after_conversion",
        "jp-sumpo-cfp": "no_agreement",
    }
    assert _huzhou(summary) == HUZHOU


def test_the_demos_current_labels_export_as_pact_footprints(tmp_path: Path, copy_demo_home: Any) -> None:
    from tests.helpers import Cli
    from tests.pact_schema import validator

    cli = Cli(copy_demo_home(tmp_path / "home"))
    for label_id in ("GD-CL-2025-0101", "HK-CMA-2025-0007", "HZ-CL-2025-0001"):
        footprint = json.loads(cli.run("pact", "export", label_id).stdout)
        assert [e.message for e in validator().iter_errors(footprint)] == []
        assert footprint["status"] == "Active"
