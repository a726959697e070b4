"""Setting up: `carbonledger init` (a home with a log key) and `carbonledger keygen`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.home import init_home, load_settings, update_config, write_key_file
from ledger.public_url import parse_base_url
from verifier.envelope import public_key_to_b64
from verifier.keys import SigningKey

from .context import cli_context
from .options import JsonOpt
from .output import console, emit

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(keygen)


def init(
    ctx: typer.Context,
    origin: Annotated[
        str | None,
        typer.Option(
            help="The log's origin line (C2SP tlog-checkpoint); default: this host's name and a random suffix, "
            "so that no two logs share one."
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="Public URL of the log's pages, used by `label qr` and the GS1 Digital Link resolver."),
    ] = None,
    allow: Annotated[list[str] | None, typer.Option("--allow", help="Scheme id allowed to register.")] = None,
    allow_any: Annotated[bool, typer.Option("--allow-any", help="Admit any new scheme id.")] = False,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default: SQLite in the home).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a data directory with a log key, or load an existing one."""
    c = cli_context(ctx)
    settings = init_home(
        c.home,
        origin=origin,
        allowed_schemes=allow,
        allow_any_scheme=allow_any,
        database_url=database_url,
        base_url=base_url,
    )
    if allow:
        update_config(settings.home, allowed_schemes=sorted(set(settings.policy.allowed_schemes) | set(allow)))
    if base_url and settings.base_url != parse_base_url(base_url, "--base-url"):  # an existing home: set it
        update_config(settings.home, base_url=parse_base_url(base_url, "--base-url"))
        settings = load_settings(settings.home)
    log = c.log()
    emit(
        {
            "home": str(settings.home),
            "origin": log.origin,
            "vkey": log.vkey,
            "tree_size": log.size,
            "database_url": settings.database_url,
            "base_url": settings.base_url,
        },
        as_json,
        lambda v: console().print(
            f"home [bold]{v['home']}[/]\norigin {v['origin']}\nlog key {v['vkey']}\ntree size {v['tree_size']}"
        ),
    )


def keygen(
    out: Annotated[Path, typer.Option("--out", help="Where to write the PEM key file.")], as_json: JsonOpt = False
) -> None:
    """Generate an Ed25519 key (encrypted if CARBONLEDGER_KEY_PASSPHRASE is set)."""
    key = SigningKey.generate()
    write_key_file(out, key)
    emit(
        {"key_file": str(out), "key_id": key.key_id, "public_key": public_key_to_b64(key.public_key)},
        as_json,
        lambda v: console().print(f"key id {v['key_id']}\npublic key {v['public_key']}\nwritten to {out}"),
    )
