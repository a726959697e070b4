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
