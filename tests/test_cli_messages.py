"""Messages a person reads: no "None", no library internals, the fix named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import Cli

DATA = Path(__file__).parent / "data"


def test_agreement_history_names_who_signed_each_step(tmp_path: Path, copy_demo_home: Callable[[Path], Path]) -> None:
    cli = Cli(copy_demo_home(tmp_path / "home"))
    out = cli.run("agreement", "history", "gd-hk-mutual").stdout
    lines = out.splitlines()
    assert "None" not in out and len(lines) == 3
    assert lines[0].endswith("propose gd-hk-mutual v1 by gd-carbon-label")
    assert lines[1].endswith("propose gd-hk-mutual v2 by hk-cma-carbon-label, answering v1")
    assert lines[2].endswith("accept gd-hk-mutual v2 by gd-carbon-label")
    assert cli.run("agreement", "history", "no-such-agreement").stdout.startswith("no agreement events")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"junk", "is not a PEM file"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a readable PKCS#8 private key"),
    ],
)
def test_a_bad_key_file_is_one_line_without_library_internals(tmp_path: Path, content: bytes, says: str) -> None:
    cli = Cli(tmp_path / "home")
    cli.json("init")
    (tmp_path / "bad.pem").write_bytes(content)
    r = cli.run("label", "issue", str(DATA / "label_gd_midea.json"), "--key", str(tmp_path / "bad.pem"), ok=False)
    message = r.stderr.strip()
    assert r.returncode != 0 and message.startswith("error [key.unreadable]: ") and says in message
    assert str(tmp_path / "bad.pem") in message and "cryptography.io" not in message and "\n" not in message


def test_label_revoke_takes_the_label_id_as_an_argument_like_every_command(tmp_path: Path) -> None:
    from .test_cli import GD

    cli = Cli(tmp_path / "home")
    cli.json("init", "--allow", GD)
    cli.json("keygen", "--out", str(tmp_path / "gd.pem"))
    cli.json("scheme", "register", "--id", GD, "--name", "Guangdong carbon label", "--key", str(tmp_path / "gd.pem"))
    both = cli.run("label", "revoke", "A-1", "--label-id", "B-2", "--scheme", GD, "--key", str(tmp_path / "gd.pem"),
                   "--reason", "x", ok=False)  # fmt: skip
    assert both.returncode == 2 and "two label ids given" in both.stderr
    none = cli.run("label", "revoke", "--scheme", GD, "--key", str(tmp_path / "gd.pem"), "--reason", "x", ok=False)
    assert none.returncode != 0 and "input.missing" in none.stderr
    unknown = cli.run("label", "revoke", "NO-SUCH", "--scheme", GD, "--key", str(tmp_path / "gd.pem"),
                      "--reason", "x", ok=False)  # fmt: skip
    assert "label.unknown" in unknown.stderr  # the positional id reached the lookup


def test_scheme_list_lists_the_registered_schemes(tmp_path: Path, copy_demo_home: Callable[[Path], Path]) -> None:
    cli = Cli(copy_demo_home(tmp_path / "home"))
    rows = cli.json("scheme", "list")
    by_id = {r["id"]: r for r in rows}
    assert {"gd-carbon-label", "hk-cma-carbon-label"} <= set(by_id)
    assert by_id["gd-carbon-label"]["registered_index"] == 0 and by_id["gd-carbon-label"]["profile"]["id"]
    assert "eu-battery-cfb" not in by_id  # a shipped profile, not a registered scheme: `profile list`
    assert "eu-battery-cfb" in {r["id"] for r in cli.json("profile", "list")}


def test_trust_show_and_prune(tmp_path: Path, copy_demo_home: Callable[[Path], Path]) -> None:
    home = copy_demo_home(tmp_path / "home")
    cli = Cli(home)
    trust = str(home / "demo-out" / "trust-hk-buyer.json")
    shown = cli.json("trust", "show", trust)
    assert shown["witnesses"]["threshold"] == 2 and len(shown["witnesses"]["keys"]) == 2
    assert len(shown["log"]["fingerprint"]) == 16 and "gd-carbon-label" in shown["schemes"]
    out = tmp_path / "pruned.json"
    cli.json("trust", "prune", trust, "--keep", "gd-carbon-label,hk-cma-carbon-label", "--out", str(out))
    assert sorted(cli.json("trust", "show", str(out))["schemes"]) == ["gd-carbon-label", "hk-cma-carbon-label"]
    r = cli.run("trust", "prune", trust, "--keep", "gd-carbon-label", "--out", str(tmp_path / "x.json"), ok=False)
    assert r.returncode != 0 and "trust.buyer_scheme" in r.stderr and not (tmp_path / "x.json").exists()
    r = cli.run("trust", "prune", trust, "--keep", "hk-cma-carbon-label,no-such", "--out", str(out), ok=False)
    assert "trust.unknown_scheme" in r.stderr


def test_equivalence_prints_values_as_a_person_reads_them_not_python_dicts(demo_home_template: Path) -> None:
    out = Cli(demo_home_template).run("equivalence", "GD-CL-2025-0101", "--to", "carbontrust-label").stdout
    assert "converted:" in out and "gwp-recharacterize: pcf " in out
    assert "{'" not in out and "None" not in out and "': " not in out
