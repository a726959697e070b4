"""`carbonledger verify-shipment`: many bundles against one trust file, as a customs broker checks a shipment."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.input_files import read_input_file
from mapping.errors import InputError, UnreadableEvidenceError, UsageError
from verifier.report import EXIT_UNUSABLE, verdict_line
from verifier.shipment_workers import ShipmentWorkers, processes_for

from .output import console, emit

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("verify-shipment")
    def verify_shipment_cmd(
        bundle_files: Annotated[
            list[Path] | None, typer.Argument(metavar="BUNDLE...", help="The bundle files, each of one label.")
        ] = None,
        trust: Annotated[Path | None, typer.Option("--trust", help="Trust file.")] = None,
        to: Annotated[str | None, typer.Option("--to", help="Is each label equivalent under this scheme?")] = None,
        at: Annotated[str | None, typer.Option("--at", help="Date asked, YYYY-MM-DD (default today).")] = None,
        processes: Annotated[
            int | None,
            typer.Option(min=1, help="Processes to verify on (this one included; default: one a core, at most 4)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
    ) -> None:
        """Verify bundles offline against one trust file, each exactly as `verify` does (without its kept
        checkpoint). Exit 0 when every bundle verifies, else the exit code of the first that does not (in
        the order given; a file that cannot be read is unusable input, 5); --json lists each bundle's verdict,
        exit code and report."""
        if trust is None:
            raise UsageError("--trust TRUST_FILE is required", code="input.missing", field="--trust")
        if not bundle_files:
            raise UsageError("give one or more BUNDLE files", code="input.missing", field="BUNDLE")
        trust_bytes = read_input_file(trust, "trust file", error=UnreadableEvidenceError)
        try:
            asked = date.fromisoformat(at) if at else datetime.now(UTC).date()
        except ValueError as e:
            raise InputError(f"--at {at!r} is not a YYYY-MM-DD date", code="input.invalid", field="--at") from e
        read: dict[int, bytes] = {}
        items: list[dict[str, Any]] = []
        for i, path in enumerate(bundle_files):
            try:
                read[i] = read_input_file(path, "bundle", error=UnreadableEvidenceError)
                items.append({"file": str(path)})
            except UnreadableEvidenceError as e:  # this bundle's step 1, not the shipment's end
                items.append(
                    {"file": str(path), "verdict": "unusable_input", "exit_code": EXIT_UNUSABLE, "error": e.to_dict()}
                )
        with ShipmentWorkers(processes or processes_for(len(read))) as workers:
            reports = workers.verify(
                list(read.values()),
                trust_bytes,
                at=asked,
                now=datetime.now(UTC),
                target_scheme=to,
            )
        for i, report in zip(read, reports, strict=True):
            items[i].update(report.to_dict())
        failing = [it["exit_code"] for it in items if it["exit_code"]]
        out = {
            "bundles": len(items),
            "verified": len(items) - len(failing),
            "exit_code": failing[0] if failing else 0,
            "reports": items,
        }
        emit(out, as_json, _print_summary)
        if failing:
            raise typer.Exit(failing[0])


def _print_summary(v: dict[str, Any]) -> None:
    from rich.markup import escape

    for it in v["reports"]:
        said = verdict_line(it) if "steps" in it else f"UNUSABLE_INPUT: {it['error']['message']}"
        console().print(f"{escape(it['file'])}: {escape(said)}", highlight=False)
    console().print(f"[bold]{v['verified']} of {v['bundles']} bundles verified[/]")
