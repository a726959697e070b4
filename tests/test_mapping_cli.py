"""convert_to_profile and the CLI: `scheme list|show|diff` and `convert` (in process: Typer's runner and
`cli.main.main`, which gives the exit status and the one-line errors)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from mapping.conversions import convert_to_profile
from mapping.errors import MappingError
from mapping.profiles import get_profile

from .helpers import DATA, Cli, midea_label

LABEL = DATA / "label_gd_midea.json"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONLEDGER_HOME", str(tmp_path / "home"))


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---- convert_to_profile -------------------------------------------------------------------------------
def test_convert_midea_into_pact_terms() -> None:
    conv = convert_to_profile(midea_label(), get_profile("pact-v3"))
    assert [s["name"] for s in conv.trail] == ["boundary-trim", "gwp-recharacterize", "validity-cap"]
    # cradle-to-gate 396.254 (see test_mapping_conversions), re-characterized AR5 → AR6: + 1.110 = 397.364
    assert conv.to_dict()["value"] == "397.3640"
    assert conv.approximate and "other_co2e" in conv.reasons[0]
    assert conv.footprint.valid_until == "2024-12-31"
    assert any(n.startswith("methane_origin") for n in conv.needs_agreement)


def test_convert_into_the_labels_own_profile_changes_nothing() -> None:
    conv = convert_to_profile(midea_label(), "gd-carbon-label")
    assert conv.trail == [] and conv.to_dict()["value"] == "2713.8100" and not conv.approximate


def test_impossible_conversion_lists_every_reason() -> None:
    with pytest.raises(MappingError) as e:
        convert_to_profile(midea_label(), get_profile("eu-battery-cfb"))
    assert e.value.code == "mapping.conversion_impossible"
    assert "declared_unit" in e.value.message and "allocation" in e.value.message
    assert len(e.value.reasons) == 2  # type: ignore[attr-defined]


def test_electricity_of_another_kind_is_not_rebased_silently() -> None:
    with pytest.raises(MappingError) as e:
        convert_to_profile(midea_label(), get_profile("cn-cnca-cfp-label"))
    assert "combustion-co2" in e.value.message and "lifecycle-co2e" in e.value.message


# ---- CLI ------------------------------------------------------------------------------------------
def test_profile_list_json() -> None:
    rows = _json(["profile", "list", "--json"])
    assert {"gd-carbon-label", "pact-v3", "eu-battery-cfb"} <= {r["id"] for r in rows}
    assert all({"id", "name", "version"} <= set(r) for r in rows)


def test_profile_list_and_show_human() -> None:
    result = runner.invoke(app, ["profile", "list"])
    assert result.exit_code == 0 and "gd-carbon-label" in result.stdout
    result = runner.invoke(app, ["profile", "show", "gd-carbon-label"])
    assert result.exit_code == 0 and "unspecified" in result.stdout
    result = runner.invoke(app, ["scheme", "show", "gd-carbon-label"])
    assert result.exit_code == 0 and "unspecified" in result.stdout
    shown = _json(["scheme", "show", "pact-v3", "--version", "1", "--json"])
    assert shown == get_profile("pact-v3").to_dict()


def test_scheme_diff_json_and_table() -> None:
    rows = _json(["scheme", "diff", "gd-carbon-label", "pact-v3", "--json"])
    assert all({"dimension", "class", "reason"} <= set(r) for r in rows)
    assert {r["class"] for r in rows} <= {"identical", "convertible", "needs_agreement", "incompatible"}
    assert [r["dimension"] for r in rows] == [
        r["dimension"] for r in _json(["scheme", "diff", "pact-v3", "gd-carbon-label", "--json"])
    ]
    result = runner.invoke(app, ["scheme", "diff", "gd-carbon-label", "pact-v3"])
    assert result.exit_code == 0 and "boundary" in result.stdout


def test_convert_json(tmp_path: Path) -> None:
    out = _json(["convert", str(LABEL), "--to", "pact-v3", "--json"])
    assert out["value"] == "397.3640" and out["unit"] == "kgCO2e" and out["approximate"] is True
    assert [s["name"] for s in out["trail"]] == ["boundary-trim", "gwp-recharacterize", "validity-cap"]
    human = runner.invoke(app, ["convert", str(LABEL), "--to", "pact-v3"])
    assert human.exit_code == 0 and "397.3640" in human.stdout


def test_convert_reads_a_dsse_envelope(tmp_path: Path) -> None:
    entry = {"kind": "label.issue", "label": midea_label()}
    envelope = {
        "payloadType": "application/vnd.carbonledger.entry+json",
        "payload": base64.b64encode(json.dumps(entry).encode()).decode(),
        "signatures": [{"keyid": "00" * 32, "sig": "AA=="}],
    }
    path = tmp_path / "label.envelope.json"
    path.write_text(json.dumps(envelope))
    out = _json(["convert", str(path), "--to", "pact-v3", "--json"])
    assert out["value"] == "397.3640"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return Cli(Path(os.environ["CARBONLEDGER_HOME"])).run(*args, ok=False)


def test_impossible_convert_exits_1_with_the_code() -> None:
    proc = _cli("convert", str(LABEL), "--to", "eu-battery-cfb", "--json")
    assert proc.returncode == 1
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "mapping.conversion_impossible"
    assert "declared_unit" in error["message"]
    proc = _cli("scheme", "show", "pact-v3", "--version", "9")
    assert proc.returncode == 1 and "mapping.unknown_profile_version" in proc.stderr


def test_convert_refuses_a_file_without_a_label(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    proc = _cli("convert", str(path), "--to", "pact-v3", "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"]["code"] == "input.malformed"
