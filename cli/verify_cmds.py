"""The buyer's commands: `bundle` (write one for a label), `trust export`, and `verify` (offline or online)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ledger.bundles import build_bundle, export_trust
from ledger.home import write_bytes_atomic, write_json_atomic
from ledger.input_files import read_input_file
from ledger.kept_checkpoints import KeptCheckpoints, bundle_origin, consistency_sizes, kept_key
from mapping.errors import CarbonLedgerError, InputError, UnreadableEvidenceError, UsageError
from verifier.bundle_refresh import BundleHead, bundle_head, check_refresh, require_not_older
from verifier.report import Report, report_header, verdict_line
from verifier.verify import KeptCheckpoint, verify_bundle

from .context import cli_context
from .output import console, emit, print_label_summary
from .remote import OnlineSource
from .trust_cmds import register_trust

__all__ = ["register"]

_STATUS_STYLE = {"passed": "[green]passed[/]", "failed": "[bold red]failed[/]", "not_applicable": "[yellow]n/a[/]"}


def _read(path: Path, what: str) -> bytes:
    return read_input_file(path, what, error=UnreadableEvidenceError)


def _not_the_label_asked(v: dict[str, Any], label_id: str | None, label_scheme: str | None) -> str | None:
    """What the bundle holds instead of the label asked about, or None when it holds that label (or no label
    could be read)."""
    held_id, held_scheme = v.get("label_id"), v.get("scheme")
    if held_id is None or held_scheme is None:
        return None
    if (label_id is None or held_id == label_id) and (label_scheme is None or held_scheme == label_scheme):
        return None
    asked = (label_id or "(any id)") + (f" of {label_scheme}" if label_scheme else "")
    return f"the bundle holds label {held_id} of {held_scheme}, not the label {asked} asked about"


def _print_report(v: dict[str, Any], label_id: str | None = None, label_scheme: str | None = None) -> None:
    from rich.markup import escape

    mismatch = _not_the_label_asked(v, label_id, label_scheme)
    if mismatch is not None:
        console().print(f"[bold red]NOT THE LABEL ASKED ABOUT:[/] {escape(mismatch)}", highlight=False)
    console().print(f"[bold]{escape(verdict_line(v))}[/]", highlight=False)
    console().print(escape(report_header(v)), highlight=False)
    st = v.get("status")
    if st:
        how = "proven" if st["proven"] else "as the bundle shows (not proven)"
        signed = f", signed at {st['signed_at']}" if st.get("signed_at") else ""
        stale = " — stale" if st.get("stale") else ""
        console().print(f"  status: {st['label']}, {how}, as of tree size {st['as_of_size']}{signed}{stale}")
    for s in v["steps"]:
        console().print(
            f"  {s['step']:>2}. {_STATUS_STYLE[s['status']]}  {escape(s['name'])}\n      {escape(s['detail'])}",
            highlight=False,
        )
    eq = v.get("equivalence")
    if eq:
        colour = "green" if eq["verdict"] in ("recognized", "recognized_after_conversion") else "red"
        console().print(
            f"[bold]equivalence under {escape(str(eq.get('target_scheme')))}:[/] [{colour}]{eq['verdict']}[/]",
            highlight=False,
        )
        ref = eq.get("agreement")
        if ref:
            console().print(
                f"    agreement {escape(ref['id'])} version {ref['version']} (accepted at index {ref['index']}, "
                f"proposed at index {ref['proposed_index']}, terms hash {ref['terms_hash'][:16]}…)",
                highlight=False,
            )
        converted = eq.get("converted")
        if converted:
            approx = " (approximate)" if converted.get("approximate") else ""
            console().print(
                f"    converted value: {converted['value']} {escape(str(converted.get('unit')))}{approx}",
                highlight=False,
            )
        for reason in eq.get("reasons") or ():
            console().print(f"    - {escape(reason)}", highlight=False)
        for note in eq.get("excluded") or ():
            console().print(f"    [yellow]left out[/]: {escape(note)}", highlight=False)
    citations = v.get("citations") or []
    if citations:
        console().print("[bold]citations:[/]", highlight=False)
        for c in citations:
            colour = "green" if c["status"] == "matched" else "yellow"
            factor = f" = {c['value']} {c['unit']}" if c.get("value") is not None else ""
            newer = f", newer version {c['newer_version']}" if c.get("newer_version") else ""
            by = f" by {c['publisher']}" if c.get("publisher") else ""
            why = f" — {c['reason']}" if c.get("reason") else ""
            console().print(
                f"    [{colour}]{c['status']}[/]  {escape(str(c['dataset']))} v{c['version']} "
                f"{escape(repr(c['key']))}{escape(factor)}{escape(by)}{newer}{escape(why)}",
                highlight=False,
            )
            for f in c.get("findings") or ():  # flags (verifier/citations_published.py): no step fails for them
                flag = f"      [yellow]flagged[/] {escape(f['code'])}: {escape(f['message'])}"
                console().print(flag, highlight=False)
    kept = v.get("kept_state")
    if kept:
        what = "checkpoint kept in" if kept["updated"] else "kept checkpoints (unchanged):"
        console().print(escape(f"  {what} {kept['file']}"), highlight=False)
    colour = "green" if v["exit_code"] == 0 else "red"
    console().print(f"[bold {colour}]{v['verdict']}[/] (exit {v['exit_code']})")


class _BundleGroup(TyperGroup):
    """``bundle LABEL --out FILE`` writes a bundle (the ``create`` command, also spelled out); ``bundle refresh``
    renews one."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


def _print_bundle(v: dict[str, Any]) -> None:
    from rich.markup import escape

    c = console()
    c.print("[bold yellow]not verified[/]: what the bundle holds, as it states it (run `carbonledger verify`)")
    lab = v["label"] or {}
    c.print(escape(f"{v['version']}, log {v['origin']}, checkpoint of tree size {v['tree_size']}"), highlight=False)
    c.print(escape(f"label {lab.get('label_id')} ({lab.get('scheme')}) at index {v['label_entry']['index']}"))
    print_label_summary(lab)
    c.print(f"entries ({len(v['entries'])}):")
    for e in v["entries"]:
        c.print(escape(f"  {e['index']:>8}  {e['kind']:<20} signer {e['signer'][:16]}…"), highlight=False)
    if v["status"] is not None:
        c.print(f"status items ({len(v['status'])}):")
        for it in v["status"]:
            state = (it["record"] or {}).get("status", "absent") if isinstance(it["record"], dict) else "absent"
            c.print(escape(f"  {it['kind']:<10} {it['id'][:60]}  {state}"), highlight=False)


def _print_refresh(v: dict[str, Any], report: Report | None, out: Path) -> None:
    from rich.markup import escape

    what = f"bundle for {v['label_id']} refreshed to tree size {v['tree_size']}"
    if report is None:
        console().print(escape(f"{what}: {out} (its checkpoint's signatures unchecked: run `carbonledger verify`)"))
    elif report.authentic:
        console().print(escape(f"{what}: {out} (authentic under the trust file; verdict {report.verdict()})"))
    else:
        why = "; ".join(f"step {r.step}: {r.detail}" for r in report.failed(1, 2, 3, 4, 5, 6)) or "steps missing"
        console().print(escape(f"{what}, but NOT written: not authentic under the trust file ({why})"), highlight=False)


def fetch_refresh(service: OnlineSource, old: BundleHead, target: str | None) -> tuple[bytes, list[bytes]]:
    """The server's newer bundle of ``old``'s label and its consistency proof from ``old``'s tree, unchecked."""
    return service.bundle_refresh(old.label_id, old.size, target or old.target_scheme, old.scheme)


def refreshed(service: OnlineSource, data: bytes, target: str | None) -> tuple[bytes, BundleHead]:
    """A newer bundle of the label ``data`` holds, fetched from ``service`` and checked to extend it (the server
    is never trusted: :func:`verifier.bundle_refresh.check_refresh`, then the buyer's verification)."""
    old = bundle_head(data)
    fresh, proof = fetch_refresh(service, old, target)
    return fresh, check_refresh(old, fresh, proof)


def _not_below_kept(data: bytes, kept: KeptCheckpoint) -> None:
    """:func:`verifier.bundle_refresh.require_not_older` for a bundle fetched by label; one that does not parse is
    left to step 1."""
    try:
        head = bundle_head(data, "the bundle the source sent")
    except CarbonLedgerError:
        return
    require_not_older(head, kept.size)


def online(
    service: OnlineSource, data: bytes, target: str | None, kept: KeptCheckpoint | None
) -> tuple[bytes, KeptCheckpoint | None, list[bytes] | None]:
    """``verify BUNDLE --server``: the bundle to verify, the checkpoint to hold it against (step 7) and the
    consistency proof to it. The refresh must extend the bundle and reach the buyer's kept tree
    (:func:`verifier.bundle_refresh.check_refresh`). One that does not extend the bundle's checkpoint is a
    forgery or a fork, and only the trust file tells which: it is verified against the bundle's own checkpoint
    as the one kept, so a forged checkpoint fails step 6 (not authentic) and a genuine fork fails step 7."""
    old = bundle_head(data)
    fresh, proof = fetch_refresh(service, old, target)
    try:
        check_refresh(old, fresh, proof, kept.size if kept is not None else 0)
    except InputError as e:
        if e.code != "refresh.inconsistent":
            raise
        return fresh, KeptCheckpoint(old.origin, old.size, old.root), proof
    return fresh, kept, None


def register(app: typer.Typer) -> None:
    bundle_app = typer.Typer(cls=_BundleGroup, no_args_is_help=True, help="Write a bundle for a label, or refresh one.")
    app.add_typer(bundle_app, name="bundle")

    @bundle_app.command("refresh")
    def bundle_refresh(
        ctx: typer.Context,
        bundle_file: Annotated[Path, typer.Argument(help="The bundle to refresh.")],
        out: Annotated[Path, typer.Option("--out", help="Refreshed bundle file to write.")],
        server: Annotated[str | None, typer.Option("--server", help="Log service URL.")] = None,
        tiles: Annotated[
            str | None, typer.Option("--tiles", help="The log's static tiles instead (a directory or URL prefix).")
        ] = None,
        to: Annotated[str | None, typer.Option("--to", help="Target scheme (default: the bundle's).")] = None,
        trust: Annotated[
            Path | None,
            typer.Option("--trust", help="Trust file: write the refreshed bundle only if it is authentic under it."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Fetch a newer checkpoint and fresh status proofs for the bundle's label; check that they extend the
        bundle (same label entry, a consistency proof) and write a bundle that verifies offline afterwards.
        Without --trust the new checkpoint's signatures are not checked here (`verify` checks them); with it, a
        refresh that is not authentic is not written (exit 3, or 5 for an unusable trust file)."""
        trust_bytes = None if trust is None else _read(trust, "trust file")
        source = cli_context(ctx).online_source(server, tiles, trust_bytes)
        if source is None:
            raise UsageError("give --server URL or --tiles URL_OR_DIR", code="input.missing", field="--server")
        data, head = refreshed(source, _read(bundle_file, "bundle"), to)
        report = None
        if trust_bytes is not None:
            now = datetime.now(UTC)
            report = verify_bundle(data, trust_bytes, at=now.date(), now=now, label_id=head.label_id)
        authentic = None if report is None else report.authentic
        if authentic is not False:
            write_bytes_atomic(out, data)
        result = {
            "bundle_file": str(out) if authentic is not False else None,
            "bytes": len(data),
            "tree_size": head.size,
            "label_id": head.label_id,
            "authentic": authentic,  # None: not checked (no --trust)
            "verdict": None if report is None else report.verdict(),
        }
        emit(result, as_json, lambda v: _print_refresh(v, report, out))
        if report is not None and not report.authentic:
            raise typer.Exit(report.exit_code())

    @bundle_app.command("show")
    def bundle_show(
        bundle_file: Annotated[Path, typer.Argument(help="The bundle file to look inside.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the contents as JSON.")] = False,
    ) -> None:
        """What a bundle holds — its label, entries, checkpoint and status items — decoded, NOT verified."""
        from verifier.bundle_view import describe_bundle

        emit(describe_bundle(_read(bundle_file, "bundle")), as_json, _print_bundle)

    @bundle_app.command("create")
    def bundle(
        ctx: typer.Context,
        label_id: Annotated[str, typer.Argument(help="The label's id.")],
        out: Annotated[Path, typer.Option("--out", help="Bundle file to write.")],
        scheme: Annotated[str | None, typer.Option(help="The label's scheme, if its id is ambiguous.")] = None,
        to: Annotated[str | None, typer.Option("--to", help="Target scheme the buyer asks about.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Write a self-contained bundle for offline verification of a label."""
        data = build_bundle(cli_context(ctx).log(), label_id, scheme, to)
        out.write_bytes(data)
        emit(
            {"bundle_file": str(out), "bytes": len(data)},
            as_json,
            lambda v: console().print(f"bundle for {label_id} written to {out} ({len(data)} bytes)"),
        )

    trust_app = typer.Typer(no_args_is_help=True, help="Trust files for buyers: export, show, prune.")
    app.add_typer(trust_app, name="trust")
    register_trust(trust_app)

    @trust_app.command("export")
    def trust_export(
        ctx: typer.Context,
        out: Annotated[Path, typer.Option("--out", help="Where to write the trust file.")],
        buyer_scheme: Annotated[str | None, typer.Option(help="The buyer's own scheme.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Write a trust file for this log (the log key, its witnesses and threshold, every scheme's current root;
        prune before use)."""
        trust = export_trust(cli_context(ctx).log(), buyer_scheme)
        write_json_atomic(out, trust.to_dict())
        emit(
            {"trust_file": str(out), "schemes": sorted(trust.scheme_roots)},
            as_json,
            lambda v: console().print(
                f"trust file written to {out}: log {trust.origin}, {len(trust.scheme_roots)} schemes, "
                f"{len(trust.witness_vkeys)} witnesses (threshold {trust.threshold})"
            ),
        )

    @app.command()
    def verify(
        ctx: typer.Context,
        bundle_file: Annotated[Path | None, typer.Argument(help="Bundle file.")] = None,
        trust: Annotated[Path | None, typer.Option("--trust", help="Trust file.")] = None,
        to: Annotated[str | None, typer.Option("--to", help="Is it equivalent under this scheme?")] = None,
        at: Annotated[str | None, typer.Option("--at", help="Date asked, YYYY-MM-DD (default today).")] = None,
        label: Annotated[
            str | None,
            typer.Option(
                "--label", help="The label asked about: a bundle of another label fails; with --server, fetch it."
            ),
        ] = None,
        scheme: Annotated[
            str | None, typer.Option("--scheme", help="The label's scheme: a bundle of another scheme's label fails.")
        ] = None,
        server: Annotated[str | None, typer.Option("--server", help="Log service URL (online mode).")] = None,
        tiles: Annotated[
            str | None,
            typer.Option("--tiles", help="The log's static tiles (a directory or URL prefix), instead of --server."),
        ] = None,
        state: Annotated[
            Path | None,
            typer.Option(
                "--state",
                help="Where this buyer keeps the last checkpoint seen of each log (step 7); "
                "default: kept-checkpoints.json in the home.",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    ) -> None:
        """Verify a label bundle offline against a trust file. Exit 0 ok, 3 not authentic, 4 not equivalent (or no
        evidence about the scheme asked), 5 unusable input, 6 not valid on the date, 7 checkpoint inconsistent,
        8 status older than the trust file's max_status_age_s (status_stale).

        The question is bound to the answer: with --label (and --scheme) a bundle holding another label is not
        authentic (exit 3), whoever sent it. Equivalence is asked under --to, else the trust file's buyer
        scheme — never under a target the bundle names."""
        c = cli_context(ctx)
        if trust is None:
            raise UsageError("--trust TRUST_FILE is required", code="input.missing", field="--trust")
        trust_bytes = _read(trust, "trust file")
        source = c.online_source(server, tiles, trust_bytes)
        fetched = bundle_file is None
        if bundle_file is not None:
            data = _read(bundle_file, "bundle")
        elif label is not None and source is not None:
            data = source.bundle(label, to, scheme)
        else:
            raise UsageError("give a BUNDLE file, or --label ID with --server URL (or --tiles)", code="input.missing")
        try:
            asked = date.fromisoformat(at) if at else datetime.now(UTC).date()
        except ValueError as e:
            raise InputError(f"--at {at!r} is not a YYYY-MM-DD date", code="input.invalid", field="--at") from e
        kept_store = KeptCheckpoints(c.home, state)
        origin = kept_key(bundle_origin(data), trust_bytes)  # one log: its origin and the key the buyer trusts
        kept = kept_store.get(origin)
        if fetched and kept is not None:
            _not_below_kept(data, kept)
        proof = None
        if bundle_file is not None and source is not None:
            # Online: refresh in memory, then verify the refreshed bundle (it holds the old one's label entry;
            # the question asked, --label and --scheme, still binds it).
            data, kept, proof = online(source, data, to, kept)
        if proof is None and kept is not None and source is not None:
            sizes = consistency_sizes(data, kept)
            if sizes is not None:
                proof = source.consistency_proof(*sizes)
        # The label asked about and the target scheme come from the buyer, never from the bundle: the verifier
        # fails step 2 for a bundle of another label (exit 3) and, without --to, asks the trust file's buyer scheme.
        report = verify_bundle(
            data,
            trust_bytes,
            at=asked,
            now=datetime.now(UTC),
            kept=kept,
            consistency_proof=proof,
            target_scheme=to,
            label_id=label,
            label_scheme=scheme,
        )
        updated = kept_store.keep(origin, report)
        out = {**report.to_dict(), "kept_state": {"file": str(kept_store.path), "updated": updated}}
        emit(out, as_json, lambda v: _print_report(v, label, scheme))
        if report.exit_code():
            raise typer.Exit(report.exit_code())
