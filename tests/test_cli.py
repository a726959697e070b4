"""The `carbonledger` command end to end, as a user runs it: a temporary home, output and exit codes (in this
process, through `cli.main.main`; once as a real process).

Issuer flow (init, keygen, scheme register, key authorize, label issue, submit), log reads (checkpoint,
vkey, get, inclusion and consistency proofs checked with the verifier), buyer flow (bundle, trust
export, verify with each exit code it can reach here), bulk import, QR codes, and bad input.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifier.merkle import verify_consistency, verify_inclusion
from verifier.note import parse_checkpoint, split_note

from .helpers import Cli

DATA = Path(__file__).parent / "data"
GD = "gd-carbon-label"


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Path]:
    """A home with the Guangdong scheme, CQC Guangzhou authorized, and the Midea label issued."""
    tmp = tmp_path_factory.mktemp("cli")
    cli = Cli(tmp / "home")
    cli.json("init", "--allow", GD, "--origin", "cli.test/log")
    cli.json("keygen", "--out", str(tmp / "gd.pem"))
    cli.json("keygen", "--out", str(tmp / "cqc.pem"))
    cli.json("scheme", "register", "--id", GD, "--name", "Guangdong carbon label", "--key", str(tmp / "gd.pem"))
    cli.json(
        "key", "authorize", "--scheme", GD, "--key", str(tmp / "gd.pem"), "--holder", "CQC Guangzhou",
        "--key-file", str(tmp / "cqc.pem"), "--kinds", "label.issue,label.revoke",
    )  # fmt: skip
    signed = cli.json("label", "issue", str(DATA / "label_gd_midea.json"), "--key", str(tmp / "cqc.pem"),
                      "--out", str(tmp / "midea.env"))  # fmt: skip
    assert signed["kind"] == "label.issue"
    receipts = cli.json("submit", str(tmp / "midea.env"))
    receipt = receipts[0] if isinstance(receipts, list) else receipts
    assert receipt["index"] == 2
    return cli, tmp


def test_log_reads_and_proofs_verify(issued: tuple[Cli, Path]) -> None:
    cli, _ = issued
    note = cli.run("log", "checkpoint").stdout
    body, _sigs = split_note(note)
    cp = parse_checkpoint(body)
    assert cp.origin == "cli.test/log" and cp.size == 3
    vkey = cli.run("log", "vkey").stdout.strip()
    assert vkey.startswith("cli.test/log+")
    entry = cli.json("log", "get", "2")
    assert entry["kind"] == "label.issue"
    inc = cli.json("log", "prove", "inclusion", "2")
    verify_inclusion(
        bytes.fromhex(entry["leaf_hash"]), 2, inc["size"], [bytes.fromhex(h) for h in inc["proof"]], cp.root_hash
    )
    con = cli.json("log", "prove", "consistency", "1", "3")
    first = cli.json("log", "prove", "inclusion", "0", "--size", "1")
    assert first["proof"] == []
    root1 = bytes.fromhex(cli.json("log", "get", "0")["leaf_hash"])  # a one-leaf tree's root is its leaf hash
    verify_consistency(1, 3, [bytes.fromhex(h) for h in con["proof"]], root1, cp.root_hash)


def test_buyer_verifies_offline_with_exit_codes(issued: tuple[Cli, Path]) -> None:
    cli, tmp = issued
    cli.json("bundle", "GD-CL-2022-0003", "--out", str(tmp / "midea.bundle.json"))
    cli.json("trust", "export", "--out", str(tmp / "trust.json"))
    ok = cli.run("verify", str(tmp / "midea.bundle.json"), "--trust", str(tmp / "trust.json"), "--at", "2023-01-01",
                 "--json")  # fmt: skip
    report = json.loads(ok.stdout)
    assert report["verdict"] == "authentic_and_valid" and report["exit_code"] == 0, report
    status = {s["step"]: s for s in report["steps"]}
    assert status[8]["status"] == "passed" and "proven as of tree size" in status[8]["detail"]
    expired = cli.run("verify", str(tmp / "midea.bundle.json"), "--trust", str(tmp / "trust.json"), "--at",
                      "2026-01-01", ok=False)  # fmt: skip
    assert expired.returncode == 6, expired.stdout
    (tmp / "cut.json").write_bytes((tmp / "midea.bundle.json").read_bytes()[:-40])
    unusable = cli.run("verify", str(tmp / "cut.json"), "--trust", str(tmp / "trust.json"), ok=False)
    assert unusable.returncode == 5
    usage = cli.run("verify", ok=False)
    assert usage.returncode == 2


def test_label_list_and_qr(issued: tuple[Cli, Path]) -> None:
    cli, tmp = issued
    labels = cli.json("label", "list")
    assert [x["label_id"] for x in labels] == ["GD-CL-2022-0003"]
    assert labels[0]["scheme"] == GD
    unset = cli.run("label", "qr", "GD-CL-2022-0003", "--out", str(tmp / "qr.svg"), "--json", ok=False)
    assert unset.returncode == 2 and "--base-url" in unset.stdout  # no base URL: never a loopback default
    assert not (tmp / "qr.svg").exists()
    made = cli.json("label", "qr", "GD-CL-2022-0003", "--out", str(tmp / "qr.svg"), "--base-url", "https://l.example/")
    assert made["url"] == "https://l.example/01/06932233000011" and made["kind"] == "gs1_digital_link"
    assert made["warning"] is None
    svg = (tmp / "qr.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg


def test_import_checks_every_line_before_storing(issued: tuple[Cli, Path]) -> None:
    cli, tmp = issued
    base = json.loads((DATA / "label_gd_midea.json").read_text())
    lines = []
    for i in range(5):
        rec = dict(base, label_id=f"GD-IMPORT-{i}")
        lines.append(json.dumps(rec, ensure_ascii=False))
    bad = [*lines[:3], '{"label_id": "GD-IMPORT-X", "claim": 1.5}', *lines[3:]]
    (tmp / "bad.jsonl").write_text("\n".join(bad) + "\n")
    size_before = (
        cli.json("log", "get", "0") and parse_checkpoint(split_note(cli.run("log", "checkpoint").stdout)[0]).size
    )
    worse = dict(base, label_id="GD-IMPORT-Y", issued_at="2026-02-30")
    bad.insert(5, json.dumps(worse, ensure_ascii=False))  # line 6: a second bad line, reported with the first
    bad.insert(6, "{not json")  # line 7
    (tmp / "bad.jsonl").write_text("\n".join(bad) + "\n")
    refused = cli.run("import", str(tmp / "bad.jsonl"), "--key", str(tmp / "cqc.pem"), "--json", ok=False)
    assert refused.returncode == 1
    err = json.loads(refused.stdout or refused.stderr)["error"]
    assert [e["line"] for e in err["errors"]] == [4, 6, 7] and err["message"].startswith("3 bad lines")
    assert err["errors"][1] == {
        "line": 6, "code": "schema.invalid", "field": "/issued_at", "message": err["errors"][1]["message"]
    }  # fmt: skip
    assert "not a real date" in err["errors"][1]["message"] and err["field"].startswith("line 4")
    human = cli.run("import", str(tmp / "bad.jsonl"), "--key", str(tmp / "cqc.pem"), ok=False)
    assert "line 4:" in human.stderr + human.stdout and "line 7:" in human.stderr + human.stdout
    assert parse_checkpoint(split_note(cli.run("log", "checkpoint").stdout)[0]).size == size_before
    (tmp / "good.jsonl").write_text("\n".join(lines) + "\n")
    done = cli.json("import", str(tmp / "good.jsonl"), "--key", str(tmp / "cqc.pem"))
    assert done["stored"] == 5 and done["error"] is None
    again = cli.run("import", str(tmp / "good.jsonl"), "--key", str(tmp / "cqc.pem"), "--json", ok=False)
    assert again.returncode == 1
    result = json.loads(again.stdout)
    assert result["stored"] == 0 and result["stopped_at_line"] == 1 and result["error"]["code"] == "label.duplicate_id"


def test_bad_input_is_a_clear_error(issued: tuple[Cli, Path]) -> None:
    cli, tmp = issued
    (tmp / "junk.env").write_bytes(b'{"payload": 1}')
    junk = cli.run("submit", str(tmp / "junk.env"), "--json", ok=False)
    assert junk.returncode == 1
    [outcome] = json.loads(junk.stdout)
    assert outcome["error"]["code"] == "json.non_canonical"
    missing = cli.run("log", "get", "999", "--json", ok=False)
    assert missing.returncode == 1


def test_qr_png(issued: tuple[Cli, Path]) -> None:
    cli, tmp = issued
    cli.json("label", "qr", "GD-CL-2022-0003", "--out", str(tmp / "qr.png"), "--base-url", "https://labels.example")
    assert (tmp / "qr.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    local = cli.json("label", "qr", "GD-CL-2022-0003", "--out", str(tmp / "c.svg"), "--base-url",
                     "http://127.0.0.1:8000", "--caption", "GD-CL-2022-0003")  # fmt: skip
    assert "cannot open it" in local["warning"]  # a loopback base is allowed for a trial, never silently
    assert ">GD-CL-2022-0003</text>" in (tmp / "c.svg").read_text()
    png_caption = cli.run("label", "qr", "GD-CL-2022-0003", "--out", str(tmp / "d.png"), "--base-url",
                          "https://labels.example", "--caption", "x", "--json", ok=False)  # fmt: skip
    assert png_caption.returncode != 0 and "SVG only" in png_caption.stdout


def test_online_verify_fetches_bundle_and_consistency_proof(issued: tuple[Cli, Path]) -> None:
    """`verify --label ID --server URL`: the bundle comes from the service, the verdict from this machine;
    after the log grows, the consistency proof from the kept checkpoint is fetched and checked (step 7).
    The service runs in this process (httpx over an ASGI transport): what is tested is the client's side."""
    from fastapi.testclient import TestClient

    from ledger.api.app import create_app
    from ledger.home import load_settings, open_log

    cli, tmp = issued
    cli.json("trust", "export", "--out", str(tmp / "trust-online.json"))
    log = open_log(load_settings(cli.home), precheck_workers=False)
    try:
        with TestClient(create_app(log)) as service:
            buyer = Cli(tmp / "buyer-home", http_client=service)  # the buyer keeps checkpoints in a home of their own
            args = ("verify", "--label", "GD-CL-2022-0003", "--server", "http://log.test", "--trust",
                    str(tmp / "trust-online.json"), "--at", "2023-01-01", "--json")  # fmt: skip
            first = json.loads(buyer.run(*args).stdout)
            status = {s["step"]: s for s in first["steps"]}
            assert "no earlier checkpoint kept" in status[7]["detail"]
            rec = json.loads((DATA / "label_gd_midea.json").read_text())
            rec["label_id"] = "GD-ONLINE-1"
            (tmp / "online.json").write_text(json.dumps(rec))
            cli.json("label", "issue", str(tmp / "online.json"), "--key", str(tmp / "cqc.pem"))
            second = json.loads(buyer.run(*args).stdout)
            status = {s["step"]: s for s in second["steps"]}
            assert status[7]["status"] == "passed" and second["tree_size"] > first["tree_size"], status[7]
    finally:
        log.store.close()
    offline = Cli(tmp / "buyer-home")  # no service at all: a real connection, refused
    unreachable = offline.run("verify", "--label", "GD-CL-2022-0003", "--server", "http://127.0.0.1:9",
                              "--trust", str(tmp / "trust-online.json"), "--json", ok=False)  # fmt: skip
    assert unreachable.returncode == 1 and "remote.unreachable" in unreachable.stdout + unreachable.stderr


def test_the_console_script_exits_with_the_commands_status(issued: tuple[Cli, Path]) -> None:
    """`main()` returns the status and the console script exits with it: checked once across a process boundary."""
    cli, _ = issued
    missing = Cli(cli.home, subprocess=True).run("log", "get", "999", "--json", ok=False)
    assert missing.returncode == 1 and json.loads(missing.stdout)["error"]["code"] == "log.no_such_entry"
