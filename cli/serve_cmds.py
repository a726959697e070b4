"""`carbonledger serve`: the log's HTTP API and web pages on one uvicorn server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.home import load_settings, open_log, resolve_home
from ledger.log import Log
from mapping.errors import UsageError

from .context import cli_context
from .output import console
from .serving import serve_log

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", help="Data directory (default: the global --home, $CARBONLEDGER_HOME or ~/.carbonledger)."
        ),
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate chain: serve HTTPS (with --tls-key).")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key of --tls-cert.")] = None,
) -> None:
    """Serve the API (/v1) and the web pages (/, /labels/ID, /verify, ...) of the log in a home.

    SIGTERM or SIGINT (Ctrl-C) stops it gracefully: uvicorn finishes the requests in flight, then the
    check worker processes are shut down before the command exits (status 128 + the signal's number)."""
    if (tls_cert is None) != (tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together: give both or neither", code="usage", field="--tls-key")
    scheme = "https" if tls_cert is not None else "http"
    served_home = resolve_home(home) if home is not None else cli_context(ctx).home

    def announce(log: Log) -> None:
        console().print(f"serving log [bold]{log.origin}[/] (tree size {log.size}) on {scheme}://{host}:{port}/")

    tls = None if tls_cert is None or tls_key is None else (str(tls_cert), str(tls_key))
    stopped = serve_log(lambda: open_log(load_settings(served_home)), host, port, announce=announce, tls=tls)
    if stopped is not None:
        raise typer.Exit(128 + stopped)
