"""kill -9 of a real `serve` under concurrent submitters loses nothing acknowledged (issue 21, item 7).

A few cycles of ``carbonledger bench crash`` (ledger/bench_crash.py) on each store: the server is a process
because the process boundary — SIGKILL mid-batch — is the point. The long run is the command itself
(``carbonledger bench crash --cycles 100 [--database-url URL] --json``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from ledger.bench_crash import bench_crash

pytestmark = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="kills processes by pid (POSIX)")


def test_attack_kill9_under_load_loses_no_acknowledged_entry(db_url: str, tmp_path: Path) -> None:
    result = bench_crash(1, None if db_url.startswith("sqlite") else db_url, submitters=3, workdir=tmp_path, seed=1)
    assert result["cycles"] == 1
    assert result["receipts"] > 0, result
    assert result["lost_acked"] == 0, result
    assert result["inconsistent"] == 0 and result["fsck_ok"], result
    assert result["tree_size"] >= result["receipts"] + 4  # the scheme, three keys, every receipt


def test_bench_crash_command_reports_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert main(["bench", "crash", "--cycles", "1", "--submitters", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"cycles", "receipts", "lost_acked", "inconsistent"} <= set(out)
    assert out["cycles"] == 1 and out["lost_acked"] == 0 and out["inconsistent"] == 0
