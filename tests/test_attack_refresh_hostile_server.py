"""A hostile log service answering `bundle refresh` and `verify BUNDLE --server URL` (issue 16, freshness: "the
server is never trusted: everything it sends is verified").

From an adversarial review: a refresh that drops the status proofs (a bundle v1 leaving the revocation out), a
refresh below the tree the buyer has already verified, a refresh skipped because the question named its label,
a fork (exit 7, not the "unreachable" of exit 1), answers that are endless, dripping or not JSON, and a refresh
written without a check of its checkpoint. What held up is kept beside them.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import cli.remote
from cli.remote import LogService
from mapping.errors import CarbonLedgerError, OversizedError
from verifier.bundle_refresh import bundle_head
from verifier.canonical import canonicalize

from .helpers import Cli, drip_server
from .status_world import entry_kinds
from .test_bundle_refresh import GD, HK, LABEL, Story, _verify

URL = "http://log.test"


@pytest.fixture
def story(tmp_path: Path, copy_demo_home) -> Story:  # type: ignore[no-untyped-def]
    return Story(tmp_path, copy_demo_home)


def _key(story: Story) -> str:
    return str(story.owner.home / "demo-keys" / "gd-carbon-label-root.pem")


def _revoke(cli: Cli, home: Path, label: str = LABEL, reason: str = "recall") -> None:
    key = str(home / "demo-keys" / "gd-carbon-label-root.pem")
    cli.json("label", "revoke", "--scheme", GD, "--label-id", label, "--key", key, "--reason", reason)


def _patch_refresh(monkeypatch: pytest.MonkeyPatch, change) -> None:  # type: ignore[no-untyped-def]
    real = LogService.bundle_refresh

    def hostile(self: LogService, *a: Any, **k: Any) -> tuple[bytes, list[bytes]]:
        fresh, proof = real(self, *a, **k)
        doc = json.loads(fresh)
        change(doc)
        return canonicalize(doc), proof

    monkeypatch.setattr(LogService, "bundle_refresh", hostile)


# ---- 1. downgrade: the server answers a bundle v1 (no status proofs) for a v2 bundle ------------------------------
def test_attack_refresh_downgraded_to_v1_to_hide_the_revocation(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    """The buyer holds a v2 bundle (status proven). The label is revoked. The server takes its honest fresh
    bundle (real log-signed, witnessed checkpoint, real inclusion proofs), drops the ``status`` member and the
    ``label.revoke`` entry and calls it v1. Nothing is forged; the verdict becomes 0 instead of 6."""
    assert json.loads(story.old.read_bytes())["version"] == "carbonledger.bundle/v2"
    args = ("--trust", str(story.trust), "--to", HK, "--server", URL)
    _revoke(story.owner, story.owner.home)
    for client in story.service():
        assert _verify(story.buyer(client, "honest"), str(story.old), *args)[0] == 6  # the truth

    def downgrade(doc: dict[str, Any]) -> None:
        doc.pop("status")
        doc["version"] = "carbonledger.bundle/v1"
        doc["entries"] = [e for e, k in zip(doc["entries"], entry_kinds(doc), strict=True) if k != "label.revoke"]

    _patch_refresh(monkeypatch, downgrade)
    for client in story.service():
        rc, report = _verify(story.buyer(client, "b"), str(story.old), *args)
        assert rc == 1 and report["error"]["code"] == "refresh.downgrade", report  # was 0: "none seen as of N"


# ---- 2. --label with --server silently skips the refresh -------------------------------------------------------
def test_attack_verify_server_with_label_still_refreshes(story: Story) -> None:
    """``verify OLD --server URL --label ID`` (binding the question, as --help recommends) never asks the server
    for the fresh bundle: the old bundle's status is reported and a revoked label verifies (exit 0)."""
    _revoke(story.owner, story.owner.home)
    for client in story.service():
        args = ("--trust", str(story.trust), "--to", HK, "--server", URL)
        assert _verify(story.buyer(client, "b1"), str(story.old), *args)[0] == 6
        rc, report = _verify(story.buyer(client, "b2"), str(story.old), *args, "--label", LABEL, "--scheme", GD)
        assert rc == 6, report["steps"][7]


# ---- 3. gigantic answer to /v1/bundles/{id}/refresh is read whole before the cap -------------------------------
CHUNK = 1 << 16


class Endless:
    def __init__(self, chunks: int) -> None:
        self.sent = 0
        self.chunks = chunks

    def _body(self) -> Iterator[bytes]:
        for _ in range(self.chunks):
            self.sent += CHUNK
            yield b"x" * CHUNK

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=self._body())))


@pytest.mark.parametrize(
    "call",
    [
        lambda c: LogService(URL, c).bundle_refresh(LABEL, 5, HK, GD),
        lambda c: LogService(URL, c).consistency_proof(1, 2),
        lambda c: LogService(URL, c).bundle(LABEL, HK, GD),
    ],
    ids=["bundle_refresh", "consistency_proof", "bundle"],
)
def test_attack_endless_remote_answer_is_capped_while_it_streams(call) -> None:  # type: ignore[no-untyped-def]
    server = Endless(chunks=3 * (cli.remote.MAX_BYTES // CHUNK))  # 48 MiB, 3x the cap (endless in real life)
    with pytest.raises(OversizedError):
        call(server.client())
    assert server.sent <= cli.remote.MAX_BYTES + 2 * CHUNK, f"read {server.sent} bytes of an answer capped at 16 MiB"


# ---- 4. a 200 answer that is no JSON: a traceback, not an error envelope ---------------------------------------
def _client(body: bytes, content_type: str = "text/html") -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(
            lambda r: httpx.Response(200, content=body, headers={"content-type": content_type})
        )
    )


@pytest.mark.parametrize(
    "body",
    [b"<html><body>Welcome to nginx</body></html>", b"[" * 100_000, b'{"bundle": ' + b"[" * 100_000],
    ids=["html", "deep_array", "deep_bundle"],
)
def test_attack_refresh_answer_that_is_no_json_is_an_error_not_a_traceback(story: Story, body: bytes) -> None:
    cli = Cli(story.tmp / "b", http_client=_client(body))
    cp = cli.run(
        "bundle", "refresh", str(story.old), "--server", URL, "--out", str(story.tmp / "x"), "--json", ok=False
    )
    assert cp.returncode == 1 and json.loads(cp.stdout)["error"]["code"].startswith("remote.")


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"[" * 100_000, b"[]"], ids=["html", "deep", "list"])
def test_attack_consistency_proof_answer_that_is_no_json_object_is_an_error(body: bytes) -> None:
    """``verify BUNDLE --server`` with a kept checkpoint of another size asks /v1/proofs/consistency."""
    with pytest.raises(CarbonLedgerError) as e:
        LogService(URL, _client(body)).consistency_proof(1, 2)
    assert e.value.code == "remote.error"


# ---- 5. a fork at the same size (both checkpoints log-signed and witnessed): exit 7, not 1 -----------------------
def _fork(story: Story) -> tuple[Cli, Path]:
    """Two copies of one log (same log key, same witnesses) that each append one different entry."""
    other = Cli(story.tmp / "home-b")
    shutil.copytree(story.owner.home, other.home)
    _revoke(story.owner, story.owner.home, "GD-CL-2024-0003", "reason A")
    _revoke(other, other.home, "GD-CL-2024-0003", "reason B")
    return other, story.tmp / "old-a.json"


def _service_of(home: Path) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from ledger.api import create_app
    from ledger.home import load_settings, open_log

    log = open_log(load_settings(home))
    try:
        with TestClient(create_app(log), base_url=URL) as client:
            yield client
    finally:
        log.store.close()


def test_attack_same_size_fork_served_by_refresh_is_exit_7(story: Story) -> None:
    other, old_a = _fork(story)
    story.owner.json("bundle", LABEL, "--to", HK, "--out", str(old_a))
    b_bundle = story.tmp / "b.json"
    other.json("bundle", LABEL, "--to", HK, "--out", str(b_bundle))
    ha, hb = bundle_head(old_a.read_bytes()), bundle_head(b_bundle.read_bytes())
    assert ha.size == hb.size and ha.root != hb.root  # a fork at one size
    trust = ("--trust", str(story.trust), "--to", HK)
    # both sides are authentic for the buyer's trust file: the fork is signed by the log and cosigned
    assert _verify(Cli(story.tmp / "x1"), str(old_a), *trust)[0] == 0
    assert _verify(Cli(story.tmp / "x2"), str(b_bundle), *trust)[0] == 0
    for client in _service_of(other.home):
        rc, out = _verify(story.buyer(client, "b"), str(old_a), *trust, "--server", URL)
        assert rc == 7, out  # was exit 1 refresh.inconsistent, the code of "server unreachable"


def test_attack_fork_with_a_non_connecting_consistency_proof_is_exit_7(story: Story) -> None:
    other, old_a = _fork(story)
    story.owner.json("bundle", LABEL, "--to", HK, "--out", str(old_a))
    _revoke(other, other.home, LABEL, "more")  # B grows past A's size (and revokes the label)
    trust = ("--trust", str(story.trust), "--to", HK)
    for client in _service_of(other.home):
        rc, out = _verify(story.buyer(client, "b"), str(old_a), *trust, "--server", URL)
        assert rc == 7, out


# ---- 6. slow answer: no overall deadline ----------------------------------------------------------------------
def test_attack_dripping_server_cannot_hold_the_refresh_past_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client's timeout bounds each read: one byte every 0.2 s would keep it waiting as long as the server likes."""
    monkeypatch.setattr(cli.remote, "TOTAL_S", 1.0)  # the whole answer's deadline
    url, t = drip_server(seconds=6.0)
    start = time.monotonic()
    with pytest.raises(CarbonLedgerError) as e:
        LogService(url).bundle_refresh(LABEL, 5, HK, GD)
    elapsed = time.monotonic() - start
    assert e.value.code == "remote.unreachable" and "longer than 1 s" in e.value.message
    t.join(10)
    assert elapsed < 3.0, f"a 1 s timeout held for {elapsed:.1f} s (forever, with an endless drip)"


# ---- 7. rollback below the buyer's kept checkpoint ----------------------------------------------------------------
def test_attack_online_refresh_below_the_kept_checkpoint_is_refused(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The buyer already kept a checkpoint of size N+1 (verifying another bundle). Online verification of its old
    bundle (size N) asks the server for the newest; the server answers the old bundle itself ("no news"). The
    label was revoked at N+1, which the buyer's own kept tree contains; the verdict is 0, active as of N."""
    state = story.tmp / "kept.json"
    old_size = bundle_head(story.old.read_bytes()).size
    _revoke(story.owner, story.owner.home)
    other = story.tmp / "other.json"
    story.owner.json("bundle", "HK-CMA-2025-0007", "--to", HK, "--out", str(other))
    rc, _ = _verify(Cli(story.tmp / "b0"), str(other), "--trust", str(story.trust), "--to", HK, "--state", str(state))
    kept_size = next(iter(json.loads(state.read_text()).values()))["size"]
    assert rc == 0 and kept_size == old_size + 1
    monkeypatch.setattr(LogService, "bundle_refresh", lambda self, *a, **k: (story.old.read_bytes(), []))
    for client in story.service():
        rc, report = _verify(
            story.buyer(client, "b"),
            str(story.old),
            "--trust",
            str(story.trust),
            "--to",
            HK,
            "--state",
            str(state),
            "--server",
            URL,
        )
        assert rc == 1 and report["error"]["code"] == "refresh.older", report  # was 0: "active as of N"
        assert "newest this buyer has verified" in report["error"]["message"]


# ---- 8. `bundle refresh` writes a bundle whose checkpoint it could not check --------------------------------------
def test_attack_refresh_with_a_resigned_checkpoint_is_not_written_under_a_trust_file(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server re-signs its (honest) checkpoint body with a key of its own under the log's name. The consistency
    proof holds (the tree is the log's), so only the signature betrays it: with --trust the refresh is refused and
    nothing is written (exit 3); without, the output says the signatures were not checked."""
    from verifier.keys import SigningKey
    from verifier.note import sign_note, split_note

    def resign(doc: dict[str, Any]) -> None:
        body = split_note(doc["checkpoint"])[0]
        doc["checkpoint"] = sign_note(body, doc["origin"], SigningKey.generate())

    _revoke(story.owner, story.owner.home, "GD-CL-2024-0003", "x")
    _patch_refresh(monkeypatch, resign)
    checked, unchecked = story.tmp / "checked.json", story.tmp / "unchecked.json"
    for client in story.service():
        buyer = story.buyer(client, "b")
        cp = buyer.run(
            "bundle",
            "refresh",
            str(story.old),
            "--server",
            URL,
            "--trust",
            str(story.trust),
            "--out",
            str(checked),
            "--json",
            ok=False,
        )
        plain = buyer.run("bundle", "refresh", str(story.old), "--server", URL, "--out", str(unchecked), ok=False)
    assert cp.returncode == 3 and not checked.exists(), cp.stdout
    got = json.loads(cp.stdout)
    assert (got["authentic"], got["verdict"], got["bundle_file"]) == (False, "not_authentic", None)
    assert plain.returncode == 0 and "signatures unchecked" in plain.stdout
    assert _verify(Cli(story.tmp / "v"), str(unchecked), "--trust", str(story.trust))[0] == 3


def test_refresh_under_a_trust_file_writes_an_authentic_refresh_even_of_a_revoked_label(story: Story) -> None:
    _revoke(story.owner, story.owner.home)
    out = story.tmp / "fresh.json"
    for client in story.service():
        got = story.buyer(client, "b").json(
            "bundle", "refresh", str(story.old), "--server", URL, "--trust", str(story.trust), "--out", str(out)
        )
    assert (got["authentic"], got["verdict"], got["bundle_file"]) == (True, "not_valid", str(out))
    assert _verify(Cli(story.tmp / "v"), str(out), "--trust", str(story.trust), "--to", HK)[0] == 6


# ---- what held up ------------------------------------------------------------------------------------------------
def _refresh_rc(story: Story, monkeypatch: pytest.MonkeyPatch, change, *, proof=None) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    real = LogService.bundle_refresh

    def hostile(self: LogService, *a: Any, **k: Any) -> tuple[bytes, list[bytes]]:
        fresh, p = real(self, *a, **k)
        doc = json.loads(fresh)
        change(doc)
        return canonicalize(doc), (p if proof is None else proof(p))

    monkeypatch.setattr(LogService, "bundle_refresh", hostile)
    for client in story.service():
        cp = story.buyer(client, "b").run(
            "verify", str(story.old), "--trust", str(story.trust), "--to", HK, "--server", URL, "--json", ok=False
        )
    return cp.returncode, cp.stdout


def test_other_origin_is_refused(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    _revoke(story.owner, story.owner.home)
    rc, out = _refresh_rc(story, monkeypatch, lambda d: d.update(origin="evil.example/log"))
    assert rc != 0 and "refresh.other_log" in out


def test_checkpoint_signed_by_another_key_is_not_authentic(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    from verifier.keys import SigningKey
    from verifier.note import sign_note, split_note

    _revoke(story.owner, story.owner.home)
    rc, out = _refresh_rc(
        story,
        monkeypatch,
        lambda d: d.update(checkpoint=sign_note(split_note(d["checkpoint"])[0], d["origin"], SigningKey.generate())),
    )
    assert rc == 3, out


def test_old_status_proofs_on_the_new_checkpoint_are_not_authentic(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_status = json.loads(story.old.read_bytes())["status"]
    _revoke(story.owner, story.owner.home)
    rc, out = _refresh_rc(story, monkeypatch, lambda d: d.update(status=old_status))
    assert rc == 3, out


def test_status_proof_of_another_label_is_not_ok(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    _revoke(story.owner, story.owner.home)

    def swap(d: dict[str, Any]) -> None:
        d["status"] = [it for it in d["status"] if not (it["kind"] == "label" and LABEL in it["id"])]

    rc, out = _refresh_rc(story, monkeypatch, swap)
    assert rc == 6, out


def test_short_consistency_hash_is_refused(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    _revoke(story.owner, story.owner.home)
    rc, out = _refresh_rc(story, monkeypatch, lambda d: None, proof=lambda p: [h[:16] for h in p])
    assert rc == 7 and "no valid consistency proof" in out  # not proven consistent with the bundle's checkpoint


def test_same_bundle_no_news_reports_its_own_size(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    _revoke(story.owner, story.owner.home, "GD-CL-2024-0003", "x")
    monkeypatch.setattr(LogService, "bundle_refresh", lambda self, *a, **k: (story.old.read_bytes(), []))
    size = bundle_head(story.old.read_bytes()).size
    for client in story.service():
        rc, report = _verify(
            story.buyer(client, "b"), str(story.old), "--trust", str(story.trust), "--to", HK, "--server", URL
        )
    assert rc == 0 and f"as of tree size {size}" in report["steps"][7]["detail"]


@pytest.mark.parametrize(
    "answer",
    [
        lambda r: httpx.Response(302, headers={"location": "http://evil.test/v1/x"}),
        lambda r: httpx.Response(500, json={"error": {"code": "x", "message": "y"}}),
        lambda r: httpx.Response(200, json=[]),
        lambda r: httpx.Response(200, json={"bundle": {}, "consistency_proof": "zz"}),
    ],
    ids=["redirect", "500", "list", "bad_members"],
)
def test_odd_answers_are_remote_errors(story: Story, answer) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def handler(r: httpx.Request) -> httpx.Response:
        seen.append(r.url.host)
        return answer(r)

    cli = Cli(story.tmp / "b", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    cp = cli.run(
        "bundle", "refresh", str(story.old), "--server", URL, "--out", str(story.tmp / "x"), "--json", ok=False
    )
    assert cp.returncode == 1 and json.loads(cp.stdout)["error"]["code"] in (
        "remote.error",
        "bundle.invalid",
        "input.invalid",
    )
    assert seen == ["log.test"]


def test_attack_a_label_fetched_from_a_server_below_the_kept_tree_is_refused(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`verify --label ID --server URL` (no bundle file) answered with the bundle of a tree older than the one the
    buyer has verified, which holds the label's revocation: refused, as a refresh below it is."""
    state = story.tmp / "kept.json"
    _revoke(story.owner, story.owner.home)
    other = story.tmp / "other.json"
    story.owner.json("bundle", "HK-CMA-2025-0007", "--to", HK, "--out", str(other))
    rc, _ = _verify(Cli(story.tmp / "b0"), str(other), "--trust", str(story.trust), "--to", HK, "--state", str(state))
    assert rc == 0
    monkeypatch.setattr(LogService, "bundle", lambda self, *a, **k: story.old.read_bytes())
    for client in story.service():
        args = ("--trust", str(story.trust), "--to", HK, "--state", str(state), "--server", URL)
        rc, report = _verify(story.buyer(client, "b"), "--label", LABEL, "--scheme", GD, *args)
    assert rc == 1 and report["error"]["code"] == "refresh.older", report  # was 0: "active as of N"
