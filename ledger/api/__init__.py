"""The HTTP API (FastAPI), built by :func:`create_app` from a log passed in: nothing is created at import."""

from .app import ApiLimits, create_app

__all__ = ["ApiLimits", "create_app"]
