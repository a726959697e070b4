"""`carbonledger demo`: the whole story (:mod:`ledger.demo_story`) on an embedded SQLite store in the home,
idempotent on it; `--serve` then keeps the service running, started as `carbonledger serve` starts it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ledger.demo_story import CURRENT_ID, HK, DemoStory, init_demo_home

from .context import cli_context
from .output import console, emit
from .serving import serve_log

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(demo)


def demo(
    ctx: typer.Context,
    serve: Annotated[bool, typer.Option("--serve", help="Keep the service running afterwards.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run the whole story on an embedded SQLite store in the home (idempotent)."""
    c = cli_context(ctx)
    init_demo_home(c.home)
    log = c.log()
    say: Callable[..., None] = (lambda *a, **k: None) if as_json else console().print

    @contextmanager
    def bulk_progress(total: int) -> Iterator[Callable[[int], None]]:
        with Progress(TextColumn("  bulk issuing"), BarColumn(), MofNCompleteColumn(), console=console(),
                      disable=as_json) as progress:  # fmt: skip
            task = progress.add_task("issue", total=total)
            yield lambda done: progress.update(task, completed=done)

    summary: dict[str, Any] = DemoStory(c.home, log, say, bulk_progress).tell()
    summary["url"] = f"http://127.0.0.1:{port}/labels/{CURRENT_ID}?to={HK}"
    emit(
        summary,
        as_json,
        lambda v: console().print(
            f"[green]done[/]: tree size {v['tree_size']}. Files for the buyer in {v['files']}.\n"
            f"Verify offline:  carbonledger verify {v['files']}/{CURRENT_ID}.bundle.json "
            f"--trust {v['files']}/trust-hk-buyer.json --to {HK}\n"
            f"Browse:          carbonledger --home {v['home']} serve   then open {v['url']}"
        ),
    )
    if serve:
        stopped = serve_log(
            lambda: log,
            "127.0.0.1",
            port,
            log_level="warning",
            announce=lambda _log: say(f"serving on http://127.0.0.1:{port} (Ctrl-C stops)"),
        )
        if stopped is not None:
            raise typer.Exit(128 + stopped)
