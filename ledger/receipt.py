"""The receipt an issuer gets for an entry once it is durable (and its checkpoint witnessed, when the log has
witnesses): what ``POST /v1/entries`` answers and ``carbonledger submit`` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Receipt"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an issuer gets once its entry is durable: index, inclusion proof and the checkpoint it leads to, and
    what admission flagged without refusing (``findings``: ``{code, field, message, ...}``, e.g.
    ``citation.published_after_issue``; ledger/admission.py)."""

    index: int
    entry_id: str
    tree_size: int
    inclusion_proof: list[bytes]
    checkpoint: str
    cosigned_by: tuple[str, ...] = ()  # the witnesses whose cosignatures the checkpoint carries
    witness_threshold: int = 0  # the log's witness policy (0: none configured)
    findings: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "entry_id": self.entry_id,
            "tree_size": self.tree_size,
            "inclusion_proof": [h.hex() for h in self.inclusion_proof],
            "checkpoint": self.checkpoint,
            "witnesses": {
                "cosigned_by": list(self.cosigned_by),
                "threshold": self.witness_threshold,
                "meets_policy": len(self.cosigned_by) >= self.witness_threshold,
            },
            "findings": [dict(f) for f in self.findings],
        }
