"""`carbonledger serve`: the log's HTTP API and web pages on one uvicorn server."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
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
        """Serve the API (/v1) and the web pages (/, /labels/ID, /verify, ...) of the log in a home.

        SIGTERM or SIGINT (Ctrl-C) stops it gracefully: uvicorn finishes the requests in flight, then the
        check worker processes are shut down before the command exits (status 128 + the signal's number)."""
        import uvicorn

        from ledger.api import create_app

        with _stopping_on_signals() as stopped:
            try:
                log = open_log(load_settings(_home(home)))
                console.print(f"serving log [bold]{log.origin}[/] (tree size {log.size}) on http://{host}:{port}/")
                app = create_app(log)
                precheck.start_workers()  # the first large batch should not wait for worker processes to start
                settle_startup_heap()
                uvicorn.run(app, host=host, port=port, log_level="info")
            finally:
                precheck.shutdown_workers()
        if stopped:
            raise typer.Exit(128 + stopped[0])


class _Stop(BaseException):
    """A stop signal, raised in the main thread (a BaseException, like KeyboardInterrupt: nothing may swallow it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _stopping_on_signals() -> Iterator[list[int]]:
    """While serving, SIGTERM and SIGINT stop the command; yields the list that receives the signal's number.

    uvicorn installs its own handlers while it runs (a graceful shutdown) and, once done, restores these and
    raises the signal again; outside uvicorn (start-up) the signal stops the command at once. Either way
    the :class:`_Stop` raised here unwinds through the caller's ``finally`` — which stops the check workers —
    instead of the default SIGTERM action, which would end the process on the spot and orphan them."""

    stopped: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        if not stopped:  # a second signal while the workers shut down changes nothing
            stopped.append(signum)
            raise _Stop(signum)

    if threading.current_thread() is not threading.main_thread():  # signals reach only the main thread
        yield stopped
        return
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stopped
    except _Stop:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _home(home: Path | None) -> Path:
    """The --home given here, else the one given to the root command, else the default."""
    if home is not None:
        return resolve_home(home)
    try:
        from .main import ctx

        return ctx().home
    except (ImportError, KeyError):
        return resolve_home(None)
