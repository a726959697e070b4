"""A file a person names that cannot be read, or written, is one line with its code and the file's name — never a
traceback — and ``verify`` calls an unreadable bundle or trust file what it is: unusable input (exit 5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.importer import read_label_lines
from mapping.gtin import gtin_problem

from .helpers import Cli

DATA = Path(__file__).parent / "data"

READERS = [
    (("import", "{missing}", "--key", "{key}"), 1),
    (("label", "issue", "{missing}", "--key", "{key}"), 1),
    (("submit", "{missing}"), 1),
    (("convert", "{missing}", "--to", "carbontrust-label"), 1),
    (("trust", "show", "{missing}"), 1),
    (("pact", "import", "{missing}", "--scheme", "gd-carbon-label", "--manufacturer-country", "CN"), 1),
    (("verify", "{missing}", "--trust", "{trust}"), 5),
    (("verify", "{bundle}", "--trust", "{missing}"), 5),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_home_template: Path) -> dict[str, str]:
    out = demo_home_template / "demo-out"
    return {
        "home": str(demo_home_template),
        "key": str(next(demo_home_template.glob("keys/*.pem"), demo_home_template / "log.key")),
        "trust": str(out / "trust-hk-buyer.json"),
        "bundle": str(out / "GD-CL-2025-0101.bundle.json"),
    }


def _one_line_error(cp: object, code: str, name: str) -> None:
    err = cp.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err and "Errno" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert f"[{code}]" in lines[0] and name in lines[0], lines[0]


@pytest.mark.parametrize(("argv", "rc"), READERS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else str(v))
@pytest.mark.parametrize("make", ["missing", "directory"])
def test_a_file_that_cannot_be_read_is_one_line_naming_it(
    tmp_path: Path, demo: dict[str, str], argv: tuple[str, ...], rc: int, make: str
) -> None:
    missing = tmp_path / "no-such-file.json"
    if make == "directory":
        missing.mkdir()
    values = {**demo, "missing": str(missing)}
    cp = Cli(Path(demo["home"])).run(*(a.format(**values) for a in argv), ok=False)
    assert cp.returncode == rc, (cp.stdout, cp.stderr)
    _one_line_error(cp, "input.unreadable", "no-such-file.json")


def test_a_file_that_cannot_be_written_is_one_line_naming_it(
    tmp_path: Path, copy_demo_home: Callable[[Path], Path]
) -> None:
    home = copy_demo_home(tmp_path / "home")
    target = tmp_path / "no-such-directory" / "label.bundle.json"
    cp = Cli(home).run("bundle", "GD-CL-2025-0101", "--out", str(target), ok=False)
    assert cp.returncode == 1
    _one_line_error(cp, "io.failed", str(target))
    assert not target.parent.exists()


def test_the_tours_import_file_holds_distinct_labels_with_valid_gtins() -> None:
    """The README's `carbonledger import tests/data/labels.jsonl` line: the file exists and every line would pass."""
    with (DATA / "labels.jsonl").open("rb") as fh:
        records = read_label_lines(fh)
    assert len(records) >= 2
    assert len({r["label_id"] for r in records}) == len(records)
    gtins = [i["value"] for r in records for i in r["product"]["ids"] if i["system"] == "gtin"]
    assert len(set(gtins)) == len(records) and not any(gtin_problem(g) for g in gtins)
