"""`carbonledger label …`: issue, revoke and supersede labels; list them; a QR code to a label's page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.bundles import find_label
from ledger.label_files import read_label_record
from ledger.label_qr import qr_image, qr_target
from ledger.public_url import is_loopback, parse_base_url
from ledger.reads import Reads
from mapping.errors import InputError, UsageError

from .context import cli_context
from .options import JsonOpt, KeyOpt, OutOpt
from .output import console, emit, err_console, print_label_summary
from .signed_entries import sign_entry

__all__ = ["register"]


def register(label_app: typer.Typer) -> None:
    label_app.command("issue")(label_issue)
    label_app.command("revoke")(label_revoke)
    label_app.command("supersede")(label_supersede)
    label_app.command("list")(label_list)
    label_app.command("qr")(label_qr)
    label_app.command("show")(label_show)


def label_show(
    ctx: typer.Context,
    label_id: Annotated[str, typer.Argument(help="The label's id.")],
    scheme: Annotated[str | None, typer.Option(help="The label's scheme, if its id is ambiguous.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the record as logged, with its status, as JSON.")
    ] = False,
) -> None:
    """The label as a person reads it: product, footprint, validity, verifier, and its status in the log."""
    from ledger.reads import Reads
    from verifier.report import label_summary

    reads = Reads(cli_context(ctx).log())
    detail = reads.label_detail(reads.label(label_id, scheme))

    def human(v: dict[str, Any]) -> None:
        from rich.markup import escape

        s = label_summary(v["label"]) or {}
        c = console()
        ended = s.get("valid_until") and str(s["valid_until"]) < reads.today().isoformat()
        state = v["status"] + (f", its validity ended {s['valid_until']}" if ended else "")
        c.print(f"[bold]{escape(str(s['label_id']))}[/] ({escape(str(s['scheme']))}): {escape(state)}", highlight=False)
        print_label_summary(s)
        for line in certification_lines(v["label"]):
            c.print(escape(line), highlight=False)
        c.print(escape(f"  logged at index {v['index']} (entry {v['entry_id'][:16]}…), signed at {v['signed_at']}"))
        if v.get("status_index") is not None:
            c.print(escape(f"  {v['status']} by the entry at index {v['status_index']}"), highlight=False)

    emit(detail, as_json, human)


def certification_lines(record: dict[str, Any]) -> list[str]:
    """The label's further certifications (``certifications``), one line each and a line for where it comes from:
    as the issuer states them — the log proves who signed the label, not that each certificate exists."""
    lines: list[str] = []
    for cert in record.get("certifications") or ():
        body = cert.get("body") or {}
        programme = cert.get("programme", "")
        if cert.get("programme_zh"):
            programme += f" ({cert['programme_zh']})"
        until = f", valid until {cert['valid_until']}" if cert.get("valid_until") else ""
        lines.append(f"  also certified: {programme}, certificate {cert.get('certificate_id')} by "
                     f"{body.get('name')} on {cert.get('date')}{until}")  # fmt: skip
        lines.append(f"    as stated by the issuer; source: {cert.get('source')}")
    return lines


def label_issue(
    ctx: typer.Context,
    label_file: Annotated[Path, typer.Argument(help="Label record JSON file.")],
    key: KeyOpt,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign a label record into a label.issue envelope (--out), or sign and submit it."""
    record = read_label_record(label_file)
    sign_entry(cli_context(ctx), "label.issue", {"label": record}, key, out, as_json)


LabelIdArg = Annotated[str | None, typer.Argument(help="The label's id.", metavar="LABEL_ID", show_default=False)]
LabelIdOpt = Annotated[str | None, typer.Option("--label-id", help="The label's id (the argument's older spelling).")]
SchemeOpt = Annotated[str, typer.Option(help="The label's scheme.")]
ReasonOpt = Annotated[str, typer.Option(help="Why, as the entry will state it.")]


def _one_label_id(positional: str | None, option: str | None) -> str:
    """The label id given as the argument (like every other command) or, as before, with ``--label-id``."""
    if positional and option and positional != option:
        raise UsageError(f"two label ids given: {positional!r} and --label-id {option!r}", code="usage")
    label_id = positional or option
    if not label_id:
        raise UsageError("give the label's id (LABEL_ID)", code="input.missing")
    return label_id


def label_revoke(
    ctx: typer.Context,
    scheme: SchemeOpt,
    key: KeyOpt,
    reason: ReasonOpt,
    label_id_arg: LabelIdArg = None,
    label_id: LabelIdOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a label (by its own key or a key its scheme authorized for label.revoke)."""
    label_id = _one_label_id(label_id_arg, label_id)
    c = cli_context(ctx)
    row = find_label(c.log(), label_id, scheme)  # label ids are unique per scheme only: never another scheme's
    fields = {"scheme": scheme, "label_id": label_id, "label_entry": row.entry_id, "reason": reason}
    sign_entry(c, "label.revoke", fields, key, out, as_json)


def label_supersede(
    ctx: typer.Context,
    scheme: SchemeOpt,
    replacement: Annotated[str, typer.Option(help="Label id of the replacement, already logged.")],
    key: KeyOpt,
    reason: ReasonOpt,
    label_id_arg: LabelIdArg = None,
    label_id: LabelIdOpt = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Supersede a label by one already in the log."""
    label_id = _one_label_id(label_id_arg, label_id)
    c = cli_context(ctx)
    row, new = find_label(c.log(), label_id, scheme), find_label(c.log(), replacement, scheme)
    fields = {
        "scheme": scheme,
        "label_id": label_id,
        "label_entry": row.entry_id,
        "replacement_entry": new.entry_id,
        "reason": reason,
    }
    sign_entry(c, "label.supersede", fields, key, out, as_json)


def label_list(
    ctx: typer.Context,
    scheme: Annotated[str | None, typer.Option(help="Only this scheme's labels.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000, help="At most this many labels.")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """List label ids with their scheme, product and status."""

    def human(v: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table("label id", "scheme", "product", "model", "status", "index")
        for r in v:
            table.add_row(
                r["label_id"], r["scheme"], r["product"] or "", r["model"] or "", r["status"], str(r["index"])
            )
        console().print(table)

    emit(Reads(cli_context(ctx).log()).labels(scheme, limit), as_json, human)


def label_qr(
    ctx: typer.Context,
    label_id: Annotated[str, typer.Argument(help="The label's id.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the QR code: FILE.svg or FILE.png.")],
    base_url: Annotated[
        str | None,
        typer.Option(help="Public URL of the log's pages (default: base_url in the home's config.json)."),
    ] = None,
    caption: Annotated[
        str | None, typer.Option(help="A line of text under the code (SVG only), e.g. the label id.")
    ] = None,
    scheme: Annotated[str | None, typer.Option(help="The label's scheme, if its id is ambiguous.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the QR code for a product's package: its GS1 Digital Link URI (<base>/01/<GTIN-14>, which this log
    resolves to the current label), or the label page's URL when the product has no GTIN."""
    c = cli_context(ctx)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise InputError("--out must end in .svg or .png", code="input.invalid", field="--out")
    if base_url is None:
        base_url = c.settings().base_url
        if base_url is None:
            raise UsageError(
                "label qr needs --base-url URL (the public address of the log's pages), or base_url in the home's "
                "config.json (carbonledger init --base-url URL)",
                code="input.missing",
                field="--base-url",
            )
    base = parse_base_url(base_url, "--base-url")
    log = c.log()
    row = find_label(log, label_id, scheme)
    record = Reads(log).label_records([row])[row.idx]
    url, kind = qr_target(row, record, base)
    image = qr_image(url, fmt, caption)
    out.write_bytes(image)
    warning = None
    if is_loopback(base):
        warning = f"{base} is this machine's own address: a phone that scans the code cannot open it"
    result = {"qr_file": str(out), "url": url, "kind": kind, "warning": warning}

    def human(v: dict[str, Any]) -> None:
        if v["warning"]:
            err_console().print(f"warning: {v['warning']}")
        console().print(f"QR for {v['url']} written to {v['qr_file']}")

    emit(result, as_json, human)
