"""Attacks of a hostile log (and a damaged state) on `carbonledger monitor`, from an adversarial review.

- a log-signed checkpoint of a tree the monitor holds, with the right tree root but a false (or no, or two)
  status map root — from a witness, or the log's own — at the kept size or below it: exit 9, kept for good;
- a tree root mismatch the log hides by refusing inclusion proofs (or a mirror by leaving out hash tiles): still
  exit 9, the mismatch reported with no culprit named;
- a log whose newest checkpoint goes back below the kept one: ``log.rollback``, exit 9;
- a log-signed fork note that a witness serves with a cosignature line that does not verify: still evidence;
- a split view proven on the log's own checkpoint, or a larger checkpoint the log will not prove: kept, so that
  the log going back to the other history (or catching up with it) is still a split view;
- a damaged state: bit rot in ``checkpoint.note``, or the file lost;
- a log-signed size-0 checkpoint with a root: the one note is the evidence.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ledger.api import create_app
from ledger.log_source_api import ApiSource
from ledger.monitor import Monitor
from ledger.monitor_state import MonitorFiles
from verifier.envelope import parse_entry
from verifier.keys import SigningKey
from verifier.note import (
    COSIGNATURE_V1_KEY_TYPE,
    cosign_checkpoint,
    encode_vkey,
    format_checkpoint,
    parse_checkpoint,
    sign_note,
    split_note,
)
from verifier.status_commit import format_status_extension
from verifier.trust import parse_trust

from .helpers import NOW, label_for
from .test_attack_monitor_evidence_suppressed import refusing
from .test_attack_monitor_split_view import Fork, fork
from .test_monitor import (
    GD,
    LOG_URL,
    ORIGIN,
    World,
    client_for,
    monitor_args,
    run_monitor,
    witness_app,
    world,
    write_trust,
)
from .test_monitor_errors import _lying_log

__all__ = ["fork", "world"]  # the fixtures, shared with tests/test_monitor.py and the split view attacks

WITNESS = "http://w1.test"
FORGED_STATUS = bytes(range(32))


def _resign(w: World, size: int, extensions: list[str]) -> str:
    """A note the log's key signs for the log's real tree of ``size``, with other extension lines."""
    return sign_note(format_checkpoint(ORIGIN, size, w.log.root(size), extensions), ORIGIN, w.key)


def _forged_status(w: World, size: int) -> str:
    return _resign(w, size, [format_status_extension(FORGED_STATUS, int(NOW.timestamp()))])


def _fork_note(size: int, w: World) -> str:
    """A log-signed checkpoint of ``size`` with a root no tree of the log has."""
    body = format_checkpoint(ORIGIN, size, bytes(32), [format_status_extension(bytes(32), int(NOW.timestamp()))])
    return sign_note(body, ORIGIN, w.key)


def _swapped_entries(w: World) -> Callable[[Request], Response]:
    """The log's 4 entries served with the last two swapped (not the signed tree), as an ``entries`` answer."""
    real = [base64.b64encode(bytes(r.envelope)).decode() for r in w.log.store.entries(0, 4)]
    swapped = [real[0], real[1], real[3], real[2]]

    def entries(request: Request) -> Response:
        lo, hi = int(request.query_params["start"]), int(request.query_params["end"])
        return JSONResponse({"start": lo, "entries": swapped[lo:hi]})

    return entries


def _grow_a(f: Fork, n: int) -> None:
    """``n`` more labels on a, going on from a's own head of the CB's chain."""
    for i in range(n):
        head = f.a_head
        env = f.a.cb.sign(
            "label.issue",
            {"label": label_for(GD, f"GD-FORK-A{i + 2}")},
            seq=head.seq + 1,
            prev=head.entry_id,
            advance=False,
        )
        f.a.submit(env)
        f.a_head = parse_entry(env)


# ---- a status root no replay gives, on a checkpoint of a tree the monitor holds ------------------------------
def test_attack_a_witness_holds_a_false_status_root_at_the_kept_size(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-A-1", "GD-A-2")
    args = monitor_args(tmp_path, world, "--witness", WITNESS)
    honest = {"log.test": create_app(world.log), "w1.test": witness_app({})}
    rc, out = run_monitor(client_for(honest), *args, capsys=capsys)
    assert (rc, out["size"]) == (0, 4), out
    # the log signs, for the same tree (size 4, same root), a status root no replay gives, and shows it to a
    # witness — to the buyers who check status proofs against witnessed checkpoints
    forged = _forged_status(world, 4)
    hostile = {"log.test": create_app(world.log), "w1.test": witness_app({ORIGIN: forged})}
    rc, out = run_monitor(client_for(hostile), *args, capsys=capsys)
    assert rc == 9 and out["verdict"] == "broken", out
    (f,) = out["findings"]
    assert f["type"] == "status_root_mismatch" and f["rule"] == "status.root_mismatch" and f["size"] == 4
    assert f["committed_root"] == base64.b64encode(FORGED_STATUS).decode() != f["computed_root"]
    assert f["computed_root"] == out["status_root"] and f["source"] == WITNESS and f["note"] == forged
    # evidence kept for good: the witness forgetting it changes nothing
    rc, again = run_monitor(client_for(honest), *args, capsys=capsys)
    assert rc == 9 and again["findings"][0]["note"] == forged, again


def test_attack_a_witness_holds_a_false_status_root_below_the_kept_size(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-F-1")
    forged = _forged_status(world, 3)
    world.issue("GD-F-2", "GD-F-3")
    apps = {"log.test": create_app(world.log), "w1.test": witness_app({ORIGIN: forged})}
    args = monitor_args(tmp_path, world, "--witness", WITNESS)
    rc, out = run_monitor(client_for(apps), *args, capsys=capsys)
    assert rc == 9 and out["size"] == 5, out  # the log's own checkpoint was right: followed to 5
    (f,) = out["findings"]
    assert (f["rule"], f["size"], f["source"]) == ("status.root_mismatch", 3, WITNESS), f
    # a later run (the state re-folded from entries.bin) finds it again, at the size it is of
    rc, again = run_monitor(client_for(apps), *args, capsys=capsys)
    assert rc == 9 and again["findings"] == out["findings"], again


def test_attack_a_false_status_root_below_the_kept_size_while_polling(world: World, tmp_path: Path) -> None:
    """One monitor, two polls (no state reload in between, as ``monitor`` without ``--once`` runs): the second poll
    sees a witness's checkpoint of a size the first one folded past without remembering its status root."""
    world.issue("GD-P-1")
    forged = _forged_status(world, 3)
    world.issue("GD-P-2", "GD-P-3")
    trust = parse_trust(write_trust(tmp_path / "trust.json", world.log).read_bytes())
    files = MonitorFiles(tmp_path / "state")
    try:
        monitor = Monitor(trust, files)
        source = ApiSource(LOG_URL, client_for({"log.test": create_app(world.log)}))
        first = monitor.run_once(source)
        assert (first.exit_code, first.size, first.replayed) == (0, 5, 5)
        second = monitor.run_once(source, [(WITNESS, lambda: forged)])
        assert second.exit_code == 9, second.to_dict()
        (f,) = second.findings
        assert (f.rule, f.size) == ("status.root_mismatch", 3)
        assert second.replayed == 5  # re-folded from the state to learn the status root at size 3
    finally:
        files.close()


def test_attack_the_log_resigns_the_kept_size_without_a_status_commitment(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-A-1")
    args = monitor_args(tmp_path, world)
    assert run_monitor(client_for({"log.test": create_app(world.log)}), *args, capsys=capsys)[0] == 0
    forged = _resign(world, 3, [])  # the same tree, the status line dropped
    lying = _lying_log(world, checkpoint=lambda r: PlainTextResponse(forged))
    rc, out = run_monitor(client_for({"log.test": lying}), *args, capsys=capsys)
    assert rc == 9, out
    (f,) = out["findings"]
    assert (f["rule"], f["size"], f["source"], f["note"]) == ("status.no_commitment", 3, "log", forged), f


def test_attack_two_status_lines_are_an_ambiguous_commitment(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-G-1")
    cp = parse_checkpoint(split_note(world.log.checkpoint())[0])
    other = format_status_extension(FORGED_STATUS, int(NOW.timestamp()))
    note = _resign(world, cp.size, [*cp.extensions, other])
    lying = _lying_log(world, checkpoint=lambda r: PlainTextResponse(note))
    rc, out = run_monitor(client_for({"log.test": lying}), *monitor_args(tmp_path, world), capsys=capsys)
    assert rc == 9, out
    (f,) = out["findings"]
    # the checkpoint signs TWO carbonledger-status/v1 lines: not "no status line"
    assert f["type"] == "status_root_mismatch" and f["rule"] == "checkpoint.malformed" and f["size"] == 3, f
    assert "ambiguous" in f["message"] and "2 carbonledger-status/v1 lines" in f["message"], f


def test_reordered_extension_lines_are_consistent(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-G-1")
    cp = parse_checkpoint(split_note(world.log.checkpoint())[0])
    note = _resign(world, cp.size, ["x-other/v1 hello", *cp.extensions])
    lying = _lying_log(world, checkpoint=lambda r: PlainTextResponse(note))
    rc, out = run_monitor(client_for({"log.test": lying}), *monitor_args(tmp_path, world), capsys=capsys)
    assert rc == 0, out


# ---- a tree root mismatch the log will not help name ------------------------------------------------------
def test_attack_refusing_inclusion_proofs_hides_a_tree_root_mismatch(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-B-1", "GD-B-2")
    entries = _swapped_entries(world)
    lying = _lying_log(
        world, entries=entries, inclusion=lambda r: JSONResponse({"error": {"code": "x", "message": "no"}}, 500)
    )
    rc, out = run_monitor(client_for({"log.test": lying}), *monitor_args(tmp_path, world), capsys=capsys)
    # the served entries do not rebuild the signed root: proof in hand, exit 9 (not 1, "cannot read the log")
    assert rc == 9, out
    (root,) = [f for f in out["findings"] if f["type"] == "tree_root_mismatch"]
    assert root["size"] == 4 and "index" not in root and root["signed_root"] != root["computed_root"], root


def test_a_tree_root_mismatch_with_honest_inclusion_proofs_names_the_entry(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-B-1", "GD-B-2")
    entries = _swapped_entries(world)
    lying = _lying_log(world, entries=entries)
    rc, out = run_monitor(client_for({"log.test": lying}), *monitor_args(tmp_path, world), capsys=capsys)
    assert rc == 9, out
    (root,) = [f for f in out["findings"] if f["type"] == "tree_root_mismatch"]
    assert root["index"] == 2, root


def test_attack_missing_hash_tiles_hide_a_tree_root_mismatch(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ledger.tiles import bundle_bytes, parse_bundle
    from ledger.tiles_export import export_tiles

    world.issue("GD-H-1", "GD-H-2")
    tiles = tmp_path / "tiles"
    export_tiles(world.log, tiles)
    (bundle,) = [p for p in (tiles / "tile" / "entries").rglob("*") if p.is_file()]
    items = parse_bundle(bundle.read_bytes(), 4)
    bundle.write_bytes(bundle_bytes([items[0], items[1], items[3], items[2]]))  # entries not as signed
    for p in (tiles / "tile" / "0").rglob("*"):
        if p.is_file():
            p.unlink()  # and no hash tiles to name the culprit with
    rc, out = run_monitor(None, "--tiles", str(tiles), *monitor_args(tmp_path, world)[2:], capsys=capsys)
    assert rc == 9, out
    assert any(f["type"] == "tree_root_mismatch" and "index" not in f for f in out["findings"]), out


# ---- a log that goes back in time ------------------------------------------------------------------------
def test_attack_a_log_rolled_back_below_the_kept_size(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-C-1")
    old = world.log.checkpoint()  # size 3
    world.issue("GD-C-2", "GD-C-3")
    args = monitor_args(tmp_path, world)
    assert run_monitor(client_for({"log.test": create_app(world.log)}), *args, capsys=capsys)[0] == 0  # kept 5
    lying = _lying_log(world, checkpoint=lambda r: PlainTextResponse(old))
    rc, out = run_monitor(client_for({"log.test": lying}), *args, capsys=capsys)
    assert rc == 9 and (out["log_size"], out["size"]) == (3, 5), out
    (f,) = out["findings"]
    assert (f["type"], f["rule"], f["size"], f["kept_size"]) == ("rollback", "log.rollback", 3, 5), f
    # the log (or the mirror) is back to its newest: nothing is held against it
    assert run_monitor(client_for({"log.test": create_app(world.log)}), *args, capsys=capsys)[0] == 0


# ---- a witness's note with a cosignature line that does not verify ----------------------------------------
def _bad_line_on(world: World, tmp_path: Path, fork_note: str) -> dict[str, object]:
    """``fork_note`` as a witness serves it, with a line claiming w1 (a trusted witness) made over another
    checkpoint (the log's real one)."""
    wkey = SigningKey.generate()
    write_trust(tmp_path / "trust.json", world.log, (encode_vkey("w1", wkey.public_key, COSIGNATURE_V1_KEY_TYPE),))
    line = cosign_checkpoint(split_note(world.log.checkpoint())[0], "w1", wkey, int(NOW.timestamp()) - 10)
    return {"log.test": create_app(world.log), "w1.test": witness_app({ORIGIN: fork_note + line})}


def test_attack_a_bad_cosignature_line_does_not_suppress_split_view_evidence(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-E-1")
    fork_note = _fork_note(3, world)  # at the kept size: another root, signed by the log
    apps = _bad_line_on(world, tmp_path, fork_note)
    rc, out = run_monitor(client_for(apps), *monitor_args(tmp_path, world, "--witness", WITNESS), capsys=capsys)
    # signed by the log's key, contradicting the kept tree: a split view whatever its cosignatures say
    assert rc == 10, out
    (f,) = out["findings"]
    assert f["source"] == WITNESS and f["notes"][1].startswith(fork_note), f
    (w,) = out["witnesses"]
    assert w["size"] == 3 and w["cosigned_by"] == [] and "note.bad_signature" in w["error"], w


def test_a_witness_whose_cosignature_line_fails_is_named_with_the_error(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apps = _bad_line_on(world, tmp_path, _fork_note(2, world))
    rc, out = run_monitor(client_for(apps), *monitor_args(tmp_path, world, "--witness", WITNESS), capsys=capsys)
    assert rc == 10, out  # the note is still the log's: a split view at size 2
    (w,) = out["witnesses"]
    assert w["size"] == 2 and "note.bad_signature" in w["error"], w


def test_the_same_fork_note_without_the_bad_line_is_a_split_view(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-E-1")
    apps = {"log.test": create_app(world.log), "w1.test": witness_app({ORIGIN: _fork_note(3, world)})}
    rc, out = run_monitor(client_for(apps), *monitor_args(tmp_path, world, "--witness", WITNESS), capsys=capsys)
    assert rc == 10, out


# ---- the log's own checkpoints: kept as evidence ----------------------------------------------------------
def test_attack_a_split_view_on_the_logs_own_checkpoint_is_kept_for_good(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fork.diverge(extra_on_b=2)  # a: 3, b: 5
    args = monitor_args(tmp_path, fork.a)
    assert run_monitor(client_for({"log.test": create_app(fork.a.log)}), *args, capsys=capsys)[0] == 0
    rc, out = run_monitor(client_for({"log.test": create_app(fork.b)}), *args, capsys=capsys)
    assert rc == 10, out  # proven: b@5 does not extend a@3, both notes in hand
    (proven,) = out["findings"]
    # the log goes back to showing a: the proven split view stays evidence, though the log no longer helps
    rc, out = run_monitor(client_for({"log.test": create_app(fork.a.log)}), *args, capsys=capsys)
    assert rc == 10 and out["findings"] == [proven], out
    assert proven["notes"] == [fork.a.log.checkpoint(), fork.b.checkpoint()] and proven["source"] == "log"
    # the log shows b again: one finding, not the kept one and the new one
    rc, out = run_monitor(client_for({"log.test": create_app(fork.b)}), *args, capsys=capsys)
    assert rc == 10 and out["findings"] == [proven], out


def test_attack_a_larger_log_checkpoint_whose_proof_is_refused_is_kept_as_evidence(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fork.diverge(extra_on_b=2)  # a: 3, b: 5
    b_at_5 = fork.b.checkpoint()
    args = monitor_args(tmp_path, fork.a)
    assert run_monitor(client_for({"log.test": create_app(fork.a.log)}), *args, capsys=capsys)[0] == 0  # kept a@3
    # the log shows b@5 and refuses the consistency proof and the entries: "cannot check", exit 1
    hostile = refusing(create_app(fork.b), "/v1/proofs/consistency", "/v1/entries")
    rc, out = run_monitor(client_for({"log.test": hostile}), *args, capsys=capsys)
    assert rc == 1 and out["error"]["code"] == "source.error", out
    assert b_at_5 in json.loads((tmp_path / "state" / "seen.json").read_text())
    # a grows to 5 honestly: the log-signed b@5 the monitor kept has another root, a split view
    _grow_a(fork, 2)
    assert fork.a.log.size == 5 and fork.a.log.root(5) != fork.b.root(5)
    rc, out = run_monitor(client_for({"log.test": create_app(fork.a.log)}), *args, capsys=capsys)
    assert rc == 10, out
    (f,) = out["findings"]
    assert f["source"] == "seen" and f["notes"] == [fork.a.log.checkpoint(), b_at_5], f


# ---- a damaged state ---------------------------------------------------------------------------------------
def _kept_note(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Any, list[str], Path]:
    """A monitor that has kept one checkpoint: its client, its arguments and the kept note's file."""
    world.issue("GD-D-1")
    args = monitor_args(tmp_path, world)
    client = client_for({"log.test": create_app(world.log)})
    assert run_monitor(client, *args, capsys=capsys)[0] == 0
    return client, args, tmp_path / "state" / "checkpoint.note"


def test_attack_bit_rot_in_the_kept_checkpoint_note_is_state_corrupt(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, args, note = _kept_note(world, tmp_path, capsys)
    note.write_bytes(note.read_bytes()[:-3] + b"\xff\xfe\n")  # not UTF-8 any more
    rc, out = run_monitor(client, *args, capsys=capsys)
    assert rc == 1 and out["error"]["code"] == "monitor.state_corrupt", out
    assert "checkpoint.note" in out["error"]["message"]


def test_a_truncated_kept_checkpoint_note_fails_clearly(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, args, note = _kept_note(world, tmp_path, capsys)
    note.write_bytes(note.read_bytes()[:20])
    rc, out = run_monitor(client, *args, capsys=capsys)
    assert rc == 1 and out["error"]["code"].startswith("monitor.state"), out


def test_a_damaged_split_views_file_is_state_corrupt(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fork.diverge(extra_on_b=2)
    args = monitor_args(tmp_path, fork.a)
    assert run_monitor(client_for({"log.test": create_app(fork.a.log)}), *args, capsys=capsys)[0] == 0
    assert run_monitor(client_for({"log.test": create_app(fork.b)}), *args, capsys=capsys)[0] == 10
    views = tmp_path / "state" / "split_views.json"
    (kept,) = json.loads(views.read_text())
    views.write_text(json.dumps([kept | {"notes": kept["notes"][:1]}]))  # one note: not what the monitor writes
    rc, out = run_monitor(client_for({"log.test": create_app(fork.a.log)}), *args, capsys=capsys)
    assert rc == 1 and out["error"]["code"] == "monitor.state_corrupt", out


def test_attack_a_lost_checkpoint_note_does_not_let_a_fork_through(
    fork: Fork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fork.diverge(extra_on_b=1)  # a: 3, b: 4, they differ from index 2
    args = monitor_args(tmp_path, fork.a)
    assert run_monitor(client_for({"log.test": create_app(fork.a.log)}), *args, capsys=capsys)[0] == 0
    (tmp_path / "state" / "checkpoint.note").unlink()  # lost: the monitor starts again from size 0...
    rc, out = run_monitor(client_for({"log.test": create_app(fork.b)}), *args, capsys=capsys)
    # ...but the checkpoint it kept is still evidence (its copy in seen.json): b@4 does not extend a@3
    assert rc == 10, out
    (f,) = out["findings"]
    assert f["notes"] == [fork.b.checkpoint(), fork.a.log.checkpoint()] and f["source"] == "seen", f


def test_a_lost_checkpoint_note_of_an_honest_log_starts_again(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.issue("GD-D-1")
    args = monitor_args(tmp_path, world)
    client = client_for({"log.test": create_app(world.log)})
    assert run_monitor(client, *args, capsys=capsys)[0] == 0
    (tmp_path / "state" / "checkpoint.note").unlink()
    world.issue("GD-D-2")
    rc, out = run_monitor(client, *args, capsys=capsys)
    assert (rc, out["size"], out["fetched"], out["pending_checkpoints"]) == (0, 4, 4, 0), out


# ---- a size-0 checkpoint with a root ------------------------------------------------------------------------
def test_attack_a_size_0_checkpoint_with_a_root_is_one_note_of_evidence(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a first run; the log will not answer; a witness holds a log-signed size-0 checkpoint with a non-empty root
    bad_empty = _fork_note(0, world)
    apps = {"log.test": refusing(create_app(world.log)), "w1.test": witness_app({ORIGIN: bad_empty})}
    rc, out = run_monitor(client_for(apps), *monitor_args(tmp_path, world, "--witness", WITNESS), capsys=capsys)
    assert rc == 10, out
    (f,) = out["findings"]
    assert f["notes"] == [bad_empty] and f["source"] == WITNESS and "size 0" in f["message"], f
