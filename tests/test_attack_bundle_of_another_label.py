"""Security review "bind the question to the answer": the buyer's question (which label, under which scheme)
comes from the buyer — `verify --label/--scheme/--to` and the trust file's buyer_scheme — never from the
bundle or the server that sent it.

Attacks, each refused here on a demo home (`carbonledger demo`: GD and HK labels, the GD <-> HK mutual
agreement, no agreement between GD and Japan):

- `verify FILE --label A` on a file holding another label B verified B: now step 2 fails, exit 3;
- `verify --label A --server URL` took whatever label a lying server sent: now step 2 fails, exit 3;
- step 10 asked the bundle's unsigned `target_scheme`: deleting it skipped step 10, setting it to the label's
  own scheme gave "recognized (same scheme)"; now the trust file's buyer_scheme (or --to) is asked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cli.context import Injected
from cli.main import app
from verifier.canonical import canonicalize
from verifier.report import Report

from .helpers import Cli

GD, HK, JP = "gd-carbon-label", "hk-cma-carbon-label", "jp-sumpo-cfp"
ASKED, OTHER = "GD-CL-2025-0101", "HK-CMA-2025-0007"  # both valid today; OTHER is an HK label
REPORT_KEYS = set(Report().to_dict())
runner = CliRunner()


class Demo:
    """A demo home, bundles of two labels and trust files of an HK buyer and of a Japanese buyer."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.owner = Cli(tmp / "home")
        self.owner.json("demo")
        self.bundles: dict[str, Path] = {}
        for label_id in (ASKED, OTHER):
            path = tmp / f"{label_id}.bundle.json"
            self.owner.json("bundle", label_id, "--to", HK, "--out", str(path))
            self.bundles[label_id] = path
        self.trust: dict[str, Path] = {}
        for scheme in (HK, JP):
            path = tmp / f"trust-{scheme}.json"
            self.owner.json("trust", "export", "--buyer-scheme", scheme, "--out", str(path))
            self.trust[scheme] = path

    def edited(self, label_id: str, name: str, fn: Any) -> Path:
        """The label's bundle with ``fn`` applied to its JSON, re-serialized canonically (RFC 8785) so that it is
        not refused as non-canonical (exit 5) before the attack is tried."""
        doc = json.loads(self.bundles[label_id].read_bytes())
        fn(doc)
        path = self.tmp / f"{label_id}.{name}.bundle.json"
        path.write_bytes(canonicalize(doc))
        return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return Demo(tmp_path_factory.mktemp("attack-demo"))


@pytest.fixture
def buyer(tmp_path: Path) -> Cli:
    """A buyer with a home of their own (kept checkpoints), nothing else."""
    return Cli(tmp_path / "buyer-home")


def verify(buyer: Cli, *args: str) -> tuple[int, dict[str, Any]]:
    """`carbonledger --home BUYER verify ARGS --json` through Typer's runner (the human output through `Cli.run`)."""
    result = runner.invoke(app, ["--home", str(buyer.home), "verify", *args, "--json"], obj=Injected(buyer.http_client))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code != 2, result.output  # never a usage error
    report = json.loads(result.stdout)
    # the report itself, keys unchanged; the command adds only where it keeps the buyer's checkpoints
    assert set(report) - {"kept_state"} == REPORT_KEYS and "kept_state" in report, report
    assert report["exit_code"] == result.exit_code
    return result.exit_code, report


def step(report: dict[str, Any], n: int) -> dict[str, Any]:
    return next(s for s in report["steps"] if s["step"] == n)


def mismatch(held: str, held_scheme: str, asked: str) -> str:
    return f"the bundle holds label {held} of {held_scheme}, not the label {asked} asked about"


# ---- the label asked about -----------------------------------------------------------------------------------


def test_verify_file_with_label_flag_refuses_a_bundle_of_another_label(demo: Demo, buyer: Cli) -> None:
    other, trust = str(demo.bundles[OTHER]), str(demo.trust[HK])
    # the file itself is a good bundle: of the label it holds
    rc, report = verify(buyer, other, "--trust", trust)
    assert rc == 0 and report["label_id"] == OTHER, report
    assert verify(buyer, other, "--trust", trust, "--label", OTHER)[0] == 0
    # asked about another label, it is not authentic
    rc, report = verify(buyer, other, "--trust", trust, "--label", ASKED)
    assert rc == 3 and report["verdict"] == "not_authentic" and report["authentic"] is False
    assert step(report, 2)["status"] == "failed"
    assert step(report, 2)["detail"] == mismatch(OTHER, HK, ASKED)
    # the human report says so in its first line
    human = buyer.run("verify", other, "--trust", trust, "--label", ASKED, ok=False)
    assert human.returncode == 3
    first = human.stdout.splitlines()[0]
    assert "NOT THE LABEL ASKED ABOUT" in first and mismatch(OTHER, HK, ASKED) in first, human.stdout
    assert "not_authentic (exit 3)" in human.stdout


class LyingServer:
    """A log service that answers every bundle request with the same fixed bytes (another label's bundle), in this
    process behind an httpx transport (the client `verify --server` is given); it records what it was asked."""

    def __init__(self, body: bytes) -> None:
        self.requests: list[str] = []
        self.url = "http://liar.test"

        def answer(request: httpx.Request) -> httpx.Response:
            path = request.url.raw_path.decode()
            self.requests.append(path)
            if path.startswith("/v1/labels/") and "/bundle" in path:
                return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
            return httpx.Response(404, json={"error": "not served by this stub"})

        self.client = httpx.Client(transport=httpx.MockTransport(answer))


@pytest.fixture
def liar(demo: Demo) -> Iterator[LyingServer]:
    server = LyingServer(demo.bundles[OTHER].read_bytes())
    with server.client:
        yield server


def test_lying_server_answering_with_another_labels_bundle_is_refused(
    demo: Demo, buyer: Cli, liar: LyingServer
) -> None:
    trust = str(demo.trust[HK])
    buyer = Cli(buyer.home, http_client=liar.client)
    rc, report = verify(buyer, "--label", ASKED, "--server", liar.url, "--trust", trust)
    assert liar.requests and liar.requests[0].split("?")[0] == f"/v1/labels/{ASKED}/bundle"
    assert rc == 3 and report["verdict"] == "not_authentic", report
    assert step(report, 2)["status"] == "failed" and step(report, 2)["detail"] == mismatch(OTHER, HK, ASKED)
    assert not (buyer.home / "kept-checkpoints.json").exists()  # nothing from a refused answer is kept
    # asked with --scheme, the request names the scheme, and the answer is still refused
    rc, report = verify(buyer, "--label", ASKED, "--scheme", GD, "--server", liar.url, "--trust", trust)
    assert f"scheme={GD}" in liar.requests[-1]
    assert rc == 3 and step(report, 2)["detail"] == mismatch(OTHER, HK, f"{ASKED} of {GD}")
    # the same stub asked about the label it does serve: the stub is a working server, the refusal is the binding
    assert verify(buyer, "--label", OTHER, "--server", liar.url, "--trust", trust)[0] == 0


def test_scheme_flag_mismatch_is_refused(demo: Demo, buyer: Cli) -> None:
    asked, trust = str(demo.bundles[ASKED]), str(demo.trust[HK])
    assert verify(buyer, asked, "--trust", trust, "--label", ASKED, "--scheme", GD)[0] == 0
    rc, report = verify(buyer, asked, "--trust", trust, "--label", ASKED, "--scheme", HK)
    assert rc == 3 and step(report, 2)["detail"] == mismatch(ASKED, GD, f"{ASKED} of {HK}")
    rc, report = verify(buyer, asked, "--trust", trust, "--scheme", HK)  # the scheme alone binds too
    assert rc == 3 and step(report, 2)["detail"] == mismatch(ASKED, GD, f"(any id) of {HK}")
    human = buyer.run("verify", asked, "--trust", trust, "--label", ASKED, "--scheme", HK, ok=False)
    assert human.returncode == 3 and "NOT THE LABEL ASKED ABOUT" in human.stdout.splitlines()[0]


# ---- the target scheme ---------------------------------------------------------------------------------------


def test_removing_bundle_target_scheme_does_not_skip_equivalence(demo: Demo, buyer: Cli) -> None:
    assert json.loads(demo.bundles[ASKED].read_bytes())["target_scheme"] == HK
    bare = demo.edited(ASKED, "no-target", lambda doc: doc.pop("target_scheme"))
    assert "target_scheme" not in json.loads(bare.read_bytes())
    # an HK buyer still gets step 10 under HK, by the agreement the bundle carries
    rc, report = verify(buyer, str(bare), "--trust", str(demo.trust[HK]))
    assert rc == 0, report
    assert step(report, 10)["status"] == "passed" and report["equivalence"]["target_scheme"] == HK
    assert report["equivalence"]["verdict"] == "recognized"
    # a Japanese buyer gets step 10 under Japan: no agreement, exit 4 — not a skipped step 10 and exit 0
    rc, report = verify(buyer, str(bare), "--trust", str(demo.trust[JP]))
    assert rc == 4 and step(report, 10)["status"] == "failed", report
    assert report["equivalence"]["target_scheme"] == JP and report["equivalence"]["verdict"] == "no_evidence"


def test_bundle_target_scheme_set_to_labels_own_scheme_does_not_give_recognized(demo: Demo, buyer: Cli) -> None:
    own = demo.edited(ASKED, "own-target", lambda doc: doc.update(target_scheme=GD))
    rc, report = verify(buyer, str(own), "--trust", str(demo.trust[JP]))
    assert rc == 4 and report["verdict"] == "not_equivalent", report
    eq = report["equivalence"]
    assert eq["target_scheme"] == JP and eq["verdict"] == "no_evidence" and eq["reasons"] != ["same scheme"]
    assert step(report, 10)["status"] == "failed" and "same scheme" not in step(report, 10)["detail"]
    # the buyer's own --to is the question, over the trust file's buyer scheme
    rc, report = verify(buyer, str(own), "--trust", str(demo.trust[JP]), "--to", HK)
    assert rc == 0 and report["equivalence"]["target_scheme"] == HK and report["equivalence"]["verdict"] == "recognized"
