"""Who may sign what: `scheme register|rotate` (a scheme's root key) and `key authorize|revoke` (its keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.home import read_key_file
from mapping.errors import UsageError
from verifier.envelope import public_key_to_b64

from .context import cli_context
from .errors import number
from .options import JsonOpt, KeyOpt, OutOpt
from .signed_entries import sign_entry

__all__ = ["register"]


def register(scheme_app: typer.Typer, key_app: typer.Typer) -> None:
    scheme_app.command("register")(scheme_register)
    scheme_app.command("rotate")(scheme_rotate)
    key_app.command("authorize")(key_authorize)
    key_app.command("revoke")(key_revoke)


def _public_key_arg(public_key: str | None, key_file: Path | None) -> str:
    if key_file is not None:
        return public_key_to_b64(read_key_file(key_file).public_key)
    if public_key is None:
        raise UsageError("give --public-key B64 or --key-file PEM", code="input.missing", field="public_key")
    return public_key


def scheme_register(
    ctx: typer.Context,
    scheme_id: Annotated[str, typer.Option("--id", help="Scheme id, e.g. gd-carbon-label.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    key: KeyOpt,
    role: Annotated[str, typer.Option(help="scheme or data-publisher")] = "scheme",
    name_zh: Annotated[str | None, typer.Option(help="Chinese name.")] = None,
    name_zh_hant: Annotated[
        str | None,
        typer.Option(help="Traditional Chinese form of --name-zh, shown on zh-Hant pages (Hong Kong, Taiwan, Macao)."),
    ] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2.")] = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bind a scheme id to its root key (the key signs its own registration)."""
    info: dict[str, Any] = {"id": scheme_id, "name": name, "role": role}
    if name_zh:
        info["name_zh"] = name_zh
    if name_zh_hant:
        info["name_zh_hant"] = name_zh_hant
    if country:
        info["country"] = country
    root = read_key_file(key)
    fields = {"scheme": info, "public_key": public_key_to_b64(root.public_key)}
    sign_entry(cli_context(ctx), "scheme.register", fields, key, out, as_json)


def scheme_rotate(
    ctx: typer.Context,
    scheme_id: Annotated[str, typer.Option("--id", help="The scheme whose root key rotates.")],
    key: KeyOpt,
    new_key_file: Annotated[Path, typer.Option("--new-key-file", help="PEM of the new root key.")],
    reason: Annotated[str, typer.Option(help="Why the root key rotates (logged).")] = "scheduled rotation",
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand a scheme id to a new root key (signed by the current root)."""
    fields = {"scheme": scheme_id, "new_public_key": _public_key_arg(None, new_key_file), "reason": reason}
    sign_entry(cli_context(ctx), "scheme.rotate", fields, key, out, as_json)


def key_authorize(
    ctx: typer.Context,
    scheme: Annotated[str, typer.Option(help="The scheme granting authority.")],
    key: KeyOpt,
    holder: Annotated[str, typer.Option(help="Who holds the key, e.g. 'CQC Guangzhou'.")],
    kinds: Annotated[str, typer.Option(help="Comma-separated kinds.")] = "label.issue",
    holder_role: Annotated[
        str, typer.Option(help="label-office, certification-body or data-office")
    ] = "certification-body",
    public_key: Annotated[str | None, typer.Option(help="Raw public key, base64.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="PEM whose public key to authorize.")] = None,
    not_after: Annotated[str | None, typer.Option(help="Expiry, YYYY-MM-DDTHH:MM:SSZ.")] = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Authorize a key for some entry kinds (signed by the scheme's root key)."""
    fields: dict[str, Any] = {
        "scheme": scheme,
        "public_key": _public_key_arg(public_key, key_file),
        "kinds": [k.strip() for k in kinds.split(",") if k.strip()],
        "holder": {"name": holder, "role": holder_role},
    }
    if not_after:
        fields["not_after"] = not_after
    sign_entry(cli_context(ctx), "key.authorize", fields, key, out, as_json)


def key_revoke(
    ctx: typer.Context,
    scheme: Annotated[str, typer.Option(help="The scheme that authorized the key.")],
    key: KeyOpt,
    target: Annotated[str, typer.Option(help="Key id (hex) to revoke.")],
    reason: Annotated[str, typer.Option(help="Why the key is revoked (logged, shown to buyers).")],
    effective_from: Annotated[
        int | None,
        typer.Option(
            help="Log index from which its entries stop counting (compromise).", parser=number("--effective-from")
        ),
    ] = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a key (signed by the scheme's root key, or by the key itself)."""
    fields: dict[str, Any] = {"scheme": scheme, "key_id": target, "reason": reason}
    if effective_from is not None:
        fields["effective_from_index"] = effective_from
    sign_entry(cli_context(ctx), "key.revoke", fields, key, out, as_json)
