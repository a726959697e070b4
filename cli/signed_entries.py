"""Signing an entry from the command line: write the envelope (``--out``) or submit it and print the receipt.

The signing itself — chain positions, the home's chain book — is :class:`ledger.signing.Signer`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger.home import read_key_file
from ledger.log import Receipt
from ledger.signing import Signer

from .context import CliContext
from .output import console, emit

__all__ = ["print_receipt", "sign_entry"]


def sign_entry(
    c: CliContext, kind: str, fields: dict[str, Any], key_path: Path, out: Path | None, as_json: bool
) -> None:
    """Sign ``fields`` as a ``kind`` entry with the key in ``key_path``; write it to ``out``, or submit it."""
    key = read_key_file(key_path)
    if out is not None:
        signed = Signer(c.home, c.log_if_any()).sign_to_file(kind, fields, key, out)
        emit(
            {"envelope_file": str(out), "entry_id": signed.entry_id, "kind": kind, "seq": signed.seq},
            as_json,
            lambda v: console().print(f"signed {kind} {v['entry_id']} (seq {v['seq']}) into {out}"),
        )
        return
    print_receipt(Signer(c.home, c.log()).submit(kind, fields, key), as_json)


def print_receipt(receipt: Receipt, as_json: bool) -> None:
    def show(v: dict[str, Any]) -> None:
        from rich.markup import escape

        console().print(f"[green]accepted[/] at index {v['index']} (tree size {v['tree_size']}), entry {v['entry_id']}")
        for f in v.get("findings") or ():  # what admission flags without refusing (ledger/admission.py)
            console().print(f"[yellow]flagged[/] {escape(f['code'])} at {escape(f['field'])}: {escape(f['message'])}")

    emit(receipt.to_dict(), as_json, show)
