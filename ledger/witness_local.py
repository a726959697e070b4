"""Witnesses in this process: the real witness (its core and its state file) behind an httpx transport.

The demo runs on the default install, which has no HTTP server (that is the ``server`` extra), yet it must
show two schemes' witnesses cosigning every checkpoint. :class:`LocalWitnesses` answers the log's
``POST /add-checkpoint`` requests exactly as ``carbonledger witness serve`` does — the same parsing, checks,
decision and check-and-persist (:func:`ledger.witness_requests.add_checkpoint`) — without a socket: the log's client
(ledger/witness_client.py) talks to it through :meth:`LocalWitnesses.client`, each witness under its own
host name (``http://<host>/``). The state lives in files, so it survives the demo's runs like a served
witness's does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from mapping.errors import InputError, UnavailableError

from .log import Log
from .witness_client import WitnessConfig
from .witness_core import TEXT_CONTENT_TYPE, TrustedLogs, WitnessIdentity, trusted_logs
from .witness_requests import add_checkpoint
from .witness_state import WitnessStore
from .witnessing import WitnessPolicy

__all__ = ["LocalWitnesses", "witness_log_locally"]


@dataclass
class _Witness:
    identity: WitnessIdentity
    logs: TrustedLogs
    store: WitnessStore


class LocalWitnesses:
    """Witnesses served in-process under host names; ``clock`` gives cosignature times (Unix seconds)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._by_host: dict[str, _Witness] = {}

    def add(self, host: str, identity: WitnessIdentity, logs: TrustedLogs, state_dir: Path) -> str:
        """Serve ``identity`` (trusting ``logs``, its state in ``state_dir``) at ``http://<host>/``; returns
        that URL."""
        self._by_host[host] = _Witness(identity, logs, WitnessStore(state_dir, identity.vkey))
        return f"http://{host}/"

    def client(self) -> httpx.Client:
        """An httpx client whose requests these witnesses answer."""
        return httpx.Client(transport=httpx.MockTransport(self._handle))

    def close(self) -> None:
        for w in self._by_host.values():
            w.store.close()

    def _handle(self, request: httpx.Request) -> httpx.Response:
        w = self._by_host.get(request.url.host)
        if w is None:
            return httpx.Response(502, text=f"no witness at {request.url.host}\n")
        if request.method != "POST" or request.url.path != "/add-checkpoint":
            return httpx.Response(404, text="not found\n", headers={"Content-Type": TEXT_CONTENT_TYPE})
        try:
            answer = add_checkpoint(request.read(), w.identity, w.logs, w.store, self.clock)
        except (InputError, UnavailableError) as e:
            return httpx.Response(e.http_status, text=e.message + "\n", headers={"Content-Type": TEXT_CONTENT_TYPE})
        return httpx.Response(answer.status, text=answer.body, headers={"Content-Type": answer.content_type})


def witness_log_locally(
    log: Log, identities: list[WitnessIdentity], state_root: Path, threshold: int
) -> tuple[LocalWitnesses, WitnessPolicy]:
    """Requires distinct witness keys. Serve ``identities`` in this process (each one's state in
    ``state_root/<its name>``), trusting ``log``, and make ``log`` send them every new checkpoint, needing
    ``threshold`` cosignatures. Returns the witnesses (close them when done) and the policy."""
    local = LocalWitnesses()
    configs = []
    for identity in identities:
        url = local.add(identity.name, identity, trusted_logs([log.vkey]), state_root / identity.name)
        configs.append(WitnessConfig(url, identity.vkey))
    policy = WitnessPolicy(tuple(configs), threshold)
    log.enable_witnessing(policy, local.client())
    return local, policy
