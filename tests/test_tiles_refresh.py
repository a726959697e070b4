"""Online verification and `bundle refresh` from a log's static tiles (issue 17: "the verifier's online mode,
`bundle refresh` and the monitor can read from a tiles URL instead of the API"; ledger/tiles_refresh.py).

Tiles carry no status map: the bundle is assembled from a mirror of every entry, whose tree root and status map
root must be the ones the tiles' checkpoint signs, and carries the tiles' own signed checkpoint. Attacks guarded:
tiles whose entries were changed (or reordered) under an honest checkpoint, and tiles that hide a revocation.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import ledger.tiles_source
from ledger.tiles import TILE_WIDTH, TileRef
from ledger.tiles_refresh import TilesRefresh
from ledger.tiles_source import CACHE_BYTES, TilesSource
from mapping.errors import CarbonLedgerError
from verifier.bundle_refresh import bundle_head

from .helpers import Cli, drip_server

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


# ---- from a review of the tiles path ----------------------------------------------------------------------
def _serve_dir(tiles: Path, first_checkpoint: bytes | None = None) -> httpx.Client:
    """An HTTP tiles host over ``tiles``; when ``first_checkpoint`` is given, the first checkpoint fetch gets it
    and every later fetch the directory's own checkpoint (a host answering each request as it likes)."""
    fetched = {"n": 0}

    def handler(req: httpx.Request) -> httpx.Response:
        path = req.url.path.lstrip("/")
        if path == "checkpoint":
            fetched["n"] += 1
            if first_checkpoint is not None and fetched["n"] == 1:
                return httpx.Response(200, content=first_checkpoint)
        p = tiles / path
        return httpx.Response(200, content=p.read_bytes()) if p.is_file() else httpx.Response(404)

    return httpx.Client(transport=httpx.MockTransport(handler))


# ---- 1. `verify --label ID --tiles` answers below the buyer's kept tree: a revocation hidden -------------------------
def test_attack_a_label_fetched_from_tiles_below_the_kept_tree_is_refused(tiled: Tiled) -> None:
    """The buyer has verified tree N+1 (kept), which holds the revocation of LABEL. `verify --label LABEL --tiles`
    is answered from the pre-revocation checkpoint N (real, log-signed) on the first checkpoint fetch and from the
    current one afterwards, so the consistency proof N -> N+1 the verifier asks for exists. The truth is 6; the
    `bundle BUNDLE --tiles` path refuses this as refresh.older, the --label path returns 0 "active as of N"."""
    stale_cp = (tiled.tiles / "checkpoint").read_bytes()
    tiled.revoke()
    tiled.export()
    other, state = tiled.tmp / "other.json", tiled.tmp / "kept.json"
    tiled.owner.json("bundle", "HK-CMA-2025-0007", "--to", HK, "--out", str(other))
    buyer = Cli(tiled.tmp / "buyer")
    args = ("--trust", str(tiled.trust), "--to", HK, "--state", str(state), "--json")
    assert buyer.run("verify", str(other), *args, ok=False).returncode == 0  # keeps tree N+1
    honest = buyer.run("verify", "--label", LABEL, "--scheme", GD, "--tiles", str(tiled.tiles), *args, ok=False)
    assert honest.returncode == 6  # the truth

    hostile = Cli(tiled.tmp / "buyer", http_client=_serve_dir(tiled.tiles, first_checkpoint=stale_cp))
    cp = hostile.run("verify", "--label", LABEL, "--scheme", GD, "--tiles", "http://tiles.test", *args, ok=False)
    out = json.loads(cp.stdout)
    assert cp.returncode == 1 and out["error"]["code"] == "refresh.older", out  # was 0, "active as of N"


# ---- 2. a dripping tiles host holds the command for ever ---------------------------------------------------------
def test_attack_a_dripping_tiles_host_cannot_hold_the_read_past_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte every 0.2 s keeps each read within the client's timeout: a 1 MiB checkpoint would take ~2.5 days."""
    monkeypatch.setattr(ledger.tiles_source, "TOTAL_S", 1.0)  # a whole tile's deadline
    url, t = drip_server(seconds=6.0)
    start = time.monotonic()
    with pytest.raises(CarbonLedgerError):
        TilesSource(url).checkpoint()
    elapsed = time.monotonic() - start
    t.join(10)
    assert elapsed < 3.0, f"a tiles host held the read for {elapsed:.1f} s (as long as it likes)"


# ---- 3. every entry is read into the mirror before the checkpoint's signature is looked at -------------------------
def test_attack_an_unsigned_checkpoint_makes_no_mirror_read_a_single_entry(
    tiled: Tiled, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint whose log signature is garbage (anyone can write one, for any size) still makes
    `verify BUNDLE --trust T --tiles` read and admit every entry it claims into a temp SQLite mirror; only then is
    the note found not authentic. The work (time, temp disk) is the attacker's to choose (any size, entries of an
    own scheme admitted under allow_any_scheme): with the trust file, the note is checked first."""
    cp_file = tiled.tiles / "checkpoint"
    lines = cp_file.read_text().split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith("— ") and "witness" not in line)
    name, sig = lines[i][2:].split(" ")
    lines[i] = f"— {name} {sig[:8]}{'A' * (len(sig) - 10)}=="  # same key hash prefix, bogus signature
    cp_file.write_text("\n".join(lines))
    read: list[int] = []
    real = TilesSource.entries

    def counting(self: TilesSource, start: int, end: int) -> list[bytes]:
        read.append(end - start)
        return real(self, start, end)

    monkeypatch.setattr(TilesSource, "entries", counting)
    cp = Cli(tiled.tmp / "buyer").run(
        "verify",
        str(tiled.old),
        "--trust",
        str(tiled.trust),
        "--to",
        HK,
        "--tiles",
        str(tiled.tiles),
        "--json",
        ok=False,
    )
    assert cp.returncode == 1 and json.loads(cp.stdout)["error"]["code"] == "tiles.unauthenticated"
    assert sum(read) == 0, f"{sum(read)} entries read and admitted for a checkpoint the trust file's key never signed"


# ---- 4. the tile cache's budget does not hold for entry bundles --------------------------------------------------
def test_attack_entry_bundles_stay_within_the_tile_cache_budget(tmp_path: Path) -> None:
    """An entry bundle is up to 256 × 65,537 bytes: a cache counted in tiles held a whole log's entries read once by
    the mirror fill (4 GiB for 1M entries of 4 KiB). Here 48 bundles of 1 MiB, read as the fill reads them."""
    bundles = 48
    size = bundles * TILE_WIDTH
    (tmp_path / "checkpoint").write_text(f"example.com/log\n{size}\n{'A' * 43}=\n\n— example.com/log AAAAAAAA\n")
    entry = b"x" * 4096
    data = b"".join(len(entry).to_bytes(2, "big") + entry for _ in range(TILE_WIDTH))
    for index in range(bundles):
        p = tmp_path / TileRef(-1, index, TILE_WIDTH).path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    src = TilesSource(tmp_path)
    src.checkpoint()
    for start in range(0, size, 1000):
        src.entries(start, min(size, start + 1000))
    held = sum(len(e) for items in src._cache.values() for e in items)
    assert held <= CACHE_BYTES, f"the cache holds {held >> 20} MiB of entry bundles after one pass"
