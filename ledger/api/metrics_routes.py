"""``GET /metrics``: the log's counters in the Prometheus text exposition format (version 0.0.4).

What an operator alerts on: the tree size, and the witnessing — checkpoints published below the witness
policy (fewer than k cosignatures), each witness's failures, and whether the newest checkpoint meets the
policy. Names are stable; a log with no witnesses configured reports threshold 0.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from .deps import Deps

__all__ = ["metrics_router"]


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics_router() -> APIRouter:
    r = APIRouter()

    @r.get("/metrics", response_class=PlainTextResponse, summary="Counters (Prometheus text format)")
    def metrics(deps: Deps) -> PlainTextResponse:
        info = deps.reads.log_info()
        w = info["witnesses"]
        m = w.get("metrics", {})
        lines = [
            "# TYPE carbonledger_tree_size gauge",
            f"carbonledger_tree_size {info['tree_size']}",
            "# TYPE carbonledger_witness_threshold gauge",
            f"carbonledger_witness_threshold {w['threshold']}",
            "# TYPE carbonledger_checkpoint_cosignatures gauge",
            f"carbonledger_checkpoint_cosignatures {len(w['cosigned_by'])}",
            "# TYPE carbonledger_checkpoint_meets_policy gauge",
            f"carbonledger_checkpoint_meets_policy {int(w['meets_policy'])}",
            "# TYPE carbonledger_checkpoints_witnessed_total counter",
            f"carbonledger_checkpoints_witnessed_total {m.get('checkpoints_witnessed', 0)}",
            "# TYPE carbonledger_checkpoints_below_policy_total counter",
            f"carbonledger_checkpoints_below_policy_total {m.get('checkpoints_below_policy', 0)}",
            "# TYPE carbonledger_witness_failures_total counter",
        ]
        failures = m.get("witness_failures", {})
        for item in w["witnesses"]:
            name = item["name"]
            lines.append(f'carbonledger_witness_failures_total{{witness="{_label(name)}"}} {failures.get(name, 0)}')
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return r
