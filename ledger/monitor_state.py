"""What a monitor keeps across runs, in its ``--state`` directory, so that it resumes without refetching the log.

- ``entries.bin``: append-only, the envelopes the monitor fetched, in log order, each record
  ``u32 big-endian length || 32-byte RFC 9162 leaf hash || envelope``, fsynced after each batch;
- ``checkpoint.note``: the kept checkpoint, the newest one whose every entry the monitor replayed through the
  rule book and whose tree root and status root it rebuilt; replaced atomically (write, fsync, rename, fsync
  the directory) only *after* the entries below its size are durable;
- ``seen.json``: log-signed checkpoints seen (from the log or a witness) that the kept one does not settle yet
  (larger than it, or inconsistent with it, or committing to another status root: evidence kept for good), and a
  copy of the kept checkpoint — so that a state which lost ``checkpoint.note`` (bit rot, a careless hand; the
  monitor cannot tell that from a first run cut short, so it starts again from size 0) still holds the checkpoint
  it kept, as evidence the log is checked against;
- ``split_views.json``: the split views found on the log's own checkpoint (a larger one whose consistency proof
  failed and whose entries do not extend the kept tree), each as the finding reported (both signed notes and the
  proof): the log need not help prove it again, so it is reported on every later run, kept for good;
- ``lock``: held (``flock``) while a monitor uses the directory: two monitors on one state would interleave.

The meaning of the files survives ``kill -9`` at any point: only the first ``kept size`` records of
``entries.bin`` count (records after them were fetched by a run that did not finish and are dropped when the
state is opened), and a record torn by a crash is at the end, past the kept size. A record whose leaf hash does
not match its bytes below the kept size, a ``checkpoint.note`` that is not UTF-8, or a JSON file of the wrong shape
is ``monitor.state_corrupt``: the monitor never resumes from a state it cannot trust.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapping.errors import ConfigError
from verifier.merkle import leaf_hash

__all__ = ["MonitorFiles", "StoredState"]

_HEADER = 4 + 32


@dataclass
class StoredState:
    """What :meth:`MonitorFiles.load` read: the kept checkpoint note (None before the first run), the envelopes
    below its size with their leaf hashes, the unsettled checkpoint notes (without the kept one's copy), and the
    split views kept for good (each a finding's dict)."""

    kept_note: str | None
    envelopes: list[bytes]
    leaf_hashes: list[bytes]
    seen: list[str]
    split_views: list[dict[str, Any]]


class MonitorFiles:
    """The state directory ``path`` (created if missing), locked for this process until :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._lock = open(path / "lock", "a+b")  # held until close()
        except OSError as e:
            raise ConfigError(
                f"cannot use the monitor state {path}: {e.strerror}", code="monitor.state_unusable"
            ) from e
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            self._lock.close()
            raise ConfigError(
                f"another monitor is using the state {path} (its lock file is held)", code="monitor.state_locked"
            ) from e
        self._entries = path / "entries.bin"
        self._offsets: list[int] = [0]  # byte offset of each record's end; [0] the start

    def close(self) -> None:
        self._lock.close()

    # ---- reading ----------------------------------------------------------------------------------------
    def load(self) -> StoredState:
        """Requires nothing. The state as the last finished run left it (see the module's docstring)."""
        note_path = self.path / "checkpoint.note"
        kept = None
        if note_path.exists():
            try:
                kept = note_path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as e:
                raise ConfigError(
                    f"{note_path} is not UTF-8 text ({e.reason} at byte {e.start}): a damaged state",
                    code="monitor.state_corrupt",
                ) from e
        data = self._entries.read_bytes() if self._entries.exists() else b""
        envelopes, hashes, offsets = [], [], [0]
        pos = 0
        while pos + _HEADER <= len(data):
            n = int.from_bytes(data[pos : pos + 4], "big")
            end = pos + _HEADER + n
            if end > len(data):
                break  # torn by a crash: past anything kept
            h, env = data[pos + 4 : pos + _HEADER], data[pos + _HEADER : end]
            if leaf_hash(env) != h:
                break  # a record whose bytes do not match: only acceptable past the kept size (checked below)
            envelopes.append(env)
            hashes.append(h)
            offsets.append(end)
            pos = end
        seen = self._read_json("seen.json", _is_notes)
        split_views = self._read_json("split_views.json", lambda v: type(v) is list and all(map(_is_split_view, v)))
        self._offsets = offsets
        return StoredState(kept, envelopes, hashes, [n for n in seen if n != kept], split_views)

    def _read_json(self, name: str, valid: Callable[[Any], bool]) -> Any:
        """The JSON list in ``name`` ([] when the file does not exist), if ``valid(value)``; else state_corrupt."""
        path = self.path / name
        try:
            value = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
            if not valid(value):
                raise ValueError("not of the shape the monitor writes")
        except ValueError as e:
            raise ConfigError(f"{path} is unreadable: {e}", code="monitor.state_corrupt") from e
        return value

    def truncate(self, count: int) -> None:
        """Requires ``count`` <= the records :meth:`load` read. Drop every record after the first ``count``."""
        if count >= len(self._offsets):
            raise ConfigError(
                f"the monitor state {self.path} holds {len(self._offsets) - 1} intact entries, fewer than the "
                f"{count} its kept checkpoint covers",
                code="monitor.state_corrupt",
            )
        del self._offsets[count + 1 :]
        if self._entries.exists():
            with open(self._entries, "r+b") as f:
                f.truncate(self._offsets[-1])
                f.flush()
                os.fsync(f.fileno())

    # ---- writing ----------------------------------------------------------------------------------------
    def append(self, envelopes: list[bytes], leaf_hashes: list[bytes]) -> None:
        """Requires one leaf hash per envelope. Append the records and fsync them."""
        if not envelopes:
            return
        buf = bytearray()
        ends = []
        for env, h in zip(envelopes, leaf_hashes, strict=True):
            buf += len(env).to_bytes(4, "big") + h + env
            ends.append(self._offsets[-1] + len(buf))
        with open(self._entries, "ab") as f:
            f.write(buf)
            f.flush()
            os.fsync(f.fileno())
        self._offsets.extend(ends)

    def keep(self, note: str) -> None:
        """Requires the entries below the note's size to be appended. Make ``note`` the kept checkpoint."""
        self._replace("checkpoint.note", note.encode("utf-8"))

    def set_seen(self, notes: list[str], kept: str | None) -> None:
        """Keep the unsettled ``notes``, and a copy of the ``kept`` checkpoint (see the module's docstring)."""
        kept_copy = [kept] if kept is not None and kept not in notes else []
        self._replace("seen.json", json.dumps(notes + kept_copy, indent=0).encode("utf-8"))

    def set_split_views(self, findings: list[dict[str, Any]]) -> None:
        """Requires each to be a split view finding's dict. Keep them for good."""
        self._replace("split_views.json", json.dumps(findings, indent=0).encode("utf-8"))

    def _replace(self, name: str, data: bytes) -> None:
        tmp = self.path / f".{name}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / name)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _is_notes(value: Any) -> bool:
    return type(value) is list and all(type(n) is str for n in value)


def _is_split_view(value: Any) -> bool:
    """A split view finding's dict as :meth:`MonitorFiles.set_split_views` writes it."""
    return (
        type(value) is dict
        and value.get("type") == "split_view"
        and all(type(value.get(k)) is str for k in ("rule", "message", "source"))
        and _is_notes(value.get("notes"))
        and len(value["notes"]) == 2
        and _is_notes(value.get("consistency_proof", []))
    )
