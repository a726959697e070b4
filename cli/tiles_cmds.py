"""The static read side and the store audit: `carbonledger tiles export` and `carbonledger log fsck`.

`tiles export --out DIR` writes the home's log as C2SP tlog-tiles (``ledger/tiles_export.py``) into DIR, which
any web server can serve as the log's tiles prefix; run again, it writes only what changed. `log fsck`
re-derives every derived row of the home's store from its entries (``ledger/fsck.py``) and exits 0 when all
agree, 9 at the first difference (which it names: table, key, expected, found).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.fsck import fsck
from ledger.home import load_log_key
from ledger.log import ED25519_NOTE_KEY_TYPE
from ledger.store import Store
from ledger.tiles_export import export_tiles
from verifier.note import encode_vkey

from .context import cli_context
from .options import JsonOpt
from .output import console, emit

__all__ = ["register"]


def register(app: typer.Typer, log_app: typer.Typer) -> None:
    tiles_app = typer.Typer(no_args_is_help=True, help="Publish the log as static C2SP tlog-tiles.")
    app.add_typer(tiles_app, name="tiles")
    tiles_app.command("export")(tiles_export)
    log_app.command("fsck")(log_fsck)


def tiles_export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Directory to write (a web server's tiles prefix).")],
    verify: Annotated[
        bool, typer.Option("--verify", help="Compare every full tile already there, not only the new ones.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write the tiles and entry bundles of the newest checkpoint into --out, then the checkpoint."""
    report = export_tiles(cli_context(ctx).log(), out, verify=verify)
    value = {"out": str(out), **report.to_dict()}

    def human(v: dict[str, Any]) -> None:
        console().print(
            f"tree size {v['tree_size']}: wrote {len(v['written'])} files to {v['out']} "
            f"({v['unchanged']} already there, {len(v['removed'])} superseded partial tiles removed)"
        )
        for path in v["written"]:
            console().print(f"  {path}", highlight=False)

    emit(value, as_json, human)


def log_fsck(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Re-derive every leaf, node, entry id, checkpoint, status map root and authority row from the stored
    entries; exit 9 at the first difference."""
    settings = cli_context(ctx).settings()
    key = load_log_key(settings)
    vkey = encode_vkey(settings.origin, key.public_key, ED25519_NOTE_KEY_TYPE)
    store = Store(settings.database_url)  # not the Log: opening one already refuses some broken stores
    try:
        report = fsck(store, settings.origin, vkey)
    finally:
        store.close()
    value = report.to_dict()

    def human(v: dict[str, Any]) -> None:
        counts = ", ".join(f"{n} {table}" for table, n in v["checked"].items())
        if v["ok"]:
            console().print(f"[green]clean[/]: tree size {v['tree_size']}; checked {counts}")
        else:
            d = v["difference"]
            console().print(
                f"[bold red]difference[/] in {d['table']} at {d['key']}: expected {d['expected']}, "
                f"found {d['found']} (checked before it: {counts})",
                highlight=False,
                soft_wrap=True,
            )

    emit(value, as_json, human)
    if not report.ok:
        raise typer.Exit(report.exit_code)
