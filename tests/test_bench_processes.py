"""`bench ingest --processes N` (issue 21 item 4) runs: N `serve` processes on one store take submissions, and the
figures say so next to one process — a smoke run with a handful of entries (the figures are not asserted)."""

from __future__ import annotations

from pathlib import Path

from ledger.bench_processes import bench_processes
from ledger.home import load_settings, open_log


def test_two_serve_processes_on_one_store_take_every_submission(tmp_path: Path) -> None:
    figures = bench_processes(16, 2, submitters=4, workdir=tmp_path)
    assert figures["processes"] == 2 and figures["n"] == 16
    assert figures["per_s"] > 0 and figures["one_process_per_s"] > 0 and figures["baseline_per_s"] > 0
    log = open_log(load_settings(tmp_path / "home"), precheck_workers=False)
    try:  # registration (1 + 4 authorizations) and both runs' labels, every one stored once
        assert log.size == 1 + 4 + 2 * 16
    finally:
        log.store.close()
