"""Publish the log's read side as static C2SP tlog-tiles files (``ledger/tiles.py``) any web server can serve.

:func:`export_tiles` writes, for the log's newest checkpoint (:meth:`ledger.log.Log.checkpoint`, with the
cosignatures it carries), every hash tile and entry bundle that tree needs, then the checkpoint. The files'
contract, for a reader fetching while an export runs:

- Every file is written to a temporary name beside it, fsync'ed, then renamed over its name (and the directory
  fsync'ed): a reader sees the old file or the new one, never part of one; a crash leaves no partial file.
- The checkpoint is written last: a reader that fetched a checkpoint finds every tile it needs.
- Full tiles and bundles are immutable. A file already there with other bytes is a fork — two histories for one
  log — and the export stops with ``tiles.fork`` (:class:`~mapping.errors.ConflictError`) before writing
  anything more; so does a directory whose checkpoint is another log's (``tiles.other_log``), newer than this
  log (``tiles.fork``), or has another root at its size than this log has (``tiles.fork``).
- Incremental: the directory's checkpoint says which tiles an earlier export completed; only tiles completed
  since are read from the store and written (each compared first when already there, e.g. after a crash).
  ``verify=True`` re-reads and compares every full tile instead (an audit of the directory).
- Partial tiles of a tile that is now full are removed (tlog-tiles allows it; a reader that still wants one
  falls back to the full tile, as :class:`ledger.tiles_source.TilesSource` does). Partial tiles of the tiles that
  are still partial are kept, so a reader holding a slightly older checkpoint still finds its widths.

Keeping a directory current: :class:`TilesExporter` is the callable the log runs after each committed (and
witnessed) batch, e.g. ``exporter = TilesExporter(out_dir)`` then ``exporter(log)``; one exporter (one process)
writes a directory.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mapping.errors import CarbonLedgerError, ConfigError, ConflictError
from verifier.checkpoint import Checkpoint

from .log import Log
from .store import node_id
from .tables import NodeRow
from .tiles import (
    CHECKPOINT_PATH,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileRef,
    bundle_bytes,
    checkpoint_body,
    entry_bundles,
    fold_perfect,
    hash_tiles,
    tile_bytes,
    tile_width,
)

__all__ = ["ExportReport", "TilesExporter", "export_tiles"]


@dataclass
class ExportReport:
    """What one export did: the tree size published, the files written, those already there with the same bytes,
    and the superseded partial tiles removed."""

    size: int
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"tree_size": self.size, "written": self.written, "unchanged": self.unchanged, "removed": self.removed}


def export_tiles(log: Log, out_dir: str | Path, *, verify: bool = False) -> ExportReport:
    """Requires a log whose store is readable and a directory it may write (created if missing). Writes the tiles
    of the log's newest checkpoint, then that checkpoint (module docstring); returns what it did."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    note = log.checkpoint()
    cp = checkpoint_body(note, "the log's checkpoint")
    size = cp.size
    published = _published_size(log, out)  # refuses another log's, or another history's, directory
    done = 0 if verify else published
    report = ExportReport(size)
    nodes: dict[tuple[int, int], bytes] = {}
    for ref in hash_tiles(size):
        if ref.full and tile_width(done, ref.level, ref.index) == TILE_WIDTH:
            continue  # completed by an earlier export: immutable
        hashes = _tile_hashes(log, ref)
        for i, h in enumerate(hashes):
            nodes[(ref.level * TILE_HEIGHT, ref.index * TILE_WIDTH + i)] = h
        _put(out, ref, tile_bytes(hashes), report)
    _check_root(log, cp, nodes)
    for ref in entry_bundles(size):
        if ref.full and tile_width(done, 0, ref.index) == TILE_WIDTH:
            continue
        start = ref.index * TILE_WIDTH
        rows = log.store.entries(start, start + ref.width)
        if [r.idx for r in rows] != list(range(start, start + ref.width)):
            raise ConfigError(f"the store lacks entries in [{start}, {start + ref.width})", code="store.corrupt")
        _put(out, ref, bundle_bytes([r.envelope for r in rows]), report)
    _write_atomic(out / CHECKPOINT_PATH, note.encode("utf-8"))
    report.written.append(CHECKPOINT_PATH)
    return report


class TilesExporter:
    """Keeps ``out_dir`` current: call it with the log after each committed batch (it exports the newest
    checkpoint; calls from several threads run one at a time). ``errors`` counts failed exports; the last one is
    kept in ``last_error`` and raised again when ``raise_errors``."""

    def __init__(self, out_dir: str | Path, *, raise_errors: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.raise_errors = raise_errors
        self.errors = 0
        self.last_error: Exception | None = None
        self.last: ExportReport | None = None
        self._lock = threading.Lock()

    def __call__(self, log: Log) -> ExportReport | None:
        with self._lock:
            try:
                self.last = export_tiles(log, self.out_dir)
            except (OSError, CarbonLedgerError) as e:
                self.errors += 1
                self.last_error = e
                if self.raise_errors:
                    raise
                return None
            return self.last


# ---- reading the store ------------------------------------------------------------------------------------
def _tile_hashes(log: Log, ref: TileRef) -> list[bytes]:
    """The hashes of tile ``ref``: the stored nodes ``(8L, N*256 + i)``, read as one range of node ids."""
    merkle_level = ref.level * TILE_HEIGHT
    first = node_id(merkle_level, ref.index * TILE_WIDTH)
    q = select(NodeRow.id, NodeRow.hash).where(NodeRow.id >= first, NodeRow.id < first + ref.width).order_by(NodeRow.id)
    with log.store.read() as conn:
        found = [(nid, bytes(h)) for nid, h in conn.execute(q)]
    if [nid for nid, _ in found] != list(range(first, first + ref.width)):
        raise ConfigError(
            f"the store lacks Merkle nodes of level {merkle_level} for tile {ref.path}", code="store.corrupt"
        )
    return [h for _, h in found]


def _check_root(log: Log, cp: Checkpoint, fresh: dict[tuple[int, int], bytes]) -> None:
    """The tiles must be the tree the checkpoint signs: its root is the store's root at its size, and each hash
    just read at a tile level above 0 folds from the 256 hashes below it when those were read too."""
    if cp.size and log.root(cp.size) != cp.root_hash:
        raise ConfigError(
            f"the newest checkpoint (size {cp.size}) has root {cp.root_hash.hex()} but the stored tree has "
            f"{log.root(cp.size).hex()}",
            code="store.corrupt",
        )
    for (level, index), h in fresh.items():
        if level == 0:
            continue
        below = [fresh.get((level - TILE_HEIGHT, index * TILE_WIDTH + i)) for i in range(TILE_WIDTH)]
        if all(b is not None for b in below) and fold_perfect(below) != h:  # type: ignore[arg-type]
            raise ConfigError(
                f"stored Merkle node ({level}, {index}) is not the hash of the 256 nodes below it",
                code="store.corrupt",
            )


def _published_size(log: Log, out: Path) -> int:
    """The tree size the directory's checkpoint publishes (0 without one), checked to be an earlier state of
    this log: same origin, not larger, same root at its size."""
    path = out / CHECKPOINT_PATH
    try:
        note = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return 0
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}", code="tiles.unreadable") from e
    old = checkpoint_body(note, str(path))
    if old.origin != log.origin:
        raise ConflictError(
            f"{path} is a checkpoint of {old.origin!r}, not of this log ({log.origin!r})", code="tiles.other_log"
        )
    size = log.store.tree_size()
    if old.size > size:
        raise ConflictError(
            f"{path} publishes tree size {old.size} but this log holds {size} entries: another history",
            code="tiles.fork",
        )
    root = log.root(old.size)
    if root != old.root_hash:
        raise ConflictError(
            f"{path} publishes root {old.root_hash.hex()} at tree size {old.size} but this log's root there is "
            f"{root.hex()}: another history",
            code="tiles.fork",
        )
    return old.size


# ---- writing files ------------------------------------------------------------------------------------------
def _put(out: Path, ref: TileRef, data: bytes, report: ExportReport) -> None:
    """Write ``data`` at ``ref``'s path unless the same bytes are there; ``tiles.fork`` for other bytes. Once a
    tile is full, its partial versions are removed."""
    path = out / ref.path
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = None
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e}", code="tiles.unreadable") from e
    if existing is not None:
        if existing != data:
            raise ConflictError(
                f"{ref.path} already holds {len(existing)} bytes that differ from this log's {len(data)}: "
                "a tile is immutable, so the directory holds another history of the log (a fork)",
                code="tiles.fork",
            )
        report.unchanged += 1
    else:
        _write_atomic(path, data)
        report.written.append(ref.path)
    if ref.full:
        partials = out / (ref.path + ".p")
        if partials.is_dir():
            shutil.rmtree(partials)
            report.removed.append(ref.path + ".p/")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, rename it over ``path``, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # a platform without directory descriptors
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
