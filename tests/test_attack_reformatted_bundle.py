"""A bundle that went through an editor verifies the same (issue 19: the container is unsigned; the signed bytes
travel inside it as base64); what a reformatting cannot do — duplicate a member, add a float — is still refused."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import Cli
from .test_cli import issued

__all__ = ["issued"]


def test_a_reformatted_bundle_verifies_with_the_same_exit_code(issued: tuple[Cli, Path]) -> None:
    cli, tmp = issued
    cli.json("bundle", "GD-CL-2022-0003", "--out", str(tmp / "orig.bundle.json"))
    cli.json("trust", "export", "--out", str(tmp / "fmt.trust.json"))
    doc = json.loads((tmp / "orig.bundle.json").read_text())
    (tmp / "pretty.bundle.json").write_text(json.dumps(doc, indent=4))  # python -m json.tool's way
    (tmp / "reordered.bundle.json").write_text(json.dumps(dict(reversed(list(doc.items())))))
    trust = str(tmp / "fmt.trust.json")
    for at in ("2023-01-01", "2026-01-01"):  # valid, then expired (exit 6)
        codes = {
            name: cli.run("verify", str(tmp / f"{name}.bundle.json"), "--trust", trust, "--at", at, ok=False).returncode
            for name in ("orig", "pretty", "reordered")
        }
        assert len(set(codes.values())) == 1, codes
    # a reformatting that duplicates a member or writes a float is not a reformatting: refused (exit 5)
    text = json.dumps(doc, indent=1)
    dup = text.replace('"version":', '"origin": "x.example/log",\n "version":', 1)
    (tmp / "dup.bundle.json").write_text(dup)
    r = cli.run("verify", str(tmp / "dup.bundle.json"), "--trust", trust, "--json", ok=False)
    assert r.returncode == 5 and "json.duplicate_key" in r.stdout
    floated = json.loads(text)
    floated["entries"][0]["index"] = 0.0
    (tmp / "float.bundle.json").write_text(json.dumps(floated, indent=1))
    r = cli.run("verify", str(tmp / "float.bundle.json"), "--trust", trust, "--json", ok=False)
    assert r.returncode == 5 and "json.float" in r.stdout
