"""Attack: a mirror (a CDN serving the log's C2SP tiles) flips a bit of a hash tile, so the consistency proof the
monitor computes from the tiles fails between two checkpoints of an honest log. A failed proof is no proof of a
split view when the entries themselves show the newer tree extends the kept one: the monitor must not accuse the
log (exit 10, "both signed notes as evidence" that prove nothing), but report the bad proof (exit 9) and keep its
state; a log that really forked is still a split view (tests/test_attack_monitor_split_view.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.tiles_export import export_tiles

from .test_monitor import World, monitor_args, run_monitor, world  # noqa: F401 - the fixture


def test_attack_a_corrupted_hash_tile_is_not_a_split_view(
    world: World,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world.issue("GD-M-1", "GD-M-2")
    tiles = tmp_path / "tiles"
    export_tiles(world.log, tiles)
    args = ("--tiles", str(tiles), *monitor_args(tmp_path, world)[2:])
    assert run_monitor(None, *args, capsys=capsys)[0] == 0  # kept: size 4
    world.issue("GD-M-3")
    export_tiles(world.log, tiles)
    tile = tiles / "tile" / "0" / "000.p" / "5"
    data = bytearray(tile.read_bytes())
    data[-1] ^= 1  # leaf 4's hash: the whole consistency proof from 4 to 5
    tile.write_bytes(bytes(data))
    rc, out = run_monitor(None, *args, capsys=capsys)
    assert rc == 9 and out["verdict"] == "broken", out
    (finding,) = out["findings"]
    assert finding["type"] == "bad_proof" and finding["rule"] == "log.bad_proof" and finding["size"] == 5
    assert out["size"] == 4  # nothing kept from a run that found something
    tile.write_bytes(bytes(data[:-1] + bytes([data[-1] ^ 1])))  # the mirror is repaired
    rc, out = run_monitor(None, *args, capsys=capsys)
    assert (rc, out["size"]) == (0, 5), out
