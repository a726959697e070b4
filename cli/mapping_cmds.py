"""Mapping commands: `scheme list`, `scheme show`, `scheme diff` and `convert`. Thin: read, call mapping/, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ledger.label_files import read_label_file
from mapping.conversions import convert_to_profile
from mapping.differ import diff
from mapping.profiles import get_profile, list_profiles

from .context import cli_context
from .output import console, emit

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]
_CLASS_STYLE = {
    "identical": "green",
    "convertible": "cyan",
    "needs_agreement": "yellow",
    "incompatible": "bold red",
}


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return "—" if value is None else str(value)


def _profile_table(profile_id: str, version: str | None) -> dict[str, Any]:
    return get_profile(profile_id, version).to_dict()


def register(app: typer.Typer, scheme_app: typer.Typer, profile_app: typer.Typer) -> None:
    @scheme_app.command("list")
    def scheme_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
        """List the schemes registered in this log, with their methodology profile (`profile list`: the
        shipped profiles)."""
        from ledger.reads import Reads

        rows = Reads(cli_context(ctx).log()).scheme_summaries()

        def human(v: list[dict[str, Any]]) -> None:
            if not v:
                console().print("no scheme is registered in this log (`carbonledger scheme register`)")
                return
            table = Table("id", "name", "role", "country", "registered at", "profile")
            for r in v:
                name = r["name"] + (f" ({r['name_zh']})" if r["name_zh"] else "")
                profile = f"{r['profile']['id']} v{r['profile']['version']}" if r["profile"] else None
                cells = (r["id"], name, r["role"], r["country"], f"index {r['registered_index']}", profile)
                table.add_row(*(escape(_show(x)) for x in cells))
            console().print(table)

        emit(rows, as_json, human)

    @profile_app.command("list")
    def profile_list(as_json: JsonOpt = False) -> None:
        """List the shipped methodology profiles (standards and schemes)."""
        rows = [p.summary() for p in list_profiles()]

        def human(v: list[dict[str, Any]]) -> None:
            table = Table("id", "version", "kind", "extends", "name")
            for r in v:
                name = r["name"] + (f" ({r['name_zh']})" if r["name_zh"] else "")
                table.add_row(*(escape(_show(x)) for x in (r["id"], r["version"], r["kind"], r["extends"], name)))
            console().print(table)

        emit(rows, as_json, human)

    @scheme_app.command("show")
    def scheme_show(
        profile_id: Annotated[str, typer.Argument(metavar="ID", help="Profile id, e.g. gd-carbon-label.")],
        version: Annotated[str | None, typer.Option(help="Profile version (default: newest).")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Show one methodology profile: every dimension with its value and source."""
        doc = _profile_table(profile_id, version)

        def human(v: dict[str, Any]) -> None:
            ext = v["extends"]
            console().print(
                f"[bold]{escape(v['id'])}[/] v{escape(v['version'])} ({escape(v['kind'])}"
                + (f", extends {escape(ext['id'])} v{escape(ext['version'])}" if ext else "")
                + f")\n{escape(v['name'])}"
                + (f" / {escape(v['name_zh'])}" if v["name_zh"] else ""),
                highlight=False,
            )
            table = Table("dimension", "value", "source")
            for name, dim in v["dimensions"].items():
                value = _show(dim["value"])
                extra = {k: x for k, x in dim.items() if k not in ("value", "source", "note")}
                if extra:
                    value += f" ({_show(extra)})"
                source = dim["source"] + (f" — {dim['note']}" if dim.get("note") else "")
                style = "yellow" if dim["value"] == "unspecified" else ""
                table.add_row(escape(name), f"[{style}]{escape(value)}[/]" if style else escape(value), escape(source))
            console().print(table)

        emit(doc, as_json, human)

    profile_app.command("show")(scheme_show)  # the same profile, under the group that holds profiles

    @scheme_app.command("diff")
    def scheme_diff(
        a: Annotated[str, typer.Argument(help="Profile id whose labels are carried.")],
        b: Annotated[str, typer.Argument(help="Profile id they are carried into.")],
        version_a: Annotated[str | None, typer.Option("--version-a", help="Version of A.")] = None,
        version_b: Annotated[str | None, typer.Option("--version-b", help="Version of B.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Compare two profiles dimension by dimension: identical, convertible, needs agreement, incompatible."""
        pa, pb = get_profile(a, version_a), get_profile(b, version_b)
        rows = [d.to_dict() for d in diff(pa, pb)]

        def human(v: list[dict[str, Any]]) -> None:
            table = Table(
                "dimension",
                f"A: {escape(pa.id)} v{escape(pa.version)}",
                f"B: {escape(pb.id)} v{escape(pb.version)}",
                "class",
                "reason",
                title="A's labels in B's terms",
            )
            for r in v:
                style = _CLASS_STYLE[r["class"]]
                reason = r["reason"] + (f" [{r['conversion']}]" if r["conversion"] else "")
                table.add_row(
                    escape(r["dimension"]),
                    escape(_show(r["a"])),
                    escape(_show(r["b"])),
                    f"[{style}]{escape(r['class'])}[/]",
                    escape(reason),
                )
            console().print(table)
            counts = {c: sum(1 for r in v if r["class"] == c) for c in _CLASS_STYLE}
            console().print(", ".join(f"{n} {c}" for c, n in counts.items()), highlight=False)

        emit(rows, as_json, human)

    @app.command()
    def convert(
        label_json: Annotated[Path, typer.Argument(metavar="LABEL_JSON", help="Label record or signed envelope file.")],
        to: Annotated[str, typer.Option("--to", help="Target profile id.")],
        version: Annotated[str | None, typer.Option(help="Target profile version (default: newest).")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Convert a label's footprint into a target profile's terms, with the trail (exit 1 if impossible)."""
        record = read_label_file(label_json)
        result = convert_to_profile(record, get_profile(to, version)).to_dict()

        def human(v: dict[str, Any]) -> None:
            du = v["declared_unit"]
            flag = " [yellow](approximate)[/]" if v["approximate"] else ""
            console().print(
                f"[bold]{escape(v['value'])} {escape(v['unit'])}[/] per {escape(du['amount'])} {escape(du['unit'])}"
                f", {escape(v['boundary'])}, {escape(', '.join(v['gwp_sets']))}{flag}",
                highlight=False,
            )
            for i, step in enumerate(v["trail"], 1):
                console().print(f"  {i}. [bold]{escape(step['name'])}[/]", highlight=False)
                for line in step.get("steps", []):
                    console().print(f"       {escape(line)}", highlight=False)
            for r in v["reasons"]:
                console().print(f"  [yellow]approximate:[/] {escape(r)}", highlight=False)
            for r in v["needs_agreement"]:
                console().print(f"  [dim]needs agreement:[/] {escape(r)}", highlight=False)

        emit(result, as_json, human)


__all__ = ["register"]
