"""`carbonledger pact ...`: PACT v3 clients, the footprint of a label, and PACT footprints as label records.

* ``pact client add --name N [--json]``: a client of the PACT API (``POST /auth/token``); prints its id and
  secret once (JSON keys ``client_id``, ``client_secret``); the secret is stored hashed.
* ``pact export LABEL_ID``: the label as a PACT v3 ProductFootprint with its ledger proof extension.
* ``pact import FILE.json``: PACT footprints (a list response, one footprint, or JSON lines) as label records
  ready to sign with ``label issue``; what cannot be carried is refused with its field and the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.input_files import read_input_file
from mapping.errors import InputError, UsageError
from mapping.pact_import import ImportDefaults, footprints_in, import_with_report

from .context import cli_context
from .options import JsonOpt
from .output import console, emit, err_console

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    pact_app = typer.Typer(no_args_is_help=True, help="WBCSD PACT v3: clients, export, import.")
    client_app = typer.Typer(no_args_is_help=True, help="Clients of the PACT API.")
    pact_app.add_typer(client_app, name="client")
    client_app.command("add")(client_add)
    pact_app.command("export")(pact_export)
    pact_app.command("import")(pact_import)
    app.add_typer(pact_app, name="pact")


def client_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Who the client is (a buyer's system).")],
    as_json: JsonOpt = False,
) -> None:
    """Create a client id and secret for the PACT API; the secret is shown this once."""
    from ledger.pact_auth import PactAuth

    log = cli_context(ctx).log()
    client = PactAuth(log.store).add_client(name, log.clock())
    value = {"client_id": client.client_id, "client_secret": client.client_secret, "name": client.name}

    def human(v: dict[str, Any]) -> None:
        c = console()
        c.print(f"client_id:     {v['client_id']}", highlight=False)
        c.print(f"client_secret: {v['client_secret']}", highlight=False)
        c.print("(the secret is stored hashed: keep it now, it cannot be shown again)", highlight=False)

    emit(value, as_json, human)


def pact_export(
    ctx: typer.Context,
    label_id: Annotated[str, typer.Argument(help="The label's id.")],
    scheme: Annotated[str | None, typer.Option(help="The label's scheme, if its id is ambiguous.")] = None,
    base_url: Annotated[
        str, typer.Option("--base-url", help="The service's public URL, for the proof extension's links.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Print the label as a PACT v3 ProductFootprint (JSON), its ledger proof as an extension."""
    from ledger.pact_api import PactHost
    from ledger.reads import Reads

    host = PactHost(Reads(cli_context(ctx).log()))
    emit(host.export_label(label_id, scheme, base_url.rstrip("/")), True)


def pact_import(
    file: Annotated[Path, typer.Argument(help="PACT footprints: a list response, one footprint, or JSON lines.")],
    scheme: Annotated[str, typer.Option(help="The scheme issuing the labels.")],
    manufacturer_country: Annotated[
        str | None, typer.Option(help="ISO 3166-1 alpha-2 country of the data owner (PACT does not state it).")
    ] = None,
    boundary: Annotated[
        str | None, typer.Option(help="gate-to-gate, cradle-to-gate or cradle-to-grave (PACT does not state it).")
    ] = None,
    profile: Annotated[str, typer.Option(help="Methodology profile ID:VERSION.")] = "pact-v3:1",
    verification_level: Annotated[
        str | None, typer.Option(help="limited or reasonable, for a verified footprint (PACT does not state it).")
    ] = None,
    label_id: Annotated[str | None, typer.Option(help="The label id (one footprint only; default PACT-<id>).")] = None,
    out_dir: Annotated[Path | None, typer.Option(help="Write one label record file per footprint here.")] = None,
) -> None:
    """Turn PACT v3 footprints into label records ready to sign (`label issue FILE`), each checked against the
    label schema; refuse with the field and the reason what a label cannot carry."""
    from mapping.footprint import Footprint
    from verifier import schemas

    profile_id, _, profile_version = profile.partition(":")
    if not profile_version:
        raise UsageError("--profile is ID:VERSION, e.g. pact-v3:1", code="usage", field="--profile")
    raw = read_input_file(file, "footprints file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{file} is not UTF-8 text: {e.reason}", code="input.malformed", field=str(file)) from None
    footprints = footprints_in(text)
    if label_id is not None and len(footprints) != 1:
        raise UsageError("--label-id names one label, but the file holds several footprints", code="usage")
    defaults = ImportDefaults(
        scheme=scheme,
        label_id=label_id,
        manufacturer_country=manufacturer_country,
        boundary=boundary,
        profile_id=profile_id,
        profile_version=profile_version,
        verification_level=verification_level,
    )
    records = []
    for pf in footprints:
        result = import_with_report(pf, defaults)
        record = result.label
        for gap in result.not_carried:  # never dropped silently: said on stderr, stdout stays the records' JSON
            err_console().print(
                f"note: {record['label_id']}: {gap.pointer} not carried ({gap.reason})", highlight=False, markup=False
            )
        schemas.validate("label-record", record)
        Footprint.from_label(record)
        records.append(record)
    if out_dir is None:
        emit(records[0] if len(records) == 1 else records, True)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for record in records:
        name = re.sub(r"[^A-Za-z0-9._-]", "_", record["label_id"]) + ".json"
        (out_dir / name).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console().print(f"wrote {out_dir / name}", highlight=False)
