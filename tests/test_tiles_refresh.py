"""Online verification and `bundle refresh` from a log's static tiles (issue 17: "the verifier's online mode,
`bundle refresh` and the monitor can read from a tiles URL instead of the API"; ledger/tiles_refresh.py).

Tiles carry no status map: the bundle is assembled from a mirror of every entry, whose tree root and status map
root must be the ones the tiles' checkpoint signs, and carries the tiles' own signed checkpoint. Attacks guarded:
tiles whose entries were changed (or reordered) under an honest checkpoint, and tiles that hide a revocation.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger.tiles_refresh import TilesRefresh
from ledger.tiles_source import TilesSource
from mapping.errors import CarbonLedgerError
from verifier.bundle_refresh import bundle_head

from .helpers import Cli

GD, HK = "gd-carbon-label", "hk-cma-carbon-label"
LABEL = "GD-CL-2025-0101"


class Tiled:
    """A demo home, its buyer's files and its tiles exported to a directory."""

    def __init__(self, tmp: Path, copy_demo_home: Callable[[Path], Path]) -> None:
        self.tmp = tmp
        self.owner = Cli(copy_demo_home(tmp / "home"))
        self.old = tmp / "old.bundle.json"
        self.owner.json("bundle", LABEL, "--to", HK, "--out", str(self.old))
        self.trust = tmp / "trust.json"
        self.owner.json("trust", "export", "--buyer-scheme", HK, "--out", str(self.trust))
        self.tiles = tmp / "tiles"
        self.export()

    def export(self) -> None:
        self.owner.json("tiles", "export", "--out", str(self.tiles))

    def revoke(self) -> None:
        key = str(self.owner.home / "demo-keys" / "gd-carbon-label-root.pem")
        self.owner.json("label", "revoke", "--scheme", GD, "--label-id", LABEL, "--key", key, "--reason", "recall")

    def verify(self, *args: str) -> tuple[int, dict[str, Any]]:
        cp = Cli(self.tmp / "buyer").run("verify", *args, "--trust", str(self.trust), "--to", HK, "--json", ok=False)
        return cp.returncode, json.loads(cp.stdout)


@pytest.fixture
def tiled(tmp_path: Path, copy_demo_home: Callable[[Path], Path]) -> Tiled:
    return Tiled(tmp_path, copy_demo_home)


def test_verify_from_tiles_learns_of_a_revocation_the_old_bundle_hides(tiled: Tiled) -> None:
    assert tiled.verify(str(tiled.old), "--tiles", str(tiled.tiles))[0] == 0
    tiled.revoke()
    assert tiled.verify(str(tiled.old), "--tiles", str(tiled.tiles))[0] == 0  # the tiles were not exported since
    tiled.export()
    assert tiled.verify(str(tiled.old))[0] == 0  # offline, the old bundle knows nothing of it
    rc, report = tiled.verify(str(tiled.old), "--tiles", str(tiled.tiles))
    assert rc == 6 and report["status"]["label"] == "revoked", report["steps"][7]
    assert report["status"]["as_of_size"] == bundle_head(tiled.old.read_bytes()).size + 1
    size = bundle_head(tiled.old.read_bytes()).size + 1
    assert report["steps"][5]["status"] == "passed"  # the tiles' own checkpoint, signed by the log
    assert f"signed by the log at tree size {size}" in report["steps"][5]["detail"]


def test_bundle_refresh_from_tiles_writes_a_bundle_that_verifies_offline(tiled: Tiled) -> None:
    tiled.revoke()
    tiled.export()
    fresh = tiled.tmp / "fresh.json"
    buyer = Cli(tiled.tmp / "b")
    got = buyer.json(
        "bundle",
        "refresh",
        str(tiled.old),
        "--tiles",
        str(tiled.tiles),
        "--trust",
        str(tiled.trust),
        "--out",
        str(fresh),
    )
    assert (got["authentic"], got["verdict"], got["tree_size"]) == (
        True,
        "not_valid",
        bundle_head(fresh.read_bytes()).size,
    )
    assert tiled.verify(str(fresh))[0] == 6
    assert tiled.verify("--label", LABEL, "--scheme", GD, "--tiles", str(tiled.tiles))[0] == 6  # no bundle file


@pytest.mark.tampers_store  # the tiles, on purpose: the mirror built from them is not one to replay
def test_attack_tiles_whose_entries_were_changed_are_refused(tiled: Tiled) -> None:
    """Two entries swapped in the entry bundle under the honest checkpoint and hash tiles: the mirror's tree is not
    the signed one (a mirror built from the tiles' hashes alone would never notice)."""
    bundle_file = next(p for p in sorted((tiled.tiles / "tile" / "entries").rglob("*")) if p.is_file())
    data = bundle_file.read_bytes()
    entries, at = [], 0
    while at < len(data):
        n = int.from_bytes(data[at : at + 2], "big")
        entries.append(data[at : at + 2 + n])
        at += 2 + n
    entries[40], entries[41] = entries[41], entries[40]
    bundle_file.write_bytes(b"".join(entries))
    with pytest.raises(CarbonLedgerError) as e:
        TilesRefresh(TilesSource(tiled.tiles)).bundle(LABEL, HK, GD)
    assert e.value.code in ("tiles.root_mismatch", "tiles.refused_entry"), e.value
    rc, out = tiled.verify(str(tiled.old), "--tiles", str(tiled.tiles))
    assert rc == 1 and out["error"]["code"] in ("tiles.root_mismatch", "tiles.refused_entry")


def test_attack_tiles_of_an_older_export_cannot_roll_back_a_buyer(tiled: Tiled) -> None:
    """The buyer verified the newest tree online; tiles exported before it (a stale mirror) are refused."""
    stale = tiled.tmp / "stale-tiles"
    shutil.copytree(tiled.tiles, stale)
    tiled.revoke()
    tiled.export()
    state = tiled.tmp / "kept.json"
    other = tiled.tmp / "other.json"
    tiled.owner.json("bundle", "HK-CMA-2025-0007", "--to", HK, "--out", str(other))
    assert tiled.verify(str(other), "--state", str(state))[0] == 0  # keeps the newer tree
    rc, out = tiled.verify(str(tiled.old), "--tiles", str(stale), "--state", str(state))
    assert rc == 1 and out["error"]["code"] == "refresh.older", out


def test_server_and_tiles_together_is_a_usage_error(tiled: Tiled) -> None:
    rc, out = tiled.verify(str(tiled.old), "--tiles", str(tiled.tiles), "--server", "http://log.test")
    assert rc == 2 and out["error"]["code"] == "usage"
