"""C2SP tlog-tiles: which tiles a tree has, where they live and what they hold. Pure: no I/O.

Spec (facts, in our own words): https://c2sp.org/tlog-tiles. A tiled log publishes its checkpoint at
``checkpoint``, its Merkle tree as *hash tiles* ``tile/<L>/<N>[.p/<W>]`` and its entries as *entry bundles*
``tile/entries/<N>[.p/<W>]``:

- A tile is 8 levels of the tree: 256 consecutive hashes of one level of the tree, 32 bytes each (8,192 bytes
  when full). At tile level 0 they are leaf hashes; at tile level ``L`` the ``i``-th hash of tile ``N`` is the
  RFC 9162 subtree hash of leaves ``[(N*256 + i) * 256**L, (N*256 + i + 1) * 256**L)`` — a perfect subtree of
  the tree at Merkle level ``8L``, exactly the node ``(8L, N*256 + i)`` the store keeps.
- For a tree of ``s`` leaves, level ``L`` has ``floor(s / 256**(L+1))`` full tiles and, when
  ``floor(s / 256**L) mod 256`` is not 0, one partial tile of that width (1 to 255). Empty tiles do not exist.
  A partial tile is never hashed into the level above. A tree of 256 leaves is a full level-0 tile and a
  level-1 partial tile of width 1.
- ``<N>`` is written in zero-padded groups of three digits, every group but the last prefixed ``x``
  (1234067 is ``x001/x234/067``); ``<L>`` and ``<W>`` are plain decimals without leading zeros.
- An entry bundle holds the entries of the level-0 tile with the same ``N`` and width, each as a big-endian
  uint16 length followed by that many bytes (so an entry is at most 65,535 bytes: the log's limit).
- Full tiles and bundles are immutable; partial ones are immutable per width; the checkpoint is mutable.

Errors: :class:`~mapping.errors.InputError` ``tiles.bad_tile`` (a tile of the wrong length),
``tiles.bad_bundle`` (a bundle that does not split into its entries), ``tiles.entry_too_large``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mapping.errors import InputError, NoteError
from verifier.checkpoint import Checkpoint
from verifier.merkle import HASH_BYTES, node_hash
from verifier.note import parse_checkpoint, split_note

__all__ = [
    "CHECKPOINT_PATH",
    "ENTRIES_LEVEL",
    "MAX_ENTRY_BYTES",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileRef",
    "bundle_bytes",
    "checkpoint_body",
    "encode_index",
    "entry_bundles",
    "fold_perfect",
    "hash_tiles",
    "level_width",
    "node_position",
    "parse_bundle",
    "parse_tile",
    "tile_bytes",
    "tile_nodes",
    "tile_width",
]

TILE_HEIGHT = 8  # tlog-tiles: "a tile represents the entire subtree of height 8"
TILE_WIDTH = 1 << TILE_HEIGHT  # full tiles are exactly 256 hashes wide
MAX_ENTRY_BYTES = 0xFFFF  # an entry's length in a bundle is a big-endian uint16
CHECKPOINT_PATH = "checkpoint"
ENTRIES_LEVEL = -1  # the level a TileRef of an entry bundle carries (its paths are tile/entries/...)
_MAX_LEVEL = 63  # tlog-tiles: <L> is between 0 and 63


@dataclass(frozen=True, slots=True, order=True)
class TileRef:
    """One tile (``level`` >= 0) or entry bundle (``level`` == :data:`ENTRIES_LEVEL`): its index ``N`` in the
    level and its width (256 for a full one)."""

    level: int
    index: int
    width: int

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def path(self) -> str:
        """Requires a valid ref. The resource path below the log's prefix, e.g. ``tile/1/x001/234.p/17``."""
        head = "tile/entries" if self.level == ENTRIES_LEVEL else f"tile/{self.level}"
        tail = "" if self.full else f".p/{self.width}"
        return f"{head}/{encode_index(self.index)}{tail}"

    @property
    def full_path(self) -> str:
        """The path of the full tile with this level and index (what a partial one becomes)."""
        return TileRef(self.level, self.index, TILE_WIDTH).path


def encode_index(n: int) -> str:
    """Requires n >= 0. ``<N>`` as tlog-tiles writes it: three-digit groups, all but the last with an ``x``."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"a tile index is a non-negative integer, got {n!r}")
    digits = str(n)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def level_width(size: int, level: int) -> int:
    """Requires size >= 0, level >= 0. How many hashes tile level ``level`` has in a tree of ``size`` leaves:
    one per perfect subtree of 256**level leaves, floor(size / 256**level)."""
    return size >> (TILE_HEIGHT * level)


def tile_width(size: int, level: int, index: int) -> int:
    """Requires size >= 0, level >= 0 (or :data:`ENTRIES_LEVEL`), index >= 0. The width tile ``index`` of
    ``level`` has in a tree of ``size`` leaves: 256 when full, 1-255 when partial, 0 when it does not exist."""
    hashes = level_width(size, max(level, 0))
    return max(0, min(TILE_WIDTH, hashes - index * TILE_WIDTH))


def hash_tiles(size: int) -> list[TileRef]:
    """Requires size >= 0. Every hash tile of a tree of ``size`` leaves, level by level, full ones then the
    partial one (tlog-tiles: 70,000 leaves are 273 full and one 112-wide level-0 tiles, one full and one
    17-wide level-1 tile, one 1-wide level-2 tile)."""
    out: list[TileRef] = []
    level = 0
    while level <= _MAX_LEVEL and (hashes := level_width(size, level)):
        out.extend(TileRef(level, n, TILE_WIDTH) for n in range(hashes // TILE_WIDTH))
        if hashes % TILE_WIDTH:
            out.append(TileRef(level, hashes // TILE_WIDTH, hashes % TILE_WIDTH))
        level += 1
    return out


def entry_bundles(size: int) -> list[TileRef]:
    """Requires size >= 0. The entry bundles of a tree of ``size`` leaves (those of its level-0 tiles)."""
    return [TileRef(ENTRIES_LEVEL, t.index, t.width) for t in hash_tiles(size) if t.level == 0]


def tile_nodes(ref: TileRef) -> list[tuple[int, int]]:
    """Requires a hash tile (level >= 0). The perfect subtrees ``(Merkle level, index)`` whose hashes the tile
    holds, in order: ``(8L, N*256 + i)`` for i below its width."""
    first = ref.index * TILE_WIDTH
    return [(ref.level * TILE_HEIGHT, first + i) for i in range(ref.width)]


def node_position(level: int, index: int) -> tuple[int, int, int, int]:
    """Requires level >= 0, index >= 0. Where the perfect subtree ``(level, index)`` (leaves
    ``[index * 2**level, (index + 1) * 2**level)``) is found in the tiles: ``(tile level, tile index, offset,
    count)`` — the ``count`` hashes from ``offset`` in that tile, folded by :func:`fold_perfect`, are its hash.
    The subtree's hashes at tile level ``level // 8`` are ``2**(level % 8)`` aligned neighbours, always in one
    tile."""
    tile_level, rest = divmod(level, TILE_HEIGHT)
    first = index << rest
    return tile_level, first // TILE_WIDTH, first % TILE_WIDTH, 1 << rest


def fold_perfect(hashes: Sequence[bytes]) -> bytes:
    """Requires a power-of-two number of 32-byte hashes. The RFC 9162 hash of the perfect tree over them:
    neighbours hashed pairwise, ``HASH(0x01 || left || right)``, level by level up to one."""
    level = list(hashes)
    if not level or len(level) & (len(level) - 1):
        raise ValueError(f"a perfect subtree has a power-of-two number of hashes, not {len(level)}")
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def tile_bytes(hashes: Sequence[bytes]) -> bytes:
    """Requires 1 to 256 hashes of 32 bytes. The tile: the hashes concatenated."""
    if not 1 <= len(hashes) <= TILE_WIDTH or any(len(h) != HASH_BYTES for h in hashes):
        raise ValueError("a tile is 1 to 256 hashes of 32 bytes")
    return b"".join(hashes)


def parse_tile(data: bytes, width: int, where: str = "tile") -> list[bytes]:
    """Requires 1 <= width <= 256. The ``width`` hashes of a tile; ``tiles.bad_tile`` unless it is exactly
    ``32 * width`` bytes."""
    if len(data) != HASH_BYTES * width:
        raise InputError(
            f"{where} is {len(data)} bytes; a tile of width {width} is exactly {HASH_BYTES * width}",
            code="tiles.bad_tile",
        )
    return [bytes(data[i : i + HASH_BYTES]) for i in range(0, len(data), HASH_BYTES)]


def bundle_bytes(entries: Sequence[bytes]) -> bytes:
    """Requires 1 to 256 entries. The entry bundle: each entry's big-endian uint16 length, then the entry;
    ``tiles.entry_too_large`` for an entry over 65,535 bytes."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise ValueError("an entry bundle holds 1 to 256 entries")
    parts = []
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_BYTES:
            raise InputError(
                f"entry {i} of the bundle is {len(entry)} bytes; a bundle's length prefix allows {MAX_ENTRY_BYTES}",
                code="tiles.entry_too_large",
            )
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def parse_bundle(data: bytes, width: int, where: str = "entry bundle") -> list[bytes]:
    """Requires 1 <= width <= 256. The ``width`` entries of a bundle; ``tiles.bad_bundle`` when a length runs
    past the end, the bundle holds another number of entries, or bytes are left over."""
    out: list[bytes] = []
    at = 0
    while at < len(data):
        if len(data) - at < 2:
            raise InputError(f"{where} ends inside the length of entry {len(out)}", code="tiles.bad_bundle")
        n = int.from_bytes(data[at : at + 2], "big")
        if len(data) - at - 2 < n:
            raise InputError(
                f"{where}: entry {len(out)} claims {n} bytes but {len(data) - at - 2} are left", code="tiles.bad_bundle"
            )
        if len(out) == width:
            raise InputError(
                f"{where} holds more than its width of {width} entries ({len(data) - at} bytes left over)",
                code="tiles.bad_bundle",
            )
        out.append(bytes(data[at + 2 : at + 2 + n]))
        at += 2 + n
    if len(out) != width:
        raise InputError(f"{where} holds {len(out)} entries; its width is {width}", code="tiles.bad_bundle")
    return out


def checkpoint_body(note: str, where: str) -> Checkpoint:
    """Requires nothing. The checkpoint body of a signed note, parsed, not verified (a reader verifies it against
    the keys it trusts); ``checkpoint.malformed`` or ``note.malformed`` naming ``where`` when it is none."""
    try:
        text, _ = split_note(note)
        return parse_checkpoint(text)
    except NoteError as e:
        raise NoteError(f"{where}: {e.message}", code=e.code) from e
