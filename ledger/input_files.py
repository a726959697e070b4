"""Reading a file a person named: its bytes, or one clear error (``input.unreadable``) naming the file and why.

Every command and loader that reads a user's file goes through :func:`read_input_file`, so a missing file, a
directory or a permission problem is one line with its code, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from mapping.errors import UnreadableFileError

__all__ = ["read_input_file"]


def read_input_file(
    path: Path | str, what: str, *, error: type[UnreadableFileError] = UnreadableFileError, field: str | None = None
) -> bytes:
    """The bytes of ``path``; ``error`` (``input.unreadable``) saying ``cannot read <what> <path>: <reason>``."""
    try:
        return Path(path).read_bytes()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise error(f"cannot read {what} {path}: {reason}", code="input.unreadable", field=field) from e
