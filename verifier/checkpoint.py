"""C2SP tlog-checkpoint bodies: format and parse strictly. Pure: no I/O, no clock.

Spec (facts, in our own words): https://c2sp.org/tlog-checkpoint. A checkpoint body is the text of a
signed note: the origin line, the tree size in decimal, the base64 RFC 9162 root hash, then optional
extension lines, each ending in a newline. Errors are :class:`~mapping.errors.NoteError` with code
``checkpoint.malformed``. The public API is :mod:`verifier.note`, which re-exports these names.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mapping.errors import NoteError

from .note_syntax import check_chars, decode_base64

__all__ = ["MAX_TREE_SIZE", "ROOT_HASH_BYTES", "Checkpoint", "format_checkpoint", "parse_checkpoint"]

# tlog-checkpoint: a tree size is "the ASCII decimal representation of the number of leaves in
# the tree, with no leading zeroes"; Go implementations read it as a uint64.
MAX_TREE_SIZE = 2**64 - 1
ROOT_HASH_BYTES = 32

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, RFC 9162 root hash, optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        return format_checkpoint(self.origin, self.size, self.root_hash, self.extensions)


def format_checkpoint(origin: str, size: int, root_hash: bytes, extensions: Sequence[str] = ()) -> str:
    """Requires a non-empty one-line origin, 0 <= size < 2**64, a 32-byte root. The checkpoint body text."""
    if not origin or "\n" in origin:
        raise NoteError(f"checkpoint origin {origin!r} must be one non-empty line", code="checkpoint.malformed")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_TREE_SIZE:
        raise NoteError(f"checkpoint size {size!r} must be an integer in [0, 2**64)", code="checkpoint.malformed")
    if len(root_hash) != ROOT_HASH_BYTES:
        raise NoteError(
            f"checkpoint root hash must be {ROOT_HASH_BYTES} bytes, got {len(root_hash)}", code="checkpoint.malformed"
        )
    for i, line in enumerate(extensions):
        if not line or "\n" in line:
            raise NoteError(
                f"checkpoint extension line {i} ({line!r}) must be one non-empty line", code="checkpoint.malformed"
            )
    body = "\n".join([origin, str(size), base64.b64encode(root_hash).decode(), *extensions]) + "\n"
    check_chars(body, "checkpoint", "checkpoint.malformed")
    return body


def parse_checkpoint(body: str) -> Checkpoint:
    """Requires nothing. Parses a checkpoint body strictly (the inverse of :func:`format_checkpoint`)."""
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("checkpoint body must be text ending in a newline", code="checkpoint.malformed")
    check_chars(body, "checkpoint", "checkpoint.malformed")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(
            f"checkpoint has {len(lines)} lines, at least 3 required (origin, size, root hash)",
            code="checkpoint.malformed",
        )
    origin, size_line, root_line, *extensions = lines
    if not origin:
        raise NoteError("checkpoint origin line is empty", code="checkpoint.malformed")
    if not _DECIMAL.fullmatch(size_line) or int(size_line) > MAX_TREE_SIZE:
        raise NoteError(
            f"checkpoint size line {size_line!r} is not a decimal in [0, 2**64) without leading zeros",
            code="checkpoint.malformed",
        )
    root_hash = decode_base64(root_line, "checkpoint root hash", "checkpoint.malformed")
    if len(root_hash) != ROOT_HASH_BYTES:
        raise NoteError(
            f"checkpoint root hash is {len(root_hash)} bytes, expected {ROOT_HASH_BYTES}", code="checkpoint.malformed"
        )
    for i, line in enumerate(extensions):
        if not line:
            raise NoteError(f"checkpoint extension line {i} is empty", code="checkpoint.malformed")
    return Checkpoint(origin, int(size_line), root_hash, tuple(extensions))
