"""The command tree: the root command (its ``--home``, the context every command runs in) and its groups, each
filled by the module that holds its commands. Nothing here runs a command; :func:`cli.main.main` does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.home import resolve_home

from . import (
    agreement_cmds,
    authority_cmds,
    bench_cmds,
    crash_cmds,
    dataset_cmds,
    demo_cmds,
    import_cmds,
    label_cmds,
    log_cmds,
    mapping_cmds,
    monitor_cmds,
    pact_cmds,
    serve_cmds,
    setup_cmds,
    shipment_cmds,
    tiles_cmds,
    verify_cmds,
    witness_cmds,
)
from .context import CliContext, Injected

__all__ = ["app"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=True,
    help="Carbon-label ledger: issue, publish, verify.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"carbonledger {version('carbonledger')}")
        except PackageNotFoundError:  # run from a source tree that is not installed
            typer.echo("carbonledger (not installed)")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option("--home", help="Data directory (default $CARBONLEDGER_HOME or ~/.carbonledger).")
    ] = None,
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    injected = ctx.obj if isinstance(ctx.obj, Injected) else None
    context = CliContext(resolve_home(home), injected)
    ctx.obj = context
    ctx.call_on_close(context.close)


def _group(name: str, help: str, parent: typer.Typer = app) -> typer.Typer:
    group = typer.Typer(no_args_is_help=True, help=help, context_settings={"help_option_names": ["-h", "--help"]})
    parent.add_typer(group, name=name)
    return group


scheme_app = _group("scheme", "Schemes: register, list, compare.")
profile_app = _group("profile", "Methodology profiles shipped with carbonledger: list, show.")
key_app = _group("key", "Authorize and revoke signing keys.")
label_app = _group("label", "Issue, revoke and supersede labels.")
log_app = _group("log", "Read the log: checkpoints, entries, proofs.")
prove_app = _group("prove", "Inclusion and consistency proofs.", log_app)
bench_app = _group("bench", "Benchmarks (ratios against a raw baseline).")

setup_cmds.register(app)
authority_cmds.register(scheme_app, key_app)
label_cmds.register(label_app)
log_cmds.register(app, log_app, prove_app)
bench_cmds.register(bench_app)
crash_cmds.register(bench_app)
demo_cmds.register(app)
verify_cmds.register(app)
shipment_cmds.register(app)
import_cmds.register(app)
serve_cmds.register(app)
pact_cmds.register(app)
agreement_cmds.register(app)
dataset_cmds.register(app)
mapping_cmds.register(app, scheme_app, profile_app)
monitor_cmds.register(app, bench_app)
witness_cmds.register(app, bench_app)
tiles_cmds.register(app, log_app)
