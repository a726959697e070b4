"""`carbonledger monitor`: follow a log, replay every entry through the rule book, catch split views; and
`carbonledger bench monitor`.

Exit codes (stable): 0 all consistent; 9 a rule broken or a root mismatch (the finding names the entry, its id
and the rule; a status root mismatch may be of a witness's checkpoint), or the log's newest checkpoint is smaller
than one it served before (``log.rollback``); 10 a split view (the finding carries both signed notes, or the one
note no tree can have); an error of reaching or reading the log, the trust file or the state is the usual error
line (or ``{"error": ...}`` with ``--json``) and exit 1 (2 for a usage error). Without ``--once`` the monitor
polls every ``--interval`` seconds until interrupted, printing one report per poll (with ``--json``: one JSON
object per line), and exits with the worst exit code it saw.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ledger import precheck
from ledger.input_files import read_input_file
from ledger.log_source_api import ApiSource, fetch_witness_checkpoint
from ledger.monitor import Monitor, WitnessReader
from ledger.monitor_state import MonitorFiles
from mapping.errors import CarbonLedgerError, InputError, UsageError
from verifier.trust import parse_trust

from .context import cli_context
from .options import JsonOpt
from .output import console, emit, emit_error

__all__ = ["register"]

TILES_AVAILABLE = importlib.util.find_spec("ledger.tiles_source") is not None


def _source(log_url: str | None, tiles: str | None, http_client: Any) -> Any:
    if (log_url is None) == (tiles is None):
        raise UsageError("monitor needs exactly one of --log URL or --tiles URL_OR_DIR", code="input.missing")
    if tiles is not None:
        from ledger.tiles_source import TilesSource

        return TilesSource(tiles, http_client)
    assert log_url is not None
    if not log_url.startswith(("http://", "https://")):
        raise InputError(f"--log takes an http(s) URL of the log's API, not {log_url!r}", code="monitor.bad_url")
    return ApiSource(log_url, http_client)


def _witness_readers(urls: list[str], origin: str, http_client: Any) -> list[WitnessReader]:
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"--witness takes an http(s) URL, not {url!r}", code="monitor.bad_url")
    return [(url, lambda url=url: fetch_witness_checkpoint(url, origin, http_client)) for url in urls]


def _print_human(v: dict[str, Any]) -> None:
    colour = {"consistent": "green", "broken": "bold red", "split_view": "bold red"}[v["verdict"]]
    console().print(
        f"[{colour}]{v['verdict']}[/] (exit {v['exit_code']}): {escape(v['origin'])} at size {v['size']} "
        f"(the log serves {v['log_size']}); fetched {v['fetched']}, replayed {v['replayed']}",
        highlight=False,
    )
    for w in v["witnesses"]:
        seen = f"size {w['size']}, cosigned by {', '.join(w['cosigned_by']) or 'no trusted witness'}"
        console().print(f"  witness {escape(w['url'])}: {escape(w['error'] or seen)}", highlight=False)
    for f in v["findings"]:
        console().print(f"  [red]{escape(f['type'])}[/] [{escape(f['rule'])}] {escape(f['message'])}", highlight=False)
        for note in f.get("notes", ()):
            console().print("    " + escape(note).replace("\n", "\n    "), highlight=False)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    @app.command("monitor")
    def monitor(
        ctx: typer.Context,
        trust: Annotated[Path, typer.Option("--trust", help="The trust file: the log's origin and key.")],
        state: Annotated[Path, typer.Option("--state", help="The monitor's state directory (created if missing).")],
        log_url: Annotated[str | None, typer.Option("--log", help="The log's API, an http(s) URL.")] = None,
        tiles: Annotated[
            str | None,
            typer.Option("--tiles", help="The log's C2SP tiles (tlog-tiles), a URL or a directory."),
        ] = None,
        witness: Annotated[
            list[str] | None, typer.Option("--witness", help="A witness to ask for its newest checkpoint (repeat).")
        ] = None,
        once: Annotated[
            bool, typer.Option("--once", help="Run once and exit (default: poll until interrupted).")
        ] = False,
        interval: Annotated[float, typer.Option("--interval", min=0.0, help="Seconds between polls.")] = 60.0,
        workers: Annotated[
            bool,
            typer.Option(
                "--workers/--no-workers", help="Check large batches of entries in worker processes (default)."
            ),
        ] = True,
        as_json: JsonOpt = False,
    ) -> None:
        """Follow a log: verify its checkpoints, replay every entry through the rule book, recompute the status
        map root, and compare every checkpoint seen (from the log and the witnesses) for a split view."""
        if tiles is not None and not TILES_AVAILABLE:
            raise InputError("this build has no tiles reader (ledger.tiles_source)", code="monitor.no_tiles")
        http_client = cli_context(ctx).injected.http_client
        trusted = parse_trust(read_input_file(trust, "trust file"))
        source = _source(log_url, tiles, http_client)
        readers = _witness_readers(witness or [], trusted.origin, http_client)
        files = MonitorFiles(state)
        worst = 0
        try:
            mon = Monitor(trusted, files, use_workers=workers)
            while True:
                try:
                    report = mon.run_once(source, readers).to_dict()
                except CarbonLedgerError as e:
                    if once:
                        raise
                    emit_error(e.to_dict(), as_json)  # polling goes on: the log may be back next time
                    worst = max(worst, e.exit_code)
                else:
                    worst = max(worst, report["exit_code"])
                    if once or not as_json:
                        emit(report, as_json, _print_human)
                    else:
                        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
                        sys.stdout.flush()
                if once:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            files.close()
            precheck.shutdown_workers()  # none started unless a batch was large enough
        if worst:
            raise typer.Exit(worst)

    @bench_app.command("monitor")
    def bench_monitor(
        n: Annotated[int, typer.Option("--n", min=1, help="Label entries in the log the monitor follows.")] = 10000,
        as_json: JsonOpt = False,
    ) -> None:
        """Entries the monitor replays per second (fetched over the API in this process) vs raw Ed25519 verify."""
        from ledger.bench_monitor import bench_monitor as run

        emit(
            run(n),
            as_json,
            lambda v: console().print(
                f"monitor {v['monitor_per_s']:.0f} entries/s (first run over the API), resume "
                f"{v['resume_per_s']:.0f}/s (re-fold of the state), raw Ed25519 verify {v['baseline_per_s']:.0f}/s: "
                f"ratio [bold]{v['ratio']:.0%}[/] (n {v['n']})"
            ),
        )
