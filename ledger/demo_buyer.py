"""What the demo's buyers do: fetch a label's bundle and a trust file naming the log, its witnesses and their own
scheme, keep both in ``demo-out/``, verify offline, and ask the log for equivalence under their scheme."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from verifier.report import Report
from verifier.trust import Trust
from verifier.verify import verify_bundle

from .bundles import build_bundle, export_trust
from .home import write_json_atomic
from .log import Log

__all__ = ["equivalence_words", "verify_offline"]


def verify_offline(
    log: Log, out: Path, witness_vkeys: tuple[str, ...], label: tuple[str, str], buyer_scheme: str, trust_file: str
) -> tuple[Report, Trust]:
    """A ``buyer_scheme`` buyer's offline verification of ``label`` (label id, its scheme), demanding every witness:
    the bundle (``<label id>.bundle.json``) and trust file (``trust_file``) are written to ``out``; the report and
    the trust file's contents."""
    label_id, scheme = label
    trust = export_trust(log, buyer_scheme=buyer_scheme, witness_vkeys=witness_vkeys, threshold=len(witness_vkeys))
    write_json_atomic(out / trust_file, trust.to_dict())
    bundle = build_bundle(log, label_id, scheme, buyer_scheme)
    (out / f"{label_id}.bundle.json").write_bytes(bundle)
    report = verify_bundle(bundle, trust, at=log.clock().date(), now=log.clock(), target_scheme=buyer_scheme)
    return report, trust


def equivalence_words(v: dict[str, Any]) -> str:
    """An equivalence verdict as the demo says it (rich markup): the verdict, the agreement, any converted value."""
    via = f" by {v['agreement']['id']} v{v['agreement']['version']}" if v.get("agreement") else ""
    extra = f" → {v['converted']['value']} {v['converted']['unit']}" if v.get("converted") else ""
    return f"[bold]{v['verdict']}[/]{via}{extra}"
