"""`carbonledger bench crash`: kill -9 a real `serve` under concurrent submitters and check nothing acknowledged
was lost (ledger/bench_crash.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from .output import console, emit

__all__ = ["register"]


def register(bench_app: typer.Typer) -> None:
    @bench_app.command("crash")
    def crash(
        cycles: Annotated[int, typer.Option("--cycles", min=1, help="kill -9 and restart cycles.")] = 10,
        database_url: Annotated[
            str | None,
            typer.Option("--database-url", help="A PostgreSQL database holding no log yet (default: a fresh SQLite)."),
        ] = None,
        submitters: Annotated[int, typer.Option(min=1, max=64, help="Concurrent submitters (issuer keys).")] = 4,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Crash a live server CYCLES times under load; every acknowledged receipt must stay in the log."""
        from ledger.bench_crash import bench_crash

        result = bench_crash(cycles, database_url, submitters=submitters)
        emit(
            result,
            as_json,
            lambda v: console().print(
                f"{v['cycles']} kill -9 cycles ({v['store']}): {v['receipts']} receipts, "
                f"[bold]{v['lost_acked']} lost[/], {v['inconsistent']} inconsistent, "
                f"{v['resubmitted']} resubmitted after a crash; tree size {v['tree_size']} in {v['seconds']} s"
            ),
        )
        if result["lost_acked"] or result["inconsistent"]:
            raise typer.Exit(1)
