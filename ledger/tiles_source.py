"""A :class:`~ledger.log_source.LogSource` over a log's static C2SP tlog-tiles (a directory, or an http(s) URL).

A tiles client computes every proof itself from hash tiles (``ledger/tiles.py``): each hash of an RFC 9162 proof
is the subtree hash of a leaf range, which :mod:`ledger.proof_plan` splits into perfect subtrees; a perfect
subtree of Merkle level ``l`` is ``2**(l mod 8)`` neighbouring hashes of tile level ``l // 8``, folded. Which
tiles exist, and which are partial, follows from the tree size of the checkpoint last fetched
(:meth:`TilesSource.checkpoint`, fetched again when a request reaches past it).

It trusts nothing (callers verify proofs against signed checkpoints) but refuses what is malformed: a tile of
the wrong length (``tiles.bad_tile``), a bundle that does not split into its entries (``tiles.bad_bundle``), a
checkpoint that does not parse (``checkpoint.malformed``). Other errors: ``tiles.not_found`` (a file the tree
needs is missing: :class:`~mapping.errors.NotFoundError`), ``tiles.no_such_size`` (a size beyond the newest
checkpoint), ``tiles.unreachable`` (503: retry), ``tiles.error`` (the server answered another status),
``input.oversized``.

A partial tile the log has since completed may be gone (tlog-tiles lets a log delete it): the full tile is
fetched instead and its first hashes used. Tiles are cached by path (they are immutable), up to
:data:`CACHE_TILES`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import httpx

from mapping.errors import InputError, NotFoundError, OversizedError, ProofError, UnavailableError

from . import proof_plan
from .log_source_api import get_limited
from .tiles import (
    CHECKPOINT_PATH,
    ENTRIES_LEVEL,
    MAX_ENTRY_BYTES,
    TILE_WIDTH,
    TileRef,
    checkpoint_body,
    fold_perfect,
    node_position,
    parse_bundle,
    parse_tile,
    tile_width,
)

__all__ = ["CACHE_BYTES", "CACHE_TILES", "MAX_CHECKPOINT_BYTES", "TIMEOUT_S", "TOTAL_S", "TilesSource"]

TIMEOUT_S = 15.0
TOTAL_S = 60.0  # seconds for a whole tile (the client's timeout bounds each read: a host dripping bytes would not end)
CACHE_TILES = 4096  # tiles kept, and at most CACHE_BYTES of them: 32 MiB is 4096 full hash tiles, or two entry bundles
CACHE_BYTES = 32 << 20
MAX_CHECKPOINT_BYTES = 1 << 20
_MAX_BUNDLE_BYTES = TILE_WIDTH * (2 + MAX_ENTRY_BYTES)


class TilesSource:
    """The tiled log at ``location``: a directory path, or an ``http://`` / ``https://`` URL prefix (asked over
    ``http_client`` when given; a client given is used as it is and never closed)."""

    def __init__(self, location: str | Path, http_client: httpx.Client | None = None) -> None:
        text = str(location)
        self.is_http = text.startswith(("http://", "https://"))
        self.location = text.rstrip("/") if self.is_http else Path(location)
        self.http_client = http_client
        self.size: int | None = None  # the tree size of the checkpoint last fetched
        self._cache: OrderedDict[str, list[bytes]] = OrderedDict()
        self._weights: dict[str, int] = {}  # the bytes each cached tile came from (an entry bundle: up to 16 MiB)
        self._cached_bytes = 0

    # ---- the LogSource protocol ---------------------------------------------------------------------------
    def checkpoint(self) -> str:
        """The checkpoint note as served (parsed for its tree size, not verified)."""
        data = self._fetch(CHECKPOINT_PATH, MAX_CHECKPOINT_BYTES)
        if data is None:
            raise NotFoundError(f"{self._where(CHECKPOINT_PATH)} does not exist", code="tiles.not_found")
        try:
            note = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(
                f"{self._where(CHECKPOINT_PATH)} is not UTF-8 text: {e}", code="tiles.bad_checkpoint"
            ) from e
        self.size = checkpoint_body(note, self._where(CHECKPOINT_PATH)).size
        return note

    def entries(self, start: int, end: int) -> list[bytes]:
        """Requires 0 <= start <= end <= the tree size. The entries at [start, end), from their bundles."""
        _check_range(start, end)
        self._need_size(end)
        out: list[bytes] = []
        at = start
        while at < end:
            index, offset = divmod(at, TILE_WIDTH)
            take = min(end - at, TILE_WIDTH - offset)
            out.extend(self._tile(ENTRIES_LEVEL, index, offset + take)[offset : offset + take])
            at += take
        return out

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Requires 0 <= index < size <= the tree size. RFC 9162 PATH(index, D[size]) from hash tiles."""
        self._need_size(size)
        return self._hashes(proof_plan.inclusion_plan(index, size))

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """Requires 0 <= size1 <= size2 <= the tree size. RFC 9162 PROOF(size1, D[size2]) from hash tiles."""
        self._need_size(size2)
        return self._hashes(proof_plan.consistency_plan(size1, size2))

    # ---- beyond the protocol --------------------------------------------------------------------------------
    def root(self, size: int) -> bytes:
        """Requires 0 <= size <= the tree size. The RFC 9162 root of the first ``size`` leaves, from hash tiles
        (a caller compares it with a signed checkpoint's)."""
        self._need_size(size)
        return self._hashes([(0, size)])[0]

    def node(self, level: int, index: int) -> bytes:
        """Requires the perfect subtree ``(level, index)`` inside the tree. Its hash, from one tile."""
        tile_level, tile_index, offset, count = node_position(level, index)
        hashes = self._tile(tile_level, tile_index, offset + count)
        return fold_perfect(hashes[offset : offset + count])

    # ---- inside ------------------------------------------------------------------------------------------
    def _hashes(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        memo: dict[tuple[int, int], bytes] = {}

        def get(level: int, index: int) -> bytes:
            if (level, index) not in memo:
                memo[(level, index)] = self.node(level, index)
            return memo[(level, index)]

        return [proof_plan.range_hash(b, e, get) for b, e in ranges]

    def _need_size(self, size: int) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ProofError(f"a tree size is a non-negative integer, got {size!r}", code="proof.bad_sizes")
        if self.size is None or size > self.size:
            self.checkpoint()
        assert self.size is not None  # checkpoint() sets it or raises
        if size > self.size:
            raise NotFoundError(
                f"tree size {size} is beyond the newest checkpoint of {self._where('')} (size {self.size})",
                code="tiles.no_such_size",
            )

    def _tile(self, level: int, index: int, need: int) -> list[bytes]:
        """At least the first ``need`` hashes (or entries) of tile ``index`` of ``level``, as the tree of the
        newest checkpoint has it: its full version when full, else its partial one (or, when that is gone, the
        full one); the checkpoint is fetched again once if neither exists."""
        for attempt in range(2):
            assert self.size is not None  # node()'s caller ran _need_size; checkpoint() sets it or raises
            width = tile_width(self.size, level, index)
            if width >= need:
                refs = [TileRef(level, index, width)]
                if width < TILE_WIDTH:
                    refs.append(TileRef(level, index, TILE_WIDTH))
                for ref in refs:
                    found = self._read(ref)
                    if found is not None:
                        return found
            if attempt == 0:
                self.checkpoint()
        what = "entry bundle" if level == ENTRIES_LEVEL else f"tile of level {level}"
        raise NotFoundError(
            f"{self._where('')} has no {what} {index} of width {need} or more (tree size {self.size})",
            code="tiles.not_found",
        )

    def _read(self, ref: TileRef) -> list[bytes] | None:
        path = ref.path
        cached = self._cache.get(path)
        if cached is not None:
            self._cache.move_to_end(path)
            return cached
        bundle = ref.level == ENTRIES_LEVEL
        data = self._fetch(path, _MAX_BUNDLE_BYTES if bundle else 32 * TILE_WIDTH)
        if data is None:
            return None
        parse: Callable[[bytes, int, str], list[bytes]] = parse_bundle if bundle else parse_tile
        items = parse(data, ref.width, self._where(path))
        self._cache[path], self._weights[path] = items, len(data)
        self._cached_bytes += len(data)
        while len(self._cache) > 1 and (len(self._cache) > CACHE_TILES or self._cached_bytes > CACHE_BYTES):
            dropped, _ = self._cache.popitem(last=False)
            self._cached_bytes -= self._weights.pop(dropped)
        return items

    def _where(self, path: str) -> str:
        return f"{self.location}/{path}" if self.is_http else str(Path(self.location) / path)

    def _fetch(self, path: str, limit: int) -> bytes | None:
        """The bytes at ``path`` below the location; None when it does not exist."""
        where = self._where(path)
        if not self.is_http:
            try:
                with open(where, "rb") as f:
                    data = f.read(limit + 1)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                return None
            except OSError as e:
                raise UnavailableError(f"cannot read {where}: {e}", code="tiles.unreachable") from e
        else:
            try:
                r = get_limited(self.http_client, where, limit, total_s=TOTAL_S)  # as it streams, in time
            except httpx.HTTPError as e:
                raise UnavailableError(f"cannot reach {where}: {e}", code="tiles.unreachable") from e
            if r.status_code == 404:
                return None
            if r.status_code != 200:
                raise InputError(f"{where} answered HTTP {r.status_code}: {r.text[:200]!r}", code="tiles.error")
            data = r.content
        if len(data) > limit:
            raise OversizedError(f"{where} is over {limit} bytes", code="input.oversized")
        return data


def _check_range(start: int, end: int) -> None:
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ProofError(f"{name} must be a non-negative integer, got {value!r}", code="proof.bad_sizes")
    if start > end:
        raise ProofError(f"start {start} is after end {end}", code="proof.bad_sizes")
