"""The log: `carbonledger submit` (signed envelopes in), `log checkpoint|vkey|get` and `log prove …` (reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.input_files import read_input_file
from ledger.reads import Reads, entry_payload
from mapping.errors import CarbonLedgerError
from verifier.merkle import leaf_hash

from .context import cli_context
from .errors import EXIT_ERROR, number
from .options import JsonOpt
from .output import console, emit, emit_error
from .signed_entries import print_receipt

__all__ = ["register"]


def register(app: typer.Typer, log_app: typer.Typer, prove_app: typer.Typer) -> None:
    app.command()(submit)
    log_app.command("checkpoint")(log_checkpoint)
    log_app.command("vkey")(log_vkey)
    log_app.command("get")(log_get)
    prove_app.command("inclusion")(prove_inclusion)
    prove_app.command("consistency")(prove_consistency)


def submit(
    ctx: typer.Context,
    envelopes: Annotated[list[Path], typer.Argument(help="Envelope files to submit.")],
    as_json: JsonOpt = False,
) -> None:
    """Submit signed envelopes; print a receipt (index, inclusion proof, checkpoint) for each."""
    blobs = []
    for p in envelopes:
        blobs.append(read_input_file(p, "envelope"))
    results = cli_context(ctx).log().submit_many(blobs)
    out = []
    failed = False
    for p, r in zip(envelopes, results, strict=True):
        if isinstance(r, CarbonLedgerError):
            failed = True
            out.append({"file": str(p), "error": r.to_dict()})
        else:
            out.append({"file": str(p), "receipt": r.to_dict()})
    if len(out) == 1 and not failed:
        emit(out[0]["receipt"], as_json, lambda v: print_receipt(results[0], False))  # type: ignore[arg-type]
    else:

        def human(v: Any) -> None:
            for item in v:
                if "error" in item:
                    emit_error(item["error"], False)
                else:
                    console().print(f"{item['file']}: [green]accepted[/] at index {item['receipt']['index']}")

        emit(out, as_json, human)
    if failed:
        raise typer.Exit(EXIT_ERROR)


def log_checkpoint(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Print the newest signed checkpoint (a C2SP signed note)."""
    log = cli_context(ctx).log()
    note = log.checkpoint()
    emit({"checkpoint": note, "tree_size": log.store.tree_size()}, as_json, lambda v: print(v["checkpoint"], end=""))


def log_vkey(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Print the log's C2SP verifier key."""
    log = cli_context(ctx).log()
    emit({"vkey": log.vkey, "origin": log.origin}, as_json, lambda v: print(v["vkey"]))


def log_get(
    ctx: typer.Context,
    index: Annotated[int, typer.Argument(parser=number("INDEX"), help="A log index, from 0.")],
    as_json: JsonOpt = False,
) -> None:
    """Print the entry at INDEX: its envelope and decoded payload."""
    log = cli_context(ctx).log()
    entry = Reads(log).entry(index)  # as GET /v1/entries/{index} answers it
    entry["payload"] = entry_payload(log.entry(index).envelope)
    emit(entry, as_json, lambda v: console().print_json(json.dumps(v, ensure_ascii=False)))


def prove_inclusion(
    ctx: typer.Context,
    index: Annotated[int, typer.Argument(parser=number("INDEX"), help="A log index, from 0.")],
    size: Annotated[
        int | None, typer.Option(help="Tree size (default: newest).", parser=number("--size", minimum=1))
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Inclusion proof of entry INDEX in the tree of SIZE."""
    log = cli_context(ctx).log()
    size = log.store.tree_size() if size is None else size
    proof = log.inclusion_proof(index, size)
    row = log.entry(index)
    emit(
        {
            "index": index,
            "size": size,
            "leaf_hash": leaf_hash(row.envelope).hex(),
            "root": log.root(size).hex(),
            "proof": [h.hex() for h in proof],
        },
        as_json,
        lambda v: console().print_json(json.dumps(v)),
    )


def prove_consistency(
    ctx: typer.Context,
    size1: Annotated[int, typer.Argument(parser=number("SIZE1"), help="The older tree size.")],
    size2: Annotated[int, typer.Argument(parser=number("SIZE2"), help="The newer tree size.")],
    as_json: JsonOpt = False,
) -> None:
    """Consistency proof between tree sizes SIZE1 <= SIZE2."""
    log = cli_context(ctx).log()
    proof = log.consistency_proof(size1, size2)
    emit(
        {
            "size1": size1,
            "size2": size2,
            "root1": log.root(size1).hex(),
            "root2": log.root(size2).hex(),
            "proof": [h.hex() for h in proof],
        },
        as_json,
        lambda v: console().print_json(json.dumps(v)),
    )
