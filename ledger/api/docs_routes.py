"""The interactive API documentation, served from package data: readable offline, no CDN.

``/docs`` is Swagger UI 5 (it reads OpenAPI 3.1, which FastAPI writes), vendored from the npm package
``swagger-ui-dist`` 5.35.0 into ``ledger/web/static/swagger-ui/`` with its Apache-2.0 LICENSE and NOTICE, served
under ``/docs-assets``; ``/redoc`` leads there too (no offline ReDoc build is packaged); ``/openapi.json`` is
FastAPI's own. The favicon is the pages' own.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["register_docs"]

ASSETS = "/docs-assets"


SWAGGER_UI_DIR = Path(__file__).resolve().parent.parent / "web" / "static" / "swagger-ui"


def register_docs(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> RedirectResponse:
        return RedirectResponse("/docs", status_code=307)
