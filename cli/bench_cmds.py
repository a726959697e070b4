"""`carbonledger bench ...`: print medians and the raw baseline measured in the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mapping.errors import UsageError

from .output import console, emit

__all__ = ["register"]


def register(bench_app: typer.Typer) -> None:
    @bench_app.command("ingest")
    def ingest(
        n: Annotated[int, typer.Option("--n", min=1, help="Label entries to ingest.")] = 20000,
        batch: Annotated[
            int,
            typer.Option(
                min=1, max=10000, help="Entries per append batch (the service's sequencer batches up to 1000)."
            ),
        ] = 1000,
        workers: Annotated[
            bool,
            typer.Option(
                "--workers/--no-workers",
                help="Check envelopes in worker processes (the service's default) or all in this process.",
            ),
        ] = True,
        witnesses: Annotated[
            int, typer.Option(min=0, max=8, help="Witnesses (in this process) that must cosign every checkpoint.")
        ] = 0,
        processes: Annotated[
            int | None,
            typer.Option(
                min=1,
                max=16,
                help="Submit over HTTP to this many `serve` processes on one database (and, first, to one).",
            ),
        ] = None,
        database_url: Annotated[
            str | None,
            typer.Option(help="With --processes: a database holding no log yet (default: a temporary SQLite file)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    ) -> None:
        """Ingest realistic signed labels into a fresh SQLite store vs raw Ed25519 verification; with --processes,
        through that many API processes on one database, next to one."""
        if processes is not None:
            from ledger.bench_processes import bench_processes

            figures = bench_processes(n, processes, database_url)
            emit(
                figures,
                as_json,
                lambda v: console().print(
                    f"ingest over HTTP: {v['processes']} processes {v['per_s']:.0f}/s (ratio {v['ratio']:.1%}), one "
                    f"process {v['one_process_per_s']:.0f}/s (ratio {v['one_process_ratio']:.1%}); raw Ed25519 "
                    f"{v['baseline_per_s']:.0f}/s; {v['n']} entries each, {v['submitters']} submitters, {v['store']}"
                ),
            )
            return
        if database_url is not None:
            raise UsageError("--database-url goes with --processes", code="usage", field="--database-url")
        from ledger.bench import bench_ingest

        result = bench_ingest(n, batch, precheck_workers=workers, witnesses=witnesses)
        emit(
            result,
            as_json,
            lambda v: console().print(
                f"ingest {v['median_per_s']:.0f}/s (median of {v['batches']} batches), raw Ed25519 verify "
                f"{v['baseline_per_s']:.0f}/s: ratio [bold]{v['ratio']:.0%}[/]; entries {v['entry_bytes_median']} B; "
                f"max RSS {v['max_rss_mb']} MB"
            ),
        )

    @bench_app.command("proofs")
    def proofs(
        size: Annotated[int, typer.Option("--size", min=1, help="Leaves in the store.")] = 1_000_000,
        samples: Annotated[int, typer.Option(min=10, help="Proofs of each kind to time.")] = 1000,
        db: Annotated[Path | None, typer.Option(help="Reuse (or create) this SQLite file.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Inclusion, consistency and status proof latency on a SQLite store of SIZE leaves."""
        from ledger.bench import bench_proofs

        result = bench_proofs(size, samples, db)
        emit(
            result,
            as_json,
            lambda v: console().print(
                f"size {v['size']}: inclusion {v['inclusion_ms_median']} ms, consistency "
                f"{v['consistency_ms_median']} ms, status {v['status_ms_median']} ms (medians of {v['samples']})"
            ),
        )

    @bench_app.command("verify")
    def verify(
        n: Annotated[int, typer.Option("--n", min=1, help="Bundles (of different labels) to verify.")] = 2000,
        rounds: Annotated[int, typer.Option(min=1, help="Timed rounds; the median is reported.")] = 5,
        bundle_version: Annotated[
            int | None, typer.Option("--bundle-version", min=1, max=2, help="Bundle version (default the log's: 2).")
        ] = None,
        processes: Annotated[
            int | None,
            typer.Option(min=1, help="Processes the shipment is verified on (default: one a core, at most 4)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Full offline bundle verifications per second vs raw Ed25519 verification of the label payloads."""
        from ledger.bench_verify import bench_verify

        result = bench_verify(n, rounds, bundle_version, processes)
        emit(
            result,
            as_json,
            lambda v: console().print(
                f"verify {v['median_per_s']:.0f} bundles/s on {v['processes']} processes, raw Ed25519 "
                f"{v['baseline_per_s']:.0f}/s: ratio [bold]{v['ratio']:.0%}[/] (one process "
                f"{v['one_process_ratio']:.0%}; median of {v['rounds']} rounds of {v['n']} bundles "
                f"v{v['bundle_version']})"
            ),
        )
