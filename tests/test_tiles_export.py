"""A real log exported as C2SP tlog-tiles (ledger/tiles_export.py) and read back (ledger/tiles_source.py) from the
directory and over HTTP: the same checkpoint, entries and proofs as the log's own, all verifying.

Attack guarded: a tiles directory silently rewritten with another history. A full tile is immutable; an export
into a directory holding different bytes for one (or another root at the size its checkpoint publishes, or
another log's checkpoint) is refused as a fork, and nothing more is written.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ledger.log import Log
from ledger.store import Store
from ledger.tiles_export import TilesExporter, export_tiles
from ledger.tiles_source import TilesSource
from mapping.errors import ConflictError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.merkle import leaf_hash, verify_consistency, verify_inclusion
from verifier.note import parse_checkpoint, split_note, verify_note

from .helpers import NOW, Cli, Signer, label_for

GD = "gd-carbon-label"
ORIGIN = "tiles.test/log"
BATCHES = (2, 100, 154, 1, 60)  # sizes 2, 102, 256 (a full tile), 257, 317


def _log(url: str, key: SigningKey | None = None) -> Log:
    return Log(Store(url), key or SigningKey.generate(), ORIGIN, Policy(frozenset({GD})), lambda: NOW)


def _grow(log: Log, batches: tuple[int, ...], after: Callable[[Log], object] = lambda _: None) -> None:
    gd, cqc = Signer(), Signer()
    first = [gd.register(GD), gd.authorize(GD, cqc)]
    n = 0
    for count in batches:
        envelopes = first[:count] if not n else [cqc.issue(label_for(GD, f"L-{n}-{i}")) for i in range(count)]
        results = log.submit_many(envelopes, with_proofs=False)
        assert all(not isinstance(r, Exception) for r in results), results
        n += count
        after(log)


@pytest.fixture
def exported(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Log, Path, TilesExporter]]:
    log = _log(sqlite_url)
    exporter = TilesExporter(tmp_path / "tiles", raise_errors=True)
    _grow(log, BATCHES, exporter)
    yield log, tmp_path / "tiles", exporter
    log.store.close()


def _check_source(log: Log, source: TilesSource) -> None:
    note = source.checkpoint()
    assert note == log.checkpoint()
    verify_note(note, [log.vkey])
    cp = parse_checkpoint(split_note(note)[0])
    size = cp.size
    assert size == sum(BATCHES) == log.size
    envelopes = source.entries(0, size)
    assert envelopes == [r.envelope for r in log.store.entries(0, size)]
    assert source.entries(250, 260) == envelopes[250:260] and source.entries(5, 5) == []
    for index in (0, 1, 255, 256, size - 1):
        proof = source.inclusion_proof(index, size)
        assert proof == log.inclusion_proof(index, size)
        verify_inclusion(leaf_hash(envelopes[index]), index, size, proof, cp.root_hash)
    for size1 in (1, 2, 102, 255, 256, 257, size):
        proof = source.consistency_proof(size1, size)
        assert proof == log.consistency_proof(size1, size)
        verify_consistency(size1, size, proof, log.root(size1), cp.root_hash)


def test_an_exported_log_reads_back_from_the_directory(exported: tuple[Log, Path, TilesExporter]) -> None:
    log, folder, exporter = exported
    _check_source(log, TilesSource(folder))
    assert exporter.errors == 0 and exporter.last is not None
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == [
        "checkpoint",
        "tile/0/000",
        "tile/0/001.p/1",
        "tile/0/001.p/61",
        "tile/1/000.p/1",
        "tile/entries/000",
        "tile/entries/001.p/1",
        "tile/entries/001.p/61",
    ]  # the partials of tile 000 went once it was full; those of the still-partial tile stay


def test_an_exported_log_reads_back_over_http(exported: tuple[Log, Path, TilesExporter]) -> None:
    """A plain web server (Python's, in a thread, on a free port) serving the directory as it is."""
    log, folder, _ = exported
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            _check_source(log, TilesSource(f"http://127.0.0.1:{server.server_address[1]}/"))
        finally:
            server.shutdown()
            thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_exporting_again_writes_only_the_checkpoint(exported: tuple[Log, Path, TilesExporter]) -> None:
    log, folder, _ = exported
    report = export_tiles(log, folder)
    assert report.written == ["checkpoint"] and report.unchanged == 3  # the partial tiles of size 317, unchanged
    audit = export_tiles(log, folder, verify=True)
    assert audit.written == ["checkpoint"] and audit.unchanged == 5


def test_attack_a_different_full_tile_is_not_overwritten(exported: tuple[Log, Path, TilesExporter]) -> None:
    log, folder, _ = exported
    tile = folder / "tile/0/000"
    forged = bytearray(tile.read_bytes())
    forged[100] ^= 1
    tile.write_bytes(bytes(forged))
    before = (folder / "checkpoint").read_bytes()
    with pytest.raises(ConflictError) as e:
        export_tiles(log, folder, verify=True)
    assert e.value.code == "tiles.fork" and "tile/0/000" in e.value.message
    assert tile.read_bytes() == bytes(forged) and (folder / "checkpoint").read_bytes() == before
    (folder / "checkpoint").unlink()  # a crashed first export: every tile there is compared before it is kept
    with pytest.raises(ConflictError) as e2:
        export_tiles(log, folder)
    assert e2.value.code == "tiles.fork"


def test_attack_another_history_is_not_exported_over_a_directory(
    exported: tuple[Log, Path, TilesExporter], tmp_path: Path, empty_sqlite_store: Path
) -> None:
    log, folder, _ = exported
    (tmp_path / "other").mkdir()
    other_db = tmp_path / "other" / "ledger.db"
    other_db.write_bytes(empty_sqlite_store.read_bytes())
    other = _log(f"sqlite:///{other_db}", log.log_key)  # the same log key and origin, another history
    try:
        _grow(other, (2, 400))
        with pytest.raises(ConflictError) as e:
            export_tiles(other, folder)
        assert e.value.code == "tiles.fork" and "another history" in e.value.message
        renamed = Log(other.store, log.log_key, "another.test/log", Policy(frozenset({GD})), lambda: NOW)
        with pytest.raises(ConflictError) as e2:
            export_tiles(renamed, folder)
        assert e2.value.code == "tiles.other_log"
    finally:
        other.store.close()


def test_the_tiles_export_command(tmp_path: Path, copy_demo_home: Callable[[Path], Path]) -> None:
    home = copy_demo_home(tmp_path / "home")
    out = tmp_path / "tiles"
    first = Cli(home).json("tiles", "export", "--out", str(out))
    assert first["written"][-1] == "checkpoint" and first["tree_size"] > 0
    assert "tile/0/000.p/" + str(first["tree_size"]) in first["written"]
    again = json.loads(Cli(home).run("tiles", "export", "--out", str(out), "--json").stdout)
    assert again["written"] == ["checkpoint"]
    human = Cli(home).run("tiles", "export", "--out", str(out)).stdout
    assert f"tree size {first['tree_size']}" in human
    source = TilesSource(out)
    assert len(source.entries(0, first["tree_size"])) == first["tree_size"]
