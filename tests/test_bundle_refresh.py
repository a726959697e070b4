"""`bundle refresh` and `verify BUNDLE --server URL` (issue 16, freshness): a buyer holding an old bundle
learns, after one refresh, that its label was revoked; a lying server cannot swap the label, send an older
tree or a forked one. The service runs in this process (httpx over the ASGI transport)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.api import create_app
from ledger.home import load_settings, open_log
from verifier.bundle_refresh import bundle_head
from verifier.canonical import canonicalize

from .helpers import Cli

GD, HK = "gd-carbon-label", "hk-cma-carbon-label"
LABEL = "GD-CL-2025-0101"


class Story:
    def __init__(self, tmp: Path, copy_demo_home: Callable[[Path], Path]) -> None:
        self.tmp = tmp
        self.owner = Cli(copy_demo_home(tmp / "home"))  # a home after `carbonledger demo`, this test's own
        self.old = tmp / "old.bundle.json"
        self.owner.json("bundle", LABEL, "--to", HK, "--out", str(self.old))
        self.trust = tmp / "trust.json"
        self.owner.json("trust", "export", "--buyer-scheme", HK, "--out", str(self.trust))

    def service(self) -> Iterator[TestClient]:
        log = open_log(load_settings(self.owner.home))
        try:
            with TestClient(create_app(log), base_url="http://log.test") as client:
                yield client
        finally:
            log.store.close()

    def buyer(self, client: TestClient, name: str) -> Cli:
        return Cli(self.tmp / name, http_client=client)


@pytest.fixture
def story(tmp_path: Path, copy_demo_home: Callable[[Path], Path]) -> Story:
    return Story(tmp_path, copy_demo_home)


def _verify(buyer: Cli, *args: str) -> tuple[int, dict[str, Any]]:
    cp = buyer.run("verify", *args, "--json", ok=False)
    return cp.returncode, json.loads(cp.stdout)


def test_old_bundle_of_a_revoked_label_fails_after_one_refresh(story: Story) -> None:
    key = str(story.owner.home / "demo-keys" / "gd-carbon-label-root.pem")
    buyer_args = ("--trust", str(story.trust), "--to", HK)
    for client in story.service():
        assert _verify(story.buyer(client, "b0"), str(story.old), *buyer_args)[0] == 0
    story.owner.json("label", "revoke", "--scheme", GD, "--label-id", LABEL, "--key", key, "--reason", "recall")
    for client in story.service():
        # Offline, the old bundle knows nothing of the revocation; one refresh and it does.
        assert _verify(story.buyer(client, "b1"), str(story.old), *buyer_args)[0] == 0
        fresh = story.tmp / "fresh.bundle.json"
        got = story.buyer(client, "b2").json(
            "bundle", "refresh", str(story.old), "--server", "http://log.test", "--out", str(fresh)
        )
        assert got["tree_size"] == bundle_head(fresh.read_bytes()).size > bundle_head(story.old.read_bytes()).size
        rc, report = _verify(story.buyer(client, "b3"), str(fresh), *buyer_args)
        assert rc == 6, report["steps"]
        rc, report = _verify(story.buyer(client, "b4"), str(story.old), *buyer_args, "--server", "http://log.test")
        assert rc == 6 and report["label_id"] == LABEL, report["steps"]


def test_a_server_that_swaps_the_label_is_refused(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    other = story.tmp / "other.bundle.json"
    story.owner.json("bundle", "HK-CMA-2025-0007", "--out", str(other))
    from cli.remote import LogService

    real = LogService.bundle_refresh
    monkeypatch.setattr(
        LogService, "bundle_refresh", lambda self, *a, **k: (other.read_bytes(), real(self, *a, **k)[1])
    )
    for client in story.service():
        cp = story.buyer(client, "b").run(
            "bundle", "refresh", str(story.old), "--server", "http://log.test", "--out", str(story.tmp / "x"), ok=False
        )
        assert cp.returncode != 0 and "refresh.other_label" in cp.stdout + cp.stderr
        assert not (story.tmp / "x").exists()


def test_a_server_that_sends_a_forked_tree_is_refused(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.remote import LogService

    real = LogService.bundle_refresh

    def forked(self: LogService, *a: object, **k: object) -> tuple[bytes, list[bytes]]:
        fresh, proof = real(self, *a, **k)  # type: ignore[arg-type]
        return fresh, [bytes(32) for _ in proof] or [bytes(32)]

    monkeypatch.setattr(LogService, "bundle_refresh", forked)
    key = str(story.owner.home / "demo-keys" / "gd-carbon-label-root.pem")
    story.owner.json("label", "revoke", "--scheme", GD, "--label-id", LABEL, "--key", key, "--reason", "recall")
    for client in story.service():
        cp = story.buyer(client, "b").run(
            "bundle", "refresh", str(story.old), "--server", "http://log.test", "--out", str(story.tmp / "x"), ok=False
        )
        assert cp.returncode != 0 and "refresh.inconsistent" in cp.stdout + cp.stderr


def test_a_server_that_sends_an_older_tree_is_refused(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    older = json.loads(story.old.read_bytes())
    key = str(story.owner.home / "demo-keys" / "gd-carbon-label-root.pem")
    story.owner.json("label", "revoke", "--scheme", GD, "--label-id", "GD-CL-2024-0003", "--key", key, "--reason", "x")
    newer = story.tmp / "newer.bundle.json"
    story.owner.json("bundle", LABEL, "--to", HK, "--out", str(newer))
    from cli.remote import LogService

    monkeypatch.setattr(LogService, "bundle_refresh", lambda self, *a, **k: (canonicalize(older), []))
    for client in story.service():
        cp = story.buyer(client, "b").run(
            "bundle", "refresh", str(newer), "--server", "http://log.test", "--out", str(story.tmp / "x"), ok=False
        )
        assert cp.returncode != 0 and "refresh.older" in cp.stdout + cp.stderr
