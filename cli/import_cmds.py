"""`carbonledger import FILE.jsonl --key KEY`: bulk issuing with a progress bar."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ledger.home import read_key_file
from ledger.importer import import_labels, read_label_lines
from ledger.input_files import read_input_file
from ledger.issuer import ChainBook
from ledger.log import utc_now

from .context import cli_context
from .output import console, emit

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="JSON Lines file: one label record per line.")],
        key: Annotated[
            Path, typer.Option("--key", help="PEM key file of the issuing body (authorized for label.issue).")
        ],
        batch: Annotated[int, typer.Option(min=1, max=5000, help="Entries per append batch.")] = 500,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON for programs.")] = False,
    ) -> None:
        """Issue many labels from a JSON Lines file. Every line is checked before anything is stored;
        a refusal by the log stops the import there (earlier lines stay stored, and are reported)."""
        c = cli_context(ctx)
        records = read_label_lines(io.BytesIO(read_input_file(file, "labels file")))
        signing_key = read_key_file(key)
        log = c.log()
        with Progress(
            TextColumn("issuing labels"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console(),
            disable=as_json,
            transient=False,
        ) as progress:
            task = progress.add_task("import", total=len(records))
            result = import_labels(
                log,
                signing_key,
                ChainBook(c.home),
                records,
                utc_now,
                batch=batch,
                on_progress=lambda done: progress.update(task, completed=done),
            )
        emit(
            result.to_dict(),
            as_json,
            lambda v: console().print(
                f"stored {v['stored']} of {v['lines']} labels"
                + (f" at indexes {v['first_index']}..{v['last_index']}" if v["stored"] else "")
                + (
                    f"\n[red]stopped at line {v['stopped_at_line']}[/]: {v['error']['code']}: {v['error']['message']}"
                    if v["error"]
                    else ""
                )
            ),
        )
        if result.error is not None:
            raise typer.Exit(1)
