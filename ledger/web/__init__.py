"""The web pages (issue 7): server-rendered HTML over the same read layer as the API, in English, Simplified
and Traditional Chinese (:mod:`ledger.web.i18n`).

:func:`register_pages` adds the page routes and the ``/static`` files to an app built by
:func:`ledger.api.create_app` (the composition root, which hands them the read layer); nothing is created
at import.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ..reads import Reads
from .datasets import build_dataset_router
from .label_pages import label_router
from .pages import build_router
from .render import Pages
from .verify_page import verify_router

STATIC_DIR = Path(__file__).parent / "static"

__all__ = ["register_pages"]


def register_pages(app: FastAPI, reads: Reads) -> None:
    """Serve the HTML pages of ``reads``' log on ``app`` and their stylesheet under ``/static``."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:  # browsers ask for it at the root; an SVG icon serves them all
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    pages = Pages(reads)
    app.state.pages = pages  # ledger/api/errors.py answers a browser's 404 with the pages' own HTML 404
    app.include_router(build_router(reads, pages))
    app.include_router(label_router(reads, pages))
    app.include_router(verify_router(reads, pages))
    app.include_router(build_dataset_router(reads, pages))
