"""What a command runs against: the home given to the root command, and the log it holds, opened on first use.

The root command (:mod:`cli.app`) puts a :class:`CliContext` on the Click context (``ctx.obj``) and closes it
when the command line is done; a command takes ``ctx: typer.Context`` and calls :func:`cli_context`. Nothing
here is module-global: each run of the command line — a process, or one :func:`cli.main.main` call in a test —
has its own. What a caller injects (the HTTP client a test binds to an in-process service) arrives as a
:class:`Injected` in ``obj`` and is carried over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import typer

from ledger.home import Settings, load_settings, open_log
from ledger.log import Log
from mapping.errors import CarbonLedgerError, UsageError

from .remote import LogService, OnlineSource

__all__ = ["CliContext", "Injected", "cli_context"]


@dataclass(frozen=True)
class Injected:
    """What the caller of the command line provides besides its arguments."""

    http_client: httpx.Client | None = None  # the client of online mode (default: plain httpx)


class CliContext:
    """One command line's home and, once asked for, its log."""

    def __init__(self, home: Path, injected: Injected | None = None) -> None:
        self.home = home
        self.injected = injected or Injected()
        self._log: Log | None = None

    def log_service(self, url: str) -> LogService:
        """The log service at ``url`` (online mode)."""
        return LogService(url, self.injected.http_client)

    def online_source(self, server: str | None, tiles: str | None, trust: bytes | None = None) -> OnlineSource | None:
        """What online mode reads: the log service at ``server``, or the static tiles at ``tiles`` (a directory or
        URL prefix; with the buyer's ``trust`` file, their checkpoint is authenticated before any entry is read);
        None when neither is given. Both at once is a usage error."""
        if server is not None and tiles is not None:
            raise UsageError("give --server URL or --tiles URL_OR_DIR, not both", code="usage", field="--tiles")
        if tiles is not None:
            from ledger.tiles_refresh import TilesRefresh
            from ledger.tiles_source import TilesSource

            return TilesRefresh(TilesSource(tiles, self.injected.http_client), trust)
        return None if server is None else self.log_service(server)

    def settings(self) -> Settings:
        return load_settings(self.home)

    def log(self) -> Log:
        """The home's log (``config.*`` errors when the home holds none)."""
        if self._log is None:
            self._log = open_log(self.settings())
        return self._log

    def log_if_any(self) -> Log | None:
        """The home's log, or None when it cannot be opened (signing to a file needs none)."""
        try:
            return self.log()
        except CarbonLedgerError:
            return None

    def close(self) -> None:
        """Close the store of the log, if one was opened."""
        if self._log is not None:
            self._log.store.close()
            self._log = None


def cli_context(ctx: typer.Context) -> CliContext:
    """The :class:`CliContext` the root command made for this command line."""
    found = ctx.find_object(CliContext)
    if found is None:  # pragma: no cover - the root callback always makes one
        raise RuntimeError("no CliContext: run the command through cli.app.app")
    return found
