"""Attack: a log that shows two histories (issue 17, part 4). Two :class:`ledger.log.Log` instances with the same
key and origin on two stores that share a prefix and then diverge; the monitor follows one and sees the other's
checkpoint — from the log it asks, from a witness, or from its own history of checkpoints it saw earlier — and
reports a split view (exit 10) with both signed notes as evidence, which any third party can check: both verify
under the log's key, and no one tree has both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.api import create_app
from ledger.log import Log
from ledger.store import Store
from verifier.envelope import parse_entry
from verifier.ledger_state import Policy
from verifier.merkle import verify_consistency
from verifier.note import parse_checkpoint, split_note, verify_note

from .test_monitor import GD, NOW, ORIGIN, World, client_for, label_for, monitor_args, run_monitor, witness_app

WITNESS = "http://w1.test"


class Fork:
    """``a`` (a World) and ``b``: the same key and origin, b holding a's entries so far."""

    def __init__(self, tmp: Path) -> None:
        self.a = World(f"sqlite:///{tmp}/a.db")
        self.b = Log(Store(f"sqlite:///{tmp}/b.db"), self.a.key, ORIGIN, Policy(frozenset({GD})), lambda: NOW)
        shared = [r.envelope for r in self.a.log.store.entries(0, self.a.log.size)]
        assert all(hasattr(r, "index") for r in self.b.submit_many(shared))

    def diverge(self, extra_on_b: int = 0) -> None:
        """One label on a and another, at the same place in the CB's chain, on b (and ``extra_on_b`` more)."""
        on_a = self.a.cb.issue(label_for(GD, "GD-FORK-A"), advance=False)
        on_b = [self.a.cb.issue(label_for(GD, "GD-FORK-B"))]
        on_b += [self.a.cb.issue(label_for(GD, f"GD-FORK-B{i}")) for i in range(extra_on_b)]
        self.a_head = parse_entry(on_a)  # a's CB chain goes on from here; the Signer's goes on with b's
        assert all(hasattr(r, "index") for r in self.a.log.submit_many([on_a]))
        assert all(hasattr(r, "index") for r in self.b.submit_many(on_b))

    def close(self) -> None:
        self.a.close()
        self.b.store.close()


@pytest.fixture
def fork(tmp_path: Path) -> Fork:
    f = Fork(tmp_path)
    yield f  # type: ignore[misc]
    f.close()


def _check_evidence(finding: dict, note_a: str, note_b: str, vkey: str) -> None:
    """The evidence is what a third party needs: two notes the log's key signed, of no one tree."""
    assert finding["type"] == "split_view" and finding["rule"] == "log.split_view" and finding["message"]
    assert sorted(finding["notes"]) == sorted([note_a, note_b])
    for note in finding["notes"]:
        assert verify_note(note, [vkey]) == [ORIGIN]
    cp_a, cp_b = (parse_checkpoint(split_note(n)[0]) for n in finding["notes"])
    assert cp_a != cp_b


def test_attack_the_log_serves_another_root_at_the_kept_size(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fork.diverge()
    args = monitor_args(tmp_path, fork.a)
    assert run_monitor(client_for({"log.test": create_app(fork.a.log)}), *args, capsys=capsys)[0] == 0
    rc, out = run_monitor(client_for({"log.test": create_app(fork.b)}), *args, capsys=capsys)
    assert rc == 10 and out["verdict"] == "split_view" and out["exit_code"] == 10, out
    (finding,) = out["findings"]
    _check_evidence(finding, fork.a.log.checkpoint(), fork.b.checkpoint(), fork.a.log.vkey)
    assert finding["source"] == "log" and out["size"] == 3


def test_attack_the_log_serves_a_larger_tree_that_does_not_extend_the_kept_one(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fork.diverge(extra_on_b=2)
    args = monitor_args(tmp_path, fork.a)
    assert run_monitor(client_for({"log.test": create_app(fork.a.log)}), *args, capsys=capsys)[0] == 0
    rc, out = run_monitor(client_for({"log.test": create_app(fork.b)}), *args, capsys=capsys)
    assert rc == 10, out
    (finding,) = out["findings"]
    _check_evidence(finding, fork.a.log.checkpoint(), fork.b.checkpoint(), fork.a.log.vkey)
    # b's 2 new entries were fetched only to tell a fork from a bad proof: on a's kept tree they do not give b's root
    assert out["size"] == 3 and out["fetched"] == 2
    proof = [bytes.fromhex(h) for h in finding["consistency_proof"]]
    with pytest.raises(Exception):  # noqa: B017 - the log's own proof fails: it is the evidence
        verify_consistency(3, 5, proof, fork.a.log.root(3), fork.b.root(5))


def test_attack_a_witness_saw_another_history(fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fork.diverge()
    apps = {"log.test": create_app(fork.a.log), "w1.test": witness_app({ORIGIN: fork.b.checkpoint()})}
    rc, out = run_monitor(client_for(apps), *monitor_args(tmp_path, fork.a, "--witness", WITNESS), capsys=capsys)
    assert rc == 10, out
    (finding,) = out["findings"]
    _check_evidence(finding, fork.a.log.checkpoint(), fork.b.checkpoint(), fork.a.log.vkey)
    assert finding["source"] == WITNESS
    # the monitor's own tree proves it: its consistency proof leads from its root at that size to the kept root
    assert out["size"] == 3  # the log's own entries were consistent: the monitor followed it


def test_attack_a_checkpoint_seen_earlier_is_evidence_later(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # b runs ahead and a witness shows its checkpoint while a is smaller: nothing to say yet (a cannot prove a
    # size it does not have), but the monitor keeps the note; when a reaches that size with other entries, the
    # kept note is the evidence, though no witness shows it any more.
    fork.diverge(extra_on_b=1)  # a: 3, b: 4
    apps = {"log.test": create_app(fork.a.log), "w1.test": witness_app({ORIGIN: fork.b.checkpoint()})}
    args = monitor_args(tmp_path, fork.a, "--witness", WITNESS)
    rc, out = run_monitor(client_for(apps), *args, capsys=capsys)
    assert rc == 0 and out["pending_checkpoints"] == 1, out
    head = fork.a_head
    next_on_a = fork.a.cb.sign(
        "label.issue", {"label": label_for(GD, "GD-FORK-A2")}, seq=head.seq + 1, prev=head.entry_id, advance=False
    )
    fork.a.submit(next_on_a)  # a: 4, another root than b's 4
    apps["w1.test"] = witness_app({})
    rc, out = run_monitor(client_for(apps), *args, capsys=capsys)
    assert rc == 10, out
    (finding,) = out["findings"]
    _check_evidence(finding, fork.a.log.checkpoint(), fork.b.checkpoint(), fork.a.log.vkey)
    assert finding["source"] == "seen" and out["size"] == 4
    # and it stays evidence on every later run
    assert run_monitor(client_for(apps), *args, capsys=capsys)[0] == 10


def test_a_note_not_signed_by_the_log_is_no_evidence(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fork.diverge()
    other = World(f"sqlite:///{tmp_path}/other.db")  # another key, the same origin
    try:
        other.issue("GD-OTHER-1", "GD-OTHER-2")
        apps = {"log.test": create_app(fork.a.log), "w1.test": witness_app({ORIGIN: other.log.checkpoint()})}
        rc, out = run_monitor(client_for(apps), *monitor_args(tmp_path, fork.a, "--witness", WITNESS), capsys=capsys)
        assert rc == 0, out
        assert "note.no_verified_signature" in out["witnesses"][0]["error"]
    finally:
        other.close()
