"""The demo's witnesses: Guangdong's and Hong Kong's schemes each run one, and the log needs both (2 of 2).

They are the real witness (ledger/witness_core.py, its state in files under the home's ``witnesses/``)
answering in the demo's own process (ledger/witness_local.py), since the demo runs on the default install with
no HTTP server. ``carbonledger witness serve`` runs the same witness as a server; a log configured with its URL
and verifier key (config.json ``witnesses``) asks it over HTTP instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from verifier.keys import SigningKey

from .log import Log
from .witness_core import WitnessIdentity
from .witness_local import LocalWitnesses, witness_log_locally
from .witnessing import WitnessPolicy

__all__ = ["DEMO_WITNESSES", "DemoWitnesses", "start_demo_witnesses"]

# (key file name, witness name, the scheme that runs it)
DEMO_WITNESSES = (
    ("witness-gd-carbon-label", "witness.gd-carbon-label.demo", "gd-carbon-label"),
    ("witness-hk-cma-carbon-label", "witness.hk-cma-carbon-label.demo", "hk-cma-carbon-label"),
)


@dataclass
class DemoWitnesses:
    local: LocalWitnesses
    policy: WitnessPolicy

    @property
    def vkeys(self) -> tuple[str, ...]:
        return self.policy.vkeys

    def close(self) -> None:
        self.local.close()


def start_demo_witnesses(home: Path, log: Log, key: Callable[[Path, str], SigningKey]) -> DemoWitnesses:
    """Requires a demo home. Starts both witnesses (keys from ``key(home, name)``) and makes ``log`` send them
    every new checkpoint, needing both cosignatures (threshold 2)."""
    identities = [WitnessIdentity(name, key(home, key_name)) for key_name, name, _scheme in DEMO_WITNESSES]
    return DemoWitnesses(*witness_log_locally(log, identities, home / "witnesses", threshold=len(identities)))
