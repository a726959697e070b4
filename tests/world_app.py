"""The fixtures of a test module that serves one shared, read-only world in process: ``app`` (the service over
the module's ``shared_world`` log), ``world`` (that world, read-only for the test) and ``client`` (httpx through
the ASGI transport). A module defines ``shared_world`` and imports these three."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ledger.api import create_app

from .helpers import read_only

__all__ = ["anyio_backend", "app", "client", "world"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def app(shared_world: Any) -> Iterator[FastAPI]:
    app = create_app(shared_world.log)
    yield app
    app.state.deps.sequencer.close()


@pytest.fixture
def world(shared_world: Any) -> Iterator[Any]:
    with read_only(shared_world.log):
        yield shared_world


@pytest.fixture
async def client(app: FastAPI, world: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c
