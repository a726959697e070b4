"""`carbonledger dataset …` end to end, as a data publisher runs it: real processes in a temporary home.

Register as a data publisher, publish the shipped China electricity footprint dataset, list and show it
(the stable --json keys), publish version 2 (v1 superseded), retire v2 (v1 current again), and import
factor tables: a malformed CSV is refused whole naming its row and column with nothing stored, a table
too large for one entry is refused with a clear hint, --dry-run signs nothing, a good CSV is published.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import Cli as BaseCli

ROOT = Path(__file__).parent.parent
SHIPPED = ROOT / "ledger" / "data" / "datasets" / "cn-electricity-footprint.json"
MEE = "cn-mee-data"
CN = "cn-electricity-footprint"
LIST_KEYS = {"id", "version", "publisher", "status", "ledger_index"}
SHOW_KEYS = LIST_KEYS | {"title", "entry_id", "newer_versions", "values"}
VALUE_KEYS = {"key", "value", "unit", "kind", "year", "geography", "source", "confidence"}
HEADER = "key,value,unit,kind,year,geography,source,confidence,scope,gases,basis,td_losses_included,gwp_set"


def _row(key: str, value: str, year: int = 2023, source: str = "Test publication [S1]") -> str:
    return f'{key},{value},kgCO2e/kWh,lifecycle-co2e,{year},CN-GD,"{source}",confirmed,lifecycle,CO2e,location,true,AR5'


class Cli(BaseCli):
    def size(self) -> int:
        return self.json("log", "checkpoint")["tree_size"]


@pytest.fixture(scope="module")
def publisher(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Path]:
    """A home where cn-mee-data is registered as a data publisher and has published the shipped dataset."""
    tmp = tmp_path_factory.mktemp("dataset-cli")
    cli = Cli(tmp / "home")
    cli.json("init", "--allow", MEE, "--allow", "gd-carbon-label", "--origin", "dataset.test/log")
    cli.json("keygen", "--out", str(tmp / "mee.pem"))
    cli.json("scheme", "register", "--id", MEE, "--name", "MEE data office", "--role", "data-publisher",
             "--key", str(tmp / "mee.pem"))  # fmt: skip
    (tmp / "cn.json").write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    receipt = cli.json("dataset", "publish", str(tmp / "cn.json"), "--publisher", MEE, "--key", str(tmp / "mee.pem"))
    assert receipt["index"] == 1
    return cli, tmp


def _statuses(cli: Cli) -> dict[int, str]:
    return {x["version"]: x["status"] for x in cli.json("dataset", "list") if x["id"] == CN}


def test_list_and_show_json_keys(publisher: tuple[Cli, Path]) -> None:
    cli, _ = publisher
    items = cli.json("dataset", "list")
    assert len(items) == 1 and LIST_KEYS <= set(items[0])
    assert {k: items[0][k] for k in LIST_KEYS} == {
        "id": CN,
        "version": 1,
        "publisher": MEE,
        "status": "current",
        "ledger_index": 1,
    }
    shown = cli.json("dataset", "show", CN)
    assert SHOW_KEYS <= set(shown)
    assert shown["newer_versions"] == [] and shown["status"] == "current" and len(shown["entry_id"]) == 64
    assert shown["title"].startswith("China national average electricity")
    values = {v["key"]: v for v in shown["values"]}
    assert set(values) == {"CN/2023", "CN/2024"}
    assert all(VALUE_KEYS <= set(v) for v in values.values())
    cn23 = values["CN/2023"]
    assert (cn23["value"], cn23["unit"], cn23["kind"], cn23["year"]) == ("0.6205", "kgCO2e/kWh", "lifecycle-co2e", 2023)
    assert cn23["confidence"] == "secondary" and "[S27]" in cn23["source"]
    assert cli.json("dataset", "list", "--publisher", "someone-else") == []
    human = cli.run("dataset", "show", CN).stdout
    assert "CN/2023" in human and "0.6205" in human and "current" in human


def test_versions_supersede_and_retire(publisher: tuple[Cli, Path]) -> None:
    cli, tmp = publisher
    body = json.loads(SHIPPED.read_text(encoding="utf-8"))
    body["version"] = 2
    (tmp / "cn2.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    cli.json("dataset", "publish", str(tmp / "cn2.json"), "--publisher", MEE, "--key", str(tmp / "mee.pem"))
    assert _statuses(cli) == {1: "superseded", 2: "current"}
    v1 = cli.json("dataset", "show", CN, "--version", "1")
    assert v1["status"] == "superseded" and v1["newer_versions"] == [2]
    assert cli.json("dataset", "show", CN)["version"] == 2

    cli.json("dataset", "retire", CN, "--version", "2", "--publisher", MEE, "--key", str(tmp / "mee.pem"),
             "--reason", "published by mistake")  # fmt: skip
    assert _statuses(cli) == {1: "current", 2: "retired"}
    assert cli.json("dataset", "show", CN)["version"] == 1
    v2 = cli.json("dataset", "show", CN, "--version", "2")
    assert v2["status"] == "retired" and v2["retired"]["reason"] == "published by mistake"
    assert "retired" in cli.run("dataset", "list").stdout

    again = cli.run("dataset", "retire", CN, "--version", "2", "--publisher", MEE, "--key", str(tmp / "mee.pem"),
                    "--reason", "again", "--json", ok=False)  # fmt: skip
    assert again.returncode == 1 and json.loads(again.stdout)["error"]["code"] == "dataset.already_retired"


def test_unknown_dataset_and_version(publisher: tuple[Cli, Path]) -> None:
    cli, _ = publisher
    unknown = cli.run("dataset", "show", "nope", "--json", ok=False)
    assert unknown.returncode == 1 and json.loads(unknown.stdout)["error"]["code"] == "dataset.unknown"
    version = cli.run("dataset", "show", CN, "--version", "9", "--json", ok=False)
    assert version.returncode == 1 and json.loads(version.stdout)["error"]["code"] == "dataset.unknown_version"


def test_publish_refuses_a_float_file(publisher: tuple[Cli, Path]) -> None:
    cli, tmp = publisher
    text = SHIPPED.read_text(encoding="utf-8").replace('"value": "0.6205"', '"value": 0.6205')
    (tmp / "float.json").write_text(text, encoding="utf-8")
    size = cli.size()
    r = cli.run("dataset", "publish", str(tmp / "float.json"), "--publisher", MEE, "--key", str(tmp / "mee.pem"),
                "--json", ok=False)  # fmt: skip
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "json.float"
    assert cli.size() == size


def _import_args(tmp: Path, csv_file: Path, *extra: str) -> list[str]:
    return [
        "dataset", "import", str(csv_file), "--id", "gd-grid-lifecycle", "--version", "1",
        "--title", "Guangdong grid life-cycle factors", "--geography", "CN-GD", "--licence", "CC-BY-4.0",
        "--years", "2023,2024", "--publisher", MEE, *extra,
    ]  # fmt: skip


def test_import_bad_row_stores_nothing(publisher: tuple[Cli, Path]) -> None:
    cli, tmp = publisher
    bad = tmp / "bad.csv"
    bad.write_text("\n".join([HEADER, _row("GD/2023", "0.4512"), _row("GD/2024", "0.44e1", 2024)]) + "\n")
    size = cli.size()
    r = cli.run(*_import_args(tmp, bad, "--key", str(tmp / "mee.pem")), ok=False)
    assert r.returncode == 1
    assert "row 3, column value" in r.stderr and "dataset.import_invalid" in r.stderr
    as_json = cli.run(*_import_args(tmp, bad, "--key", str(tmp / "mee.pem"), "--json"), ok=False)
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == "dataset.import_invalid" and error["field"] == "row 3, column value"
    # a value whose year the dataset does not list: named by row and column too
    unlisted = tmp / "unlisted.csv"
    unlisted.write_text("\n".join([HEADER, _row("GD/2023", "0.4512"), _row("GD/2022", "0.4600", 2022)]) + "\n")
    r = cli.run(*_import_args(tmp, unlisted, "--key", str(tmp / "mee.pem"), "--json"), ok=False)
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["field"] == "row 3, column year"
    assert cli.size() == size
    assert "gd-grid-lifecycle" not in {x["id"] for x in cli.json("dataset", "list")}


def test_import_too_large_for_one_entry(publisher: tuple[Cli, Path]) -> None:
    cli, tmp = publisher
    big = tmp / "big.csv"
    source = "A long citation of the publication this factor comes from, with its table and page [S1]" * 2
    rows = [_row(f"GD/site-{i:04d}", "0.4512", source=source) for i in range(400)]
    big.write_text("\n".join([HEADER, *rows]) + "\n")
    size = cli.size()
    r = cli.run(*_import_args(tmp, big, "--key", str(tmp / "mee.pem"), "--json"), ok=False)
    assert r.returncode == 1
    error = json.loads(r.stdout)["error"]
    assert error["code"] == "dataset.too_large"
    assert "split the table" in error["message"] and "release digest" in error["message"]
    assert cli.size() == size


def test_import_dry_run_then_publish(publisher: tuple[Cli, Path]) -> None:
    cli, tmp = publisher
    good = tmp / "good.csv"
    good.write_text("\n".join([HEADER, _row("GD/2023", "0.4512"), _row("GD/2024", "0.4401", 2024)]) + "\n")
    size = cli.size()
    summary = cli.json(*_import_args(tmp, good, "--dry-run"))  # no --key needed to only check
    assert summary["dry_run"] is True and summary["rows"] == 2 and summary["kinds"] == ["lifecycle-co2e"]
    assert summary["envelope_bytes"] < summary["max_entry_bytes"]
    human = cli.run(*_import_args(tmp, good, "--dry-run"))
    assert "nothing signed" in human.stdout
    assert cli.size() == size

    progress = cli.run(*_import_args(tmp, good, "--key", str(tmp / "mee.pem")))
    assert "accepted at index" in progress.stdout and "2/2" in progress.stdout
    assert cli.size() == size + 1
    shown = cli.json("dataset", "show", "gd-grid-lifecycle")
    assert shown["status"] == "current" and shown["publisher"] == MEE and shown["ledger_index"] == size
    assert [(v["key"], v["value"], v["year"]) for v in shown["values"]] == [("GD/2023", "0.4512", 2023),
                                                                            ("GD/2024", "0.4401", 2024)]  # fmt: skip
    missing_key = cli.run(*_import_args(tmp, good), ok=False)
    assert missing_key.returncode == 2  # nothing to sign with: a usage error
