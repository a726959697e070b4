"""`serve` and `demo --serve` start the service the same way (cli/serving.py): the app, then the check worker
processes, then uvicorn; and the workers are shut down when uvicorn returns. Run in this process with uvicorn
and the worker pool replaced by recorders (the real processes are tests/test_serve_process_cleanup.py's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from ledger import precheck
from ledger.api.wire import EnvelopeH11Protocol
from ledger.home import init_home

from .helpers import Cli


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def run(app: Any, **kw: Any) -> None:
        seen.append(("uvicorn.run", kw))

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr(precheck, "start_workers", lambda: seen.append(("start_workers", None)) or 2)
    monkeypatch.setattr(precheck, "shutdown_workers", lambda: seen.append(("shutdown_workers", None)))
    return seen


def _order(calls: list[tuple[str, Any]]) -> list[str]:
    return [name for name, _ in calls]


def test_serve_starts_the_workers_before_uvicorn(tmp_path: Path, calls: list[tuple[str, Any]]) -> None:
    init_home(tmp_path / "home", origin="serve.test/log")
    out = Cli(tmp_path / "home").run("serve", "--port", "8123")
    assert "serving log serve.test/log (tree size 0) on http://127.0.0.1:8123/" in out.stdout
    assert _order(calls) == ["start_workers", "uvicorn.run", "shutdown_workers"]
    assert calls[1][1] == {"host": "127.0.0.1", "port": 8123, "log_level": "info", "http": EnvelopeH11Protocol}


def test_demo_serve_starts_the_workers_as_serve_does(tmp_path: Path, calls: list[tuple[str, Any]]) -> None:
    Cli(tmp_path / "home").run("demo", "--serve", "--port", "8124", "--json")
    assert _order(calls) == ["start_workers", "uvicorn.run", "shutdown_workers"]
    assert calls[1][1] == {"host": "127.0.0.1", "port": 8124, "log_level": "warning", "http": EnvelopeH11Protocol}
