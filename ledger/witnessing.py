"""The log's side of witnessing: each new checkpoint goes to the configured witnesses before it is published.

C2SP tlog-witness: a witness cosigns a checkpoint only once it has checked it is consistent with every
earlier one it cosigned for that log, so k independent witnesses make a split view cost k collusions. The
operator configures the witnesses (URL and C2SP verifier key) and a policy, k of n (:class:`WitnessPolicy`).

After a batch is durable, :meth:`Witnessing.cosign` sends its checkpoint to every witness in parallel — each
with the consistency proof from the size that witness last cosigned, following its 409 answers
(ledger/witness_client.py) — waits at most ``timeout_s`` in all, and writes the note with the cosignature
lines it got over the stored one (the same checkpoint: only signature lines are added, so the row's size and
root never change). Only then do receipts and readers see it. A checkpoint with fewer than k cosignatures is
still published, signed by the log alone or by fewer witnesses, and reported as below policy (receipts, the
API's ``/v1/log``, the metrics); a buyer whose trust file demands k refuses it (verifier step 6).

A witness that failed is skipped for ``retry_after_s`` (one slow witness must not add its timeout to every
batch); its next checkpoint is a fresh chance. A crash between the commit and the cosigned write leaves the
log-signed note: the next batch's checkpoint is witnessed (with a proof from the witness's size), and
:meth:`Witnessing.cosign_latest` re-witnesses the newest one on start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import update

from mapping.errors import CarbonLedgerError, ConfigError
from verifier.note import parse_vkey, witness_report
from verifier.note_syntax import split_note

from .store import Store
from .tables import CheckpointRow

if TYPE_CHECKING:
    from .witness_client import CosignResult, WitnessConfig


def no_witnesses() -> dict[str, object]:
    """``/v1/log``'s ``witnesses`` for a log with no witness configured."""
    return {"threshold": 0, "witnesses": [], "cosigned_by": [], "meets_policy": True}


__all__ = ["DEFAULT_TIMEOUT_S", "WitnessPolicy", "Witnessed", "Witnessing", "no_witnesses", "policy_from_config"]

log = logging.getLogger("carbonledger.witnessing")

DEFAULT_TIMEOUT_S = 3.0
DEFAULT_RETRY_AFTER_S = 15.0
FUTURE_SKEW_S = 60  # a witness clock this far ahead still counts


@dataclass(frozen=True)
class WitnessPolicy:
    """Requires distinct witness keys and 0 <= threshold <= len(witnesses)."""

    witnesses: tuple[WitnessConfig, ...]
    threshold: int
    timeout_s: float = DEFAULT_TIMEOUT_S
    retry_after_s: float = DEFAULT_RETRY_AFTER_S

    @property
    def vkeys(self) -> tuple[str, ...]:
        return tuple(w.vkey for w in self.witnesses)

    def to_dict(self) -> dict[str, object]:
        return {
            "threshold": self.threshold,
            "witnesses": [{"name": parse_vkey(w.vkey).name, "url": w.url, "vkey": w.vkey} for w in self.witnesses],
        }


def policy_from_config(raw: object, threshold: object, timeout_s: object = DEFAULT_TIMEOUT_S) -> WitnessPolicy | None:
    """The policy a home's config.json states (``witnesses``: a list of ``{url, vkey}``; ``witness_threshold``);
    None when it lists no witness. Raises ``config.invalid`` naming the field."""
    if raw in (None, []):
        if threshold not in (None, 0):
            raise ConfigError("witness_threshold needs witnesses to count", code="config.invalid", field="witnesses")
        return None
    from .witness_client import WitnessConfig  # the HTTP client, loaded only when witnesses are configured

    if not isinstance(raw, list):
        raise ConfigError("witnesses must be a list of {url, vkey}", code="config.invalid", field="witnesses")
    witnesses: list[WitnessConfig] = []
    seen: set[bytes] = set()
    for i, item in enumerate(raw):
        where = f"witnesses/{i}"
        if (
            not isinstance(item, dict)
            or set(item) != {"url", "vkey"}
            or not all(isinstance(v, str) for v in item.values())
        ):
            raise ConfigError(f"{where} must be an object of url and vkey strings", code="config.invalid", field=where)
        if not item["url"].startswith(("http://", "https://")):
            raise ConfigError(f"{where}/url must be an http(s) URL", code="config.invalid", field=where)
        try:
            key = parse_vkey(item["vkey"])
        except CarbonLedgerError as e:
            raise ConfigError(
                f"{where}/vkey is not a C2SP verifier key: {e.message}", code="config.invalid", field=where
            ) from e
        if key.key_type != 0x04:
            raise ConfigError(
                f"{where}/vkey is not a cosignature/v1 key (type 0x04)", code="config.invalid", field=where
            )
        if key.public_key in seen:
            raise ConfigError(f"{where} repeats a witness key", code="config.invalid", field=where)
        seen.add(key.public_key)
        witnesses.append(WitnessConfig(url=item["url"], vkey=item["vkey"]))
    k = len(witnesses) if threshold is None else threshold
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= len(witnesses):
        raise ConfigError(
            f"witness_threshold must be an integer from 0 to {len(witnesses)}",
            code="config.invalid",
            field="witness_threshold",
        )
    if not isinstance(timeout_s, int | float) or isinstance(timeout_s, bool) or not 0 < timeout_s <= 60:
        raise ConfigError(
            "witness_timeout_s must be from 0 to 60 seconds", code="config.invalid", field="witness_timeout_s"
        )
    return WitnessPolicy(tuple(witnesses), k, float(timeout_s))


@dataclass(frozen=True)
class Witnessed:
    """A published checkpoint: its note (cosignatures appended), who cosigned, whether the policy is met."""

    note: str
    cosigned_by: tuple[str, ...]
    threshold: int

    @property
    def meets_policy(self) -> bool:
        return len(self.cosigned_by) >= self.threshold


@dataclass
class _Counters:
    checkpoints: int = 0
    below_policy: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    last: Witnessed | None = None


class Witnessing:
    """Sends a log's checkpoints to its witnesses (see the module docstring)."""

    def __init__(
        self,
        policy: WitnessPolicy,
        store: Store,
        log_vkey: str,
        consistency_proof: Callable[[int, int], list[bytes]],
        *,
        http_client: httpx.Client | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.store = store
        self.log_vkey = log_vkey
        self.consistency_proof = consistency_proof
        self.http_client = http_client
        self.monotonic = monotonic
        self.wall_clock = wall_clock
        self._sizes: dict[str, int] = {}  # witness name -> the size it last cosigned (409s correct it)
        self._down_until: dict[str, float] = {}
        self._counters = _Counters()
        self._lock = threading.Lock()  # the counters
        self._cosigning = threading.Lock()  # one checkpoint at a time

    def cosign(self, note: str, size: int) -> Witnessed:
        """Requires ``note`` to be the stored, log-signed checkpoint of ``size``. Gathers cosignatures, stores
        the cosigned note in its row and returns it (never raises for a witness's failure). Thread-safe: one
        checkpoint at a time goes out, so the witnesses' sizes stay in step."""
        with self._cosigning:
            return self._cosign(note, size)

    def _cosign(self, note: str, size: int) -> Witnessed:
        now = self.monotonic()
        asked = tuple(w for w in self.policy.witnesses if self._down_until.get(_name(w), 0.0) <= now)
        skipped = [_name(w) for w in self.policy.witnesses if w not in asked]
        results: list[CosignResult] = []
        if asked:
            from .witness_client import gather_cosignatures

            note, results = gather_cosignatures(
                list(asked), note, dict(self._sizes), self.consistency_proof,
                timeout_s=self.policy.timeout_s, http_client=self.http_client,
            )  # fmt: skip
        for r in results:
            if r.size is not None:
                self._sizes[r.witness] = r.size
            if r.line is None:
                self._down_until[r.witness] = now + self.policy.retry_after_s
                log.warning("witness %s did not cosign size %d: %s", r.witness, size, r.error)
            else:
                self._down_until.pop(r.witness, None)
        return self._publish(note, size, skipped, results)

    def cosign_latest(self) -> Witnessed | None:
        """Re-witness the newest stored checkpoint (after a restart, or when it is below policy)."""
        row = self.store.latest_checkpoint()
        if row is None:
            return None
        return self.cosign(_log_signed_part(row.note, parse_vkey(self.log_vkey).name), row.size)

    def _publish(self, note: str, size: int, skipped: list[str], results: list[CosignResult]) -> Witnessed:
        cosigned = self.cosigners(note)
        if cosigned:
            with self.store.write() as conn:
                conn.execute(update(CheckpointRow).where(CheckpointRow.size == size).values(note=note))
        witnessed = Witnessed(note, cosigned, self.policy.threshold)
        with self._lock:
            c = self._counters
            c.checkpoints += 1
            c.below_policy += 0 if witnessed.meets_policy else 1
            for name in skipped + [r.witness for r in results if r.line is None]:
                c.failures[name] = c.failures.get(name, 0) + 1
            c.last = witnessed
        if not witnessed.meets_policy:
            log.warning(
                "checkpoint %d published below policy: %d of %d cosignatures required (%s)",
                size, len(cosigned), self.policy.threshold, ", ".join(cosigned) or "none",
            )  # fmt: skip
        return witnessed

    def cosigners(self, note: str) -> tuple[str, ...]:
        """The policy's witnesses whose cosignatures on ``note`` count, as a buyer counts them: by distinct key, and
        one dated in the future (a bad or hostile witness clock) counts for nothing — so receipts, the API and
        the metrics never claim a policy a buyer's verifier would refuse."""
        now_s = int(self.wall_clock()) + FUTURE_SKEW_S
        return tuple(witness_report(note, self.policy.vkeys, log_vkey=self.log_vkey, now_s=now_s).names)

    def summary(self, note: str) -> dict[str, object]:
        """The policy, who cosigned ``note`` (the newest checkpoint), whether that meets the policy, and the
        metrics: ``/v1/log``'s ``witnesses``."""
        cosigned = self.cosigners(note)
        return self.policy.to_dict() | {
            "cosigned_by": list(cosigned),
            "meets_policy": len(cosigned) >= self.policy.threshold,
            "metrics": self.metrics(),
        }

    def metrics(self) -> dict[str, object]:
        """Counters since start: checkpoints witnessed, how many were below policy, failures per witness."""
        with self._lock:
            c = self._counters
            return {
                "checkpoints_witnessed": c.checkpoints,
                "checkpoints_below_policy": c.below_policy,
                "witness_failures": dict(c.failures),
                "last_cosigned_by": list(c.last.cosigned_by) if c.last else [],
            }


def _name(w: WitnessConfig) -> str:
    return parse_vkey(w.vkey).name


def _log_signed_part(note: str, log_name: str) -> str:
    """The note with only the log's own signature lines (those under the log's key name)."""
    text, lines = split_note(note)
    own = [line for line in lines if line.startswith(f"\u2014 {log_name} ")]
    return text + "\n" + "".join(line + "\n" for line in own)
