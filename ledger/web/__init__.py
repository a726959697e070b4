"""The web pages (issue 7): server-rendered HTML over the same log as the API, in English and Chinese.

:func:`register_pages` adds the page routes and the ``/static`` files to an app
built by :func:`ledger.api.create_app`; nothing is created at import.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..log import Log
from .pages import build_router

STATIC_DIR = Path(__file__).parent / "static"

__all__ = ["register_pages"]


def register_pages(app: FastAPI, log: Log) -> None:
    """Serve the HTML pages of ``log`` on ``app`` and its stylesheet under ``/static``."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(build_router(log))
    from .datasets import build_dataset_router

    app.include_router(build_dataset_router(log))
