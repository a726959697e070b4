"""The edges of the HTTP API: hostile URLs answer the envelope, never a 5xx (issue 21, items 2, 6 and the fuzz).

The attacks: integer overflow in path and query integers, a NUL byte in any path or query (PostgreSQL refuses
to compare text holding one), ``"²".isdigit()``, a label id with ``/`` that no URL could read back, URLs past
any sane length, Starlette's own 404/405 ``{"detail": …}`` bodies, an unexpected exception's plain-text 500.
Then a hypothesis-driven fuzz of every route of ``/openapi.json``: 0 5xx, every error in the envelope.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.api import create_app
from ledger.http_inputs import MAX_URL_BYTES
from ledger.log import Log
from ledger.store import Store
from mapping.errors import CarbonLedgerError
from verifier.keys import SigningKey
from verifier.ledger_state import Policy

from .helpers import NOW, Signer, label_for, shared_log

GD = "gd-carbon-label"


class Served:
    def __init__(self, url: str) -> None:
        self.store = Store(url)
        self.log = Log(self.store, SigningKey.generate(), "edges.test/log", Policy(frozenset({GD})), lambda: NOW)
        gd, self.issuer = Signer(), Signer()
        self.log.submit(gd.register(GD))
        self.log.submit(gd.authorize(GD, self.issuer))
        self.log.submit(self.issuer.issue(label_for(GD, "GD-2025-0001")))
        self.app = create_app(self.log)
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def close(self) -> None:
        self.app.state.deps.sequencer.close()
        self.store.close()


@pytest.fixture
def served(db_url: str) -> Iterator[Served]:
    s = Served(db_url)
    yield s
    s.close()


PACT_PREFIXES = ("/3/", "/auth/")  # the PACT API answers errors in the PACT spec's own shape: {"code", "message"}


def assert_envelope(response: Any) -> None:
    assert response.status_code < 500 or response.status_code == 503, (response.status_code, response.text[:300])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if response.url.path.startswith(PACT_PREFIXES) and set(body) == {"code", "message"}:
            return
        assert set(body) == {"error"}, body
        assert re.fullmatch(r"[a-z_]+(\.[a-z0-9_]+)+", body["error"]["code"]), body
        assert isinstance(body["error"]["message"], str)


HOSTILE_URLS = [
    ("/v1/entries/9223372036854775808", 422, "request.invalid"),
    ("/v1/entries/-1", 422, "request.invalid"),
    ("/v1/entries/%C2%B2", 422, "request.invalid"),
    ("/v1/entries/%00", 400, "input.nul_character"),
    ("/v1/entries?start=99999999999999999999999", 422, "request.invalid"),
    ("/v1/proofs/inclusion?index=0&size=%C2%B2", 422, "request.invalid"),
    ("/v1/proofs/consistency?first=%00&second=1", 400, "input.nul_character"),
    ("/v1/checkpoint?x=%00", 400, "input.nul_character"),
    ("/v1/labels/a%00b/bundle", 400, "input.nul_character"),
    ("/v1/labels?q=%00", 400, "input.nul_character"),
    ("/v1/datasets/%00", 400, "input.nul_character"),
    ("/v1/status/label/a%00b", 400, "input.nul_character"),
    ("/labels/a%00b", 400, "input.nul_character"),
    ("/datasets/a%00", 400, "input.nul_character"),
    ("/v1/no-such-route", 404, "http.not_found"),
    ("/v1/" + "a" * (MAX_URL_BYTES + 1), 414, "input.uri_too_long"),
    ("/v1/checkpoint?q=" + "a" * MAX_URL_BYTES, 414, "input.uri_too_long"),
]


@pytest.mark.parametrize(("url", "status", "code"), HOSTILE_URLS, ids=[u[:40] for u, _, _ in HOSTILE_URLS])
def test_attack_hostile_urls_answer_the_envelope(served: Served, url: str, status: int, code: str) -> None:
    r = served.client.get(url)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text[:300]
    assert_envelope(r)


def test_attack_wrong_method_is_a_405_in_the_envelope(served: Served) -> None:
    r = served.client.delete("/v1/checkpoint")
    assert r.status_code == 405 and r.json()["error"]["code"] == "http.method_not_allowed"
    assert "GET" in r.headers["allow"]


def test_attack_unexpected_exception_is_a_500_in_the_envelope(served: Served) -> None:
    def boom() -> None:
        raise RuntimeError("a bug")

    served.app.add_api_route("/v1/test-boom", boom)
    r = served.client.get("/v1/test-boom")
    assert r.status_code == 500
    assert r.json() == {
        "error": {"code": "internal.error", "message": "the server failed to answer this request; see its log"}
    }


@pytest.mark.parametrize("label_id", ["GD/2025/0001", "GD/..", "a/b/c"])
def test_attack_label_id_no_url_can_read_is_refused_at_admission(served: Served, label_id: str) -> None:
    env = served.issuer.issue(label_for(GD, label_id), advance=False)
    r = served.client.post("/v1/entries", content=env, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "entry.id_not_addressable", r.text
    with pytest.raises(CarbonLedgerError):
        served.log.submit(env)


def test_an_issued_label_id_round_trips_through_its_url(served: Served) -> None:
    r = served.client.get(f"/v1/labels/{quote('GD-2025-0001', safe='')}/bundle")
    assert r.status_code == 200, r.text[:300]


# ---- the fuzz ---------------------------------------------------------------------------------------------------
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "9223372036854775807",
            "9223372036854775808",
            "1" * 400,
            "²",
            "١٢",
            "1e3",
            "0x10",
            " 1",
            "1_000",
            "+1",
            "\x00",
            "a\x00",
            "%00",
            "/",
            "..",
            "GD/2025/0001",
            "\ud7ff",
            "label",
            "gd-carbon-label",
            "GD-2025-0001",
            "a" * 300,
        ]
    ),
    st.integers(min_value=-(1 << 70), max_value=1 << 70).map(str),
)


def _routes(app: Any) -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path template, path parameters, query parameters) of every GET route in the OpenAPI."""
    out = []
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            if method != "get":
                continue
            params = op.get("parameters", [])
            out.append(
                (
                    method,
                    path,
                    [p["name"] for p in params if p["in"] == "path"],
                    [p["name"] for p in params if p["in"] == "query"],
                )
            )
    return sorted(out)


def _quoted(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@pytest.fixture(scope="module")
def fuzz_served(module_db_url: str) -> Iterator[Served]:
    s = Served(module_db_url)
    try:
        with shared_log(s.log):
            yield s
    finally:
        s.app.state.deps.sequencer.close()


# Bounded in the suite; CARBONLEDGER_FUZZ_EXAMPLES=10000 runs the long fuzz (GET requests only: the write
# path's hostile bodies are tests/test_attack_poison_entry.py's and the rule book's).
FUZZ_EXAMPLES = int(os.environ.get("CARBONLEDGER_FUZZ_EXAMPLES", "300"))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_every_route_of_the_openapi_gives_no_5xx_and_only_the_envelope(fuzz_served: Served, data: Any) -> None:
    routes = _routes(fuzz_served.app)
    method, path, path_params, query_params = data.draw(st.sampled_from(routes))
    url = path
    for name in path_params:
        url = url.replace("{" + name + "}", _quoted(data.draw(HOSTILE_TEXT, label=name)) or "x")
    chosen = data.draw(st.lists(st.sampled_from([*query_params, "junk", "x" * 3]), max_size=4)) if query_params else []
    query = "&".join(f"{_quoted(n)}={_quoted(data.draw(HOSTILE_TEXT))}" for n in chosen)
    response = fuzz_served.client.request(method.upper(), url + ("?" + query if query else ""))
    assert_envelope(response)
    if response.status_code >= 400 and path.startswith("/v1"):
        assert response.headers["content-type"].startswith("application/json"), (url, response.text[:200])
