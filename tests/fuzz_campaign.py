"""The long fuzz campaign over the HTTP API (issue 21, "Done when": >= 10,000 fuzzed requests, 0 5xx, 0 errors
outside the envelope) — outside the suite, which runs the bounded tests/test_fuzz_schemathesis.py.

    python -m tests.fuzz_campaign --requests 10000 [--database-url URL] [--json]

Three sources of requests, in turn, against the in-process ASGI app over a log with a scheme, an issuer and a
label (a fresh SQLite file by default, or an empty PostgreSQL database or schema): schemathesis' positive and
negative cases for every operation of ``/openapi.json`` (bodies and methods included), and the hand-written
hostile path and query values of tests/test_api_edges.py on every GET route. Counted: requests, answers >= 500,
error bodies outside the envelope; each failure is listed with its method and URL (the first 20). Exit 1 when
any is found.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from .test_api_edges import HOSTILE_TEXT, Served, _quoted, _routes, assert_envelope


class Tally:
    def __init__(self) -> None:
        self.requests = self.server_errors = self.outside_envelope = 0
        self.failures: list[dict[str, Any]] = []

    def record(self, method: str, url: str, status: int, check: Callable[[], None], raised: str | None = None) -> None:
        """Count one request: ``status`` its answer's (599 with ``raised`` when the app raised instead)."""
        self.requests += 1
        problem = None
        if status >= 500:
            self.server_errors += 1
            problem = raised or "5xx"
        else:
            try:
                check()
            except AssertionError as e:
                self.outside_envelope += 1
                problem = f"outside the envelope: {str(e)[:200]}"
        if problem is not None and len(self.failures) < 20:
            self.failures.append({"method": method, "url": url[:300], "status": status, "problem": problem})


class _Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, path: str) -> None:
        self.status_code, self.headers, self.text, self._body = status, headers, body.decode("utf-8", "replace"), body
        self.url = type("U", (), {"path": path})()

    def json(self) -> Any:
        return json.loads(self._body)


def _check(answer: _Answer) -> Callable[[], None]:
    def check() -> None:
        if answer.url.path == "/auth/token" and answer.status_code in (400, 401):
            body = answer.json()  # OAuth 2's own error shape (RFC 6749 §5.2)
            assert isinstance(body, dict) and isinstance(body.get("error"), str), body
            return
        assert_envelope(answer)
        if answer.status_code >= 400 and answer.url.path.startswith("/v1"):
            assert answer.headers.get("content-type", "").startswith("application/json"), answer.text[:200]

    return check


def run(requests: int, database_url: str | None) -> dict[str, Any]:
    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='carbonledger-fuzz-')}/ledger.db"
    served = Served(url)
    tally = Tally()
    started = time.monotonic()
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", served.app)
        operations = [r.ok() for r in schema.get_all_operations()]
        routes = _routes(served.app)
        # half from schemathesis (positive and negative), half the hand-written hostile values
        per_operation = max(1, requests // (2 * 2 * len(operations)))
        fuzz = settings(
            max_examples=per_operation,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @fuzz
                @given(case=operation.as_strategy(generation_mode=mode))
                def send(case: Any) -> None:
                    try:
                        r = case.call(app=served.app)
                    except Exception as e:  # the app raised instead of answering: a server error
                        tally.record(case.method, case.formatted_path, 599, lambda: None, raised=repr(e)[:200])
                        return
                    headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in r.headers.items()}
                    answer = _Answer(r.status_code, headers, r.content, case.formatted_path)
                    tally.record(case.method, case.formatted_path, r.status_code, _check(answer))

                # an operation no request can be made invalid for is Unsatisfiable; hypothesis' notes go to stderr
                with contextlib.suppress(Unsatisfiable), contextlib.redirect_stdout(sys.stderr):
                    send()

        @settings(
            max_examples=max(1, requests - tally.requests),
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def hostile(data: Any) -> None:
            method, path, path_params, query_params = data.draw(st.sampled_from(routes))
            target = path
            for name in path_params:
                target = target.replace("{" + name + "}", _quoted(data.draw(HOSTILE_TEXT)) or "x")
            names = data.draw(st.lists(st.sampled_from([*query_params, "junk"]), max_size=4)) if query_params else []
            query = "&".join(f"{_quoted(n)}={_quoted(data.draw(HOSTILE_TEXT))}" for n in names)
            full = target + ("?" + query if query else "")
            r = served.client.request(method.upper(), full)
            answer = _Answer(r.status_code, dict(r.headers), r.content, r.url.path)
            tally.record(method.upper(), full, r.status_code, _check(answer))

        from_schemathesis = tally.requests
        if tally.requests < requests:
            with contextlib.redirect_stdout(sys.stderr):
                hostile()
    finally:
        served.close()
    return {
        "store": "sqlite" if database_url is None else "postgresql",
        "requests": tally.requests,
        "server_errors": tally.server_errors,
        "outside_envelope": tally.outside_envelope,
        "operations": len(operations),
        "from_schemathesis": from_schemathesis,
        "from_hostile_values": tally.requests - from_schemathesis,
        "seconds": round(time.monotonic() - started, 1),
        "failures": tally.failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.requests, args.database_url)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['store']}: {result['requests']} requests over {result['operations']} operations, "
            f"{result['server_errors']} 5xx, {result['outside_envelope']} outside the envelope "
            f"({result['seconds']} s)"
        )
        for f in result["failures"]:
            print(f"  {f['method']} {f['url']} -> {f['status']}: {f['problem']}")
    return 0 if result["server_errors"] == 0 and result["outside_envelope"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
