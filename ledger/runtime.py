"""Open the log a home describes: store, log key and policy, created on demand, nothing at import."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from .home import Settings, load_log_key
from .log import Log, utc_now
from .store import Store


def open_log(settings: Settings, clock: Callable[[], datetime] = utc_now, *, precheck_workers: bool = True) -> Log:
    store = Store(settings.database_url)
    return Log(
        store, load_log_key(settings), settings.origin, settings.policy, clock, precheck_workers=precheck_workers
    )
