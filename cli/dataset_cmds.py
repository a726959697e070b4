"""`carbonledger dataset …`: publish, retire, list, show and import background datasets (issue 8).

A data publisher (registered with ``scheme register --role data-publisher``) signs ``dataset.publish`` and
``dataset.retire`` entries with its root key. ``list`` and ``show`` read what the log holds, with each
version's status (``current``, ``superseded`` or ``retired``). ``import`` turns a CSV or JSON factor table
into a dataset body and checks all of it before anything is signed (:mod:`ledger.dataset_tables`); a
malformed table is refused whole, naming the row and column, and nothing is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ledger.dataset_tables import DatasetMeta, FactorTable, dry_run_summary, publish_fields, read_table
from ledger.datasets_service import (
    build_publish_fields,
    build_retire_fields,
    dataset_list,
    dataset_show,
    read_dataset_file,
)
from mapping.errors import UsageError

from .context import cli_context
from .errors import number
from .output import console, emit
from .signed_entries import sign_entry

__all__ = ["register"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]
KeyOpt = Annotated[Path, typer.Option("--key", help="PEM key file of the data publisher (its root key).")]
PublisherOpt = Annotated[str, typer.Option("--publisher", help="The publisher id (registered as data-publisher).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the signed envelope here instead of submitting.")]

_STATUS_STYLE = {"current": "green", "superseded": "yellow", "retired": "red"}


def register(app: typer.Typer) -> None:
    dataset_app = typer.Typer(no_args_is_help=True, help="Background datasets: publish, retire, list, show, import.")
    app.add_typer(dataset_app, name="dataset")

    @dataset_app.command("publish")
    def publish(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="Dataset body JSON (the 'dataset' of a dataset.publish).")],
        publisher: PublisherOpt,
        key: KeyOpt,
        out: OutOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Sign one version of a dataset (checked first) and submit it, or write the envelope with --out."""
        fields = build_publish_fields(read_dataset_file(file), publisher)
        sign_entry(cli_context(ctx), "dataset.publish", fields, key, out, as_json)

    @dataset_app.command("retire")
    def retire(
        ctx: typer.Context,
        dataset_id: Annotated[str, typer.Argument(help="The dataset id.")],
        version: Annotated[
            int,
            typer.Option("--version", help="The published version to retire.", parser=number("--version", minimum=1)),
        ],
        publisher: PublisherOpt,
        key: KeyOpt,
        reason: Annotated[str, typer.Option("--reason", help="Why it is retired (shown to buyers).")],
        out: OutOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Retire one published version; the entry stays in the log and the version below becomes current."""
        c = cli_context(ctx)
        fields = build_retire_fields(c.log(), dataset_id, version, publisher, reason)
        sign_entry(c, "dataset.retire", fields, key, out, as_json)

    @dataset_app.command("list")
    def list_(
        ctx: typer.Context,
        publisher: Annotated[str | None, typer.Option("--publisher", help="Only this publisher's datasets.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Every version of every dataset in the log, with its status and ledger index."""
        emit(dataset_list(cli_context(ctx).log(), publisher), as_json, _print_list)

    @dataset_app.command("show")
    def show(
        ctx: typer.Context,
        dataset_id: Annotated[str, typer.Argument(help="The dataset id.")],
        version: Annotated[
            int | None,
            typer.Option(
                "--version", help="Which version (default: the current one).", parser=number("--version", minimum=1)
            ),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """One version of a dataset: its status, newer versions, and the signed values."""
        emit(dataset_show(cli_context(ctx).log(), dataset_id, version), as_json, _print_show)

    @dataset_app.command("import")
    def import_(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="Factor table: FILE.csv (header row) or FILE.json (array).")],
        dataset_id: Annotated[str, typer.Option("--id", help="The dataset id, stable across versions.")],
        version: Annotated[
            int,
            typer.Option(
                "--version", help="This version (above every earlier one).", parser=number("--version", minimum=1)
            ),
        ],
        title: Annotated[str, typer.Option("--title", help="The dataset's title.")],
        geography: Annotated[str, typer.Option("--geography", help="Where the data applies, e.g. CN.")],
        licence: Annotated[str, typer.Option("--licence", help="The licence the data is published under.")],
        years: Annotated[str, typer.Option("--years", help="Reference years, comma-separated: 2023,2024.")],
        publisher: PublisherOpt,
        key: Annotated[Path | None, typer.Option("--key", help="PEM key file of the data publisher.")] = None,
        title_zh: Annotated[str | None, typer.Option("--title-zh", help="Chinese title.")] = None,
        description: Annotated[str | None, typer.Option("--description", help="What the dataset is.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and summarize; sign nothing.")] = False,
        out: OutOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Import a CSV or JSON factor table as one dataset version: every row is checked before signing."""
        if key is None and not dry_run:
            raise UsageError("give --key KEY to sign (or --dry-run to only check)", code="input.missing", field="key")
        table = read_table(file)
        values = _read_values(table, as_json)
        meta = DatasetMeta(dataset_id, version, title, licence, geography, years, title_zh, description)
        fields, size = publish_fields(table, values, meta, publisher)
        if dry_run:
            emit(dry_run_summary(fields, size), as_json, _print_dry_run)
            return
        assert key is not None
        sign_entry(cli_context(ctx), "dataset.publish", fields, key, out, as_json)


def _read_values(table: FactorTable, quiet: bool) -> list[dict[str, Any]]:
    """The table's values, with a progress bar over the rows."""
    with Progress(
        TextColumn(f"reading {escape(table.file.name)}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console(),
        disable=quiet,
        transient=False,
    ) as progress:
        task = progress.add_task("rows", total=table.row_estimate())

        def on_row(n: int) -> None:
            if n % 256 == 0:
                progress.update(task, completed=n)

        values = table.values(on_row=on_row)
        progress.update(task, total=len(values), completed=len(values))
    return values


# ---- human output --------------------------------------------------------------------------------------------
def _status(status: str) -> str:
    return f"[{_STATUS_STYLE.get(status, 'white')}]{escape(status)}[/]"


def _print_list(items: list[dict[str, Any]]) -> None:
    if not items:
        console().print("no datasets in this log")
        return
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for name, justify in (("dataset", "left"), ("version", "right"), ("status", "left"), ("publisher", "left"),
                          ("ledger index", "right"), ("title", "left")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for x in items:
        table.add_row(
            escape(x["id"]),
            str(x["version"]),
            _status(x["status"]),
            escape(x["publisher"]),
            str(x["ledger_index"]),
            escape(x.get("title") or ""),
        )
    console().print(table)


def _print_show(v: dict[str, Any]) -> None:
    console().print(f"[bold]{escape(v['id'])}[/] version {v['version']} · {_status(v['status'])}")
    console().print(escape(v.get("title") or ""))
    console().print(
        f"publisher {escape(v['publisher'])} · ledger index {v['ledger_index']} · entry {v['entry_id']}",
        highlight=False,
    )
    if v.get("geography") or v.get("years"):
        years = ", ".join(str(y) for y in v.get("years") or []) or "—"
        console().print(f"geography {escape(str(v.get('geography') or '—'))} · years {years}", highlight=False)
    if v.get("retired"):
        r = v["retired"]
        console().print(f"[red]retired[/] at ledger index {r['index']}: {escape(str(r.get('reason') or ''))}")
    if v.get("newer_versions"):
        newer = ", ".join(str(n) for n in v["newer_versions"])
        console().print(f"[yellow]newer version(s): {newer}[/] — cite the current one for new labels")
    if "values" in v:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold")
        for name in ("key", "value", "unit", "kind", "year", "geography", "confidence", "source"):
            table.add_column(name, justify="right" if name == "value" else "left", overflow="fold")
        for item in v["values"]:
            table.add_row(
                *(escape("" if item.get(m) is None else str(item[m])) for m in ("key", "value", "unit", "kind")),
                "—" if item.get("year") is None else str(item["year"]),
                escape(str(item.get("geography") or "")),
                escape(str(item.get("confidence") or "")),
                escape(str(item.get("source") or "")),
            )
        console().print(table)
    elif v.get("release"):
        rel = v["release"]
        console().print(f"release {escape(str(rel.get('name')))} {escape(str(rel.get('version')))}")
        table = Table(box=box.SIMPLE_HEAD, header_style="bold")
        for name in ("file", "size", "sha256"):
            table.add_column(name)
        for f in rel.get("files") or []:
            table.add_row(escape(str(f.get("name"))), str(f.get("size")), str(f.get("sha256")))
        console().print(table)


def _print_dry_run(v: dict[str, Any]) -> None:
    console().print(
        f"[bold]dry run[/]: {escape(v['id'])} version {v['version']} by {escape(v['publisher'])} — nothing signed",
        highlight=False,
    )
    console().print(escape(v["title"]))
    console().print(
        f"{v['rows']} values · kinds {', '.join(v['kinds'])} · units {', '.join(v['units'])} · years "
        f"{', '.join(str(y) for y in v['years']) or '—'}",
        highlight=False,
    )
    conf = ", ".join(f"{k} {n}" for k, n in v["confidence"].items() if n)
    console().print(f"confidence: {conf}", highlight=False)
    console().print(
        f"signed entry about {v['envelope_bytes']} of at most {v['max_entry_bytes']} bytes: [green]fits[/]",
        highlight=False,
    )
