"""Running the log's service (API and web pages) on uvicorn, the one way every command that serves does it.

Start-up: the app over the log, then the check worker processes (the first large batch should not wait for
them to start), then the start-up heap is settled (:mod:`ledger.startup_heap`); then uvicorn serves until
stopped. SIGTERM or SIGINT stops it gracefully: uvicorn finishes the requests in flight, then the check worker
processes are shut down before the command exits. Used by ``serve`` and ``demo --serve``.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from ledger import precheck
from ledger.log import Log
from ledger.startup_heap import settle_startup_heap
from mapping.errors import MissingExtraError

__all__ = ["serve_log"]


def serve_log(
    open_served_log: Callable[[], Log],
    host: str,
    port: int,
    *,
    log_level: str = "info",
    announce: Callable[[Log], None] | None = None,
    tls: tuple[str, str] | None = None,
) -> int | None:
    """Serve the log ``open_served_log()`` opens on ``host:port`` until stopped (HTTPS when ``tls`` gives a
    certificate file and its key file); the number of the signal that stopped it, or None when uvicorn ended
    by itself."""
    try:
        import uvicorn

        from ledger.api import create_app
        from ledger.api.wire import EnvelopeH11Protocol
    except ImportError as e:
        raise MissingExtraError("server", "serving the log over HTTP", e) from e

    with _stopping_on_signals() as stopped:
        try:
            log = open_served_log()
            if announce is not None:
                announce(log)
            app = create_app(log)
            precheck.start_workers()
            settle_startup_heap()
            certs = {} if tls is None else {"ssl_certfile": tls[0], "ssl_keyfile": tls[1]}
            # the h11 protocol whose answer to an unparsable or over-long request is the envelope (ledger/api/wire.py)
            uvicorn.run(app, host=host, port=port, log_level=log_level, http=EnvelopeH11Protocol, **certs)
        finally:
            precheck.shutdown_workers()
    return stopped[0] if stopped else None


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
