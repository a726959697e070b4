"""Attack: a log that forked, caught by what a witness holds, tries to keep the monitor from saying so.

The monitor holds a witness's log-signed checkpoint of the size it has followed, with another root: a split view
it proves from its own tree, with no help from the log. The hostile log then refuses to help on anything else —
the consistency proof to a second witness's larger checkpoint, or its own checkpoint — so that the run ends in a
"cannot read the log" error (exit 1) instead of the split view (exit 10). The proven split view must still be
reported, with both notes; a refusal with nothing found stays the error it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.responses import PlainTextResponse

from ledger.api import create_app

from .test_attack_monitor_split_view import Fork, fork  # noqa: F401 - the fixture
from .test_monitor import GD, client_for, label_for, monitor_args, run_monitor, witness_app
from .test_monitor import ORIGIN as LOG_ORIGIN

W1, W2 = "http://w1.test", "http://w2.test"


def refusing(app: Any, *paths: str) -> Any:
    """``app``, answering 500 on ``paths`` (every path when none is given)."""

    async def hostile(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (not paths or scope["path"] in paths):
            await PlainTextResponse("internal error", 500)(scope, receive, send)
            return
        await app(scope, receive, send)

    return hostile


def _forked(f: Fork) -> tuple[str, str]:
    """b's checkpoint at a's size 3 (another root) and b's larger one, at 4."""
    f.diverge()
    at_3 = f.b.checkpoint()
    assert all(hasattr(r, "index") for r in f.b.submit_many([f.a.cb.issue(label_for(GD, "GD-FORK-B2"))]))
    return at_3, f.b.checkpoint()


def test_attack_the_log_refuses_a_consistency_proof_to_hide_a_proven_split_view(
    fork: Fork,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    at_3, at_4 = _forked(fork)
    apps = {
        "log.test": refusing(create_app(fork.a.log), "/v1/proofs/consistency"),
        "w1.test": witness_app({LOG_ORIGIN: at_3}),
        "w2.test": witness_app({LOG_ORIGIN: at_4}),
    }
    rc, out = run_monitor(
        client_for(apps), *monitor_args(tmp_path, fork.a, "--witness", W1, "--witness", W2), capsys=capsys
    )
    assert rc == 10 and out["verdict"] == "split_view", out
    (finding,) = out["findings"]
    assert finding["source"] == W1 and sorted(finding["notes"]) == sorted([fork.a.log.checkpoint(), at_3])
    assert out["size"] == 3 and out["pending_checkpoints"] >= 1  # b's larger one: settled by a later run


def test_attack_the_log_stops_answering_to_hide_a_proven_split_view(
    fork: Fork,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    at_3, _ = _forked(fork)
    args = monitor_args(tmp_path, fork.a, "--witness", W1)
    honest = {"log.test": create_app(fork.a.log), "w1.test": witness_app({})}
    assert run_monitor(client_for(honest), *args, capsys=capsys)[0] == 0  # followed a to size 3
    hostile = {"log.test": refusing(create_app(fork.a.log)), "w1.test": witness_app({LOG_ORIGIN: at_3})}
    rc, out = run_monitor(client_for(hostile), *args, capsys=capsys)
    assert rc == 10 and out["verdict"] == "split_view", out
    (finding,) = out["findings"]
    assert finding["source"] == W1 and sorted(finding["notes"]) == sorted([fork.a.log.checkpoint(), at_3])
    # the witness forgets it: the note the monitor kept is still the evidence, whatever the log does
    quiet = {"log.test": refusing(create_app(fork.a.log)), "w1.test": witness_app({})}
    assert run_monitor(client_for(quiet), *args, capsys=capsys)[0] == 10
    # with nothing to report, a log that does not answer is still the error it was (exit 1), not "consistent"
    other = tuple(str(tmp_path / "other-state") if a == str(tmp_path / "state") else a for a in args)
    assert run_monitor(client_for(honest), *other, capsys=capsys)[0] == 0
    rc, out = run_monitor(client_for(quiet), *other, capsys=capsys)
    assert rc == 1 and out["error"]["code"] == "source.error", out
