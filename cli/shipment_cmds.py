"""`carbonledger verify-shipment`: many bundles against one trust file, as a customs broker checks a shipment."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.input_files import read_input_file
from mapping.errors import InputError, UnreadableEvidenceError
from verifier.report import verdict_line
from verifier.shipment_workers import ShipmentWorkers, default_processes
from verifier.verify import VerifierCache

from .output import console, emit

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("verify-shipment")
    def verify_shipment_cmd(
        bundle_files: Annotated[list[Path], typer.Argument(help="The bundle files, each of one label.")],
        trust: Annotated[Path, typer.Option("--trust", help="Trust file.")],
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
        the order given); --json lists each bundle's verdict, exit code and report."""
        trust_bytes = read_input_file(trust, "trust file", error=UnreadableEvidenceError)
        bundles = [read_input_file(p, "bundle", error=UnreadableEvidenceError) for p in bundle_files]
        try:
            asked = date.fromisoformat(at) if at else datetime.now(UTC).date()
        except ValueError as e:
            raise InputError(f"--at {at!r} is not a YYYY-MM-DD date", code="input.invalid", field="--at") from e
        with ShipmentWorkers(processes or _default_processes(len(bundles))) as workers:
            reports = workers.verify(
                bundles, trust_bytes, at=asked, now=datetime.now(UTC), target_scheme=to, cache=VerifierCache()
            )
        items = [{"file": str(p), **r.to_dict()} for p, r in zip(bundle_files, reports, strict=True)]
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


def _default_processes(bundles: int) -> int:
    """One a core (at most four), and one alone for a shipment too small to be worth a worker's start-up."""
    return default_processes() if bundles >= 200 else 1


def _print_summary(v: dict[str, Any]) -> None:
    from rich.markup import escape

    for it in v["reports"]:
        console().print(f"{escape(it['file'])}: {escape(verdict_line(it))}", highlight=False)
    console().print(f"[bold]{v['verified']} of {v['bundles']} bundles verified[/]")
