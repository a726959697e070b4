"""Schemathesis over the service's own OpenAPI, in process: no 5xx, every error in the envelope (issue 21, item 7).

Every operation of ``/openapi.json`` — the reads, ``POST /v1/entries`` and ``/v1/verify`` with generated bodies,
the PACT routes — gets examples generated from its schema (valid and invalid ones), sent to the ASGI app over
a log with a scheme, an issuer and a label, on SQLite and PostgreSQL. Checked on each answer: no status >= 500
(a storage fault would be 503; none is injected here), and an error body is the envelope ``{"error": {"code",
"message"}}`` (the PACT API's own ``{"code", "message"}`` on its routes, OAuth 2's error on its token
endpoint). Bounded for the suite (``CARBONLEDGER_SCHEMATHESIS_EXAMPLES`` per operation, 5 by default); the long
campaign is
``python -m tests.fuzz_campaign`` (its docstring gives the command and what it counts).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402

from .test_api_edges import Served, assert_envelope, fuzz_served  # noqa: E402, F401  (its fixture)

EXAMPLES = int(os.environ.get("CARBONLEDGER_SCHEMATHESIS_EXAMPLES", "5"))


@pytest.fixture(scope="module")
def fuzzed(fuzz_served: Served) -> Served:  # noqa: F811  (the fixture imported above)
    return fuzz_served


@pytest.fixture(scope="module")
def api_schema(fuzzed: Served) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking in the suite: a failure prints its case
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_schemathesis_every_operation_no_5xx_and_only_the_envelope(case: Any, fuzzed: Served) -> None:
    response = case.call(app=fuzzed.app)
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:300])
    answer = _Answer(response, case.formatted_path)
    oauth = case.formatted_path == "/auth/token" and response.status_code in (400, 401)
    if oauth:
        assert_oauth_error(answer.json())  # the PACT token endpoint answers OAuth 2's own error shape
    else:
        assert_envelope(answer)


def assert_oauth_error(body: Any) -> None:
    """RFC 6749 §5.2: ``{"error": CODE, "error_description"?: TEXT}``."""
    assert isinstance(body, dict) and isinstance(body.get("error"), str), body
    assert set(body) <= {"error", "error_description", "error_uri"}, body


class _Answer:
    """What tests/test_api_edges.py's ``assert_envelope`` reads, over schemathesis' response."""

    def __init__(self, response: Any, path: str) -> None:
        self.status_code = response.status_code
        self.headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
        self.text = response.text
        self._response = response
        self.url = type("U", (), {"path": path})()

    def json(self) -> Any:
        return self._response.json()
