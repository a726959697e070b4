"""What a person sees: `label show`, `bundle show` (not verified, and saying so), the verdict line and the
`label` object of `verify --json`, `--version`, `-h`, and output that stays one line per line when piped."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import Cli
from .test_cli import GD, issued

__all__ = ["issued"]  # the fixture, used by name

LABEL = "GD-CL-2022-0003"


def test_label_show_reads_as_a_person_reads_it(issued: tuple[Cli, Path]) -> None:
    cli, _ = issued
    out = cli.run("label", "show", LABEL).stdout
    assert out.startswith(f"{LABEL} ({GD}): active, its validity ended 2025-06-27")
    assert "footprint: 2713.8100 kgCO2e per 1 piece" in out and "verifier: CQC Guangzhou" in out
    assert "None" not in out
    doc = cli.json("label", "show", LABEL)
    assert doc["label"]["label_id"] == LABEL and doc["index"] == 2 and doc["status"] == "active"
    missing = cli.run("label", "show", "NO-SUCH-LABEL", ok=False)
    assert missing.returncode != 0 and "label.unknown" in missing.stderr + missing.stdout


def test_bundle_show_decodes_without_verifying_and_says_so(issued: tuple[Cli, Path]) -> None:
    cli, tmp = issued
    cli.json("bundle", LABEL, "--out", str(tmp / "show.bundle.json"))
    out = cli.run("bundle", "show", str(tmp / "show.bundle.json")).stdout
    assert out.startswith("not verified")
    assert "label.issue" in out and "scheme.register" in out and "checkpoint of tree size 3" in out
    doc = cli.json("bundle", "show", str(tmp / "show.bundle.json"))
    assert doc["verified"] is False and doc["label"]["label_id"] == LABEL and doc["tree_size"] == 3
    assert [e["kind"] for e in doc["entries"]] == ["scheme.register", "key.authorize", "label.issue"]
    assert {it["kind"] for it in doc["status"]} >= {"label", "key", "scheme"}
    (tmp / "junk.json").write_text("{")
    bad = cli.run("bundle", "show", str(tmp / "junk.json"), ok=False)
    assert bad.returncode != 0 and "json.malformed" in bad.stderr + bad.stdout


def test_verify_leads_with_the_verdict_and_what_was_verified(issued: tuple[Cli, Path]) -> None:
    cli, tmp = issued
    cli.json("bundle", LABEL, "--out", str(tmp / "lead.bundle.json"))
    cli.json("trust", "export", "--out", str(tmp / "lead.trust.json"))
    args = ("verify", str(tmp / "lead.bundle.json"), "--trust", str(tmp / "lead.trust.json"), "--at", "2023-01-01")
    out = cli.run(*args).stdout
    first = " ".join(out.split("\nlabel ")[0].split())  # the verdict line (wrapped at the terminal's width)
    assert first.startswith("AUTHENTIC_AND_VALID: ") and "2713.8100 kgCO2e per 1 piece" in first
    assert "valid 2022-06-28 to 2025-06-27" in first and "verified by CQC Guangzhou" in first
    label = json.loads(cli.run(*args, "--json").stdout)["label"]
    assert {k: label[k] for k in ("label_id", "value", "unit", "valid_until")} == {
        "label_id": LABEL,
        "value": "2713.8100",
        "unit": "kgCO2e per 1 piece",
        "valid_until": "2025-06-27",
    }
    assert label["product"].startswith("Inverter split air conditioner")


def test_version_and_short_help(issued: tuple[Cli, Path]) -> None:
    cli, _ = issued
    assert cli.run("--version").stdout.startswith("carbonledger ")
    assert "Usage: carbonledger" in cli.run("-h").stdout
    assert "Usage: carbonledger label show" in cli.run("label", "show", "-h").stdout


def test_piped_output_is_not_wrapped(issued: tuple[Cli, Path]) -> None:
    cli, _ = issued
    cli.overrides.pop("COLUMNS")  # as a pipe: no terminal, no width given
    removed = cli.removed
    cli.removed = (*removed, "COLUMNS")
    try:
        out = cli.run("label", "show", LABEL).stdout
    finally:
        cli.overrides["COLUMNS"], cli.removed = "200", removed
    assert any(len(line) > 80 for line in out.splitlines())  # a long line stays one line


def test_attack_two_logs_with_one_origin_are_not_taken_for_a_split_view(tmp_path: Path) -> None:
    # Two independent demo logs share one origin (`init` now derives unique ones, but an operator may choose
    # any); a buyer verifying a label from each must not be told that their checkpoints are inconsistent
    # (exit 7): kept checkpoints are filed per log key, not per origin — and where `--state` says.
    from ledger.demo_story import DEMO_SCHEMES, REFERENCE_PUBLISHER
    from ledger.home import init_home

    buyer = Cli(tmp_path / "buyer")
    for name in ("a", "b"):
        allowed = [s[0] for s in DEMO_SCHEMES] + [REFERENCE_PUBLISHER]
        init_home(tmp_path / name, origin="shared.example/log", allowed_schemes=allowed)
        owner = Cli(tmp_path / name)
        out = owner.json("demo")
        files = Path(out["files"])
        r = buyer.run(
            "verify", str(files / "GD-CL-2025-0101.bundle.json"), "--trust", str(files / "trust-hk-buyer.json"),
            "--to", "hk-cma-carbon-label", ok=False,
        )  # fmt: skip
        assert r.returncode == 0, (name, r.stdout[-600:])
    kept = json.loads((tmp_path / "buyer" / "kept-checkpoints.json").read_text())
    assert len(kept) == 2 and all(k.startswith("shared.example/log ") for k in kept)
    elsewhere = tmp_path / "elsewhere.json"
    r = buyer.json(
        "verify", str(files / "GD-CL-2025-0101.bundle.json"), "--trust", str(files / "trust-hk-buyer.json"),
        "--to", "hk-cma-carbon-label", "--state", str(elsewhere),
    )  # fmt: skip
    assert r["kept_state"] == {"file": str(elsewhere), "updated": True} and len(json.loads(elsewhere.read_text())) == 1
