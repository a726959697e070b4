"""`carbonledger serve`: the log's HTTP API and web pages on one uvicorn server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger import precheck
from ledger.heap import settle_startup_heap
from ledger.home import load_settings, resolve_home
from ledger.runtime import open_log

from .output import console


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
        home: Annotated[
            Path | None,
            typer.Option(
                "--home", help="Data directory (default: the global --home, $CARBONLEDGER_HOME or ~/.carbonledger)."
            ),
        ] = None,
    ) -> None:
        """Serve the API (/v1) and the web pages (/, /labels/ID, /verify, ...) of the log in a home."""
        import uvicorn

        from ledger.api import create_app

        log = open_log(load_settings(_home(home)))
        console.print(f"serving log [bold]{log.origin}[/] (tree size {log.size}) on http://{host}:{port}/")
        app = create_app(log)
        precheck.start_workers()  # the first large batch should not wait for worker processes to start
        settle_startup_heap()
        uvicorn.run(app, host=host, port=port, log_level="info")


def _home(home: Path | None) -> Path:
    """The --home given here, else the one given to the root command, else the default."""
    if home is not None:
        return resolve_home(home)
    try:
        from .main import ctx

        return ctx().home
    except (ImportError, KeyError):
        return resolve_home(None)
