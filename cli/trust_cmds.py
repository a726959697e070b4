"""`carbonledger trust show|prune`: what a trust file trusts, with the fingerprints a buyer checks on a second
channel, and the same file narrowed to the schemes the buyer actually accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.home import write_json_atomic
from ledger.input_files import read_input_file
from verifier.note import parse_vkey
from verifier.trust import Trust, fingerprint, parse_trust, pruned

from .options import JsonOpt
from .output import console, emit

__all__ = ["register_trust"]

TrustFile = Annotated[Path, typer.Argument(help="The trust file.", metavar="TRUST")]


def _read_trust(path: Path) -> Trust:
    return parse_trust(read_input_file(path, "trust file"))


def describe_trust(t: Trust) -> dict[str, Any]:
    """The trust file for a person: the log, its witnesses, each scheme's root key fingerprints."""
    log_key = parse_vkey(t.log_vkey)
    return {
        "log": {"origin": t.origin, "fingerprint": fingerprint(log_key.public_key), "vkey": t.log_vkey},
        "witnesses": {
            "threshold": t.threshold,
            "keys": [
                {"name": (k := parse_vkey(v)).name, "fingerprint": fingerprint(k.public_key)} for v in t.witness_vkeys
            ],
        },
        "schemes": {s: sorted(fingerprint(k) for k in keys) for s, keys in sorted(t.scheme_roots.items())},
        "buyer_scheme": t.buyer_scheme,
        "max_status_age_s": t.max_status_age_s,
        "max_checkpoint_age_s": t.max_checkpoint_age_s,
    }


def _print(v: dict[str, Any]) -> None:
    c = console()
    c.print(f"log {v['log']['origin']}  key fingerprint {v['log']['fingerprint']}", highlight=False)
    w = v["witnesses"]
    c.print(f"witnesses: {len(w['keys'])}, threshold {w['threshold']}", highlight=False)
    for k in w["keys"]:
        c.print(f"  {k['name']}  {k['fingerprint']}", highlight=False)
    c.print(
        f"schemes trusted: {len(v['schemes'])}" + (f" (buyer's own: {v['buyer_scheme']})" if v["buyer_scheme"] else "")
    )
    for s, fps in v["schemes"].items():
        c.print(f"  {s}  root {', '.join(fps)}", highlight=False)


def register_trust(trust_app: typer.Typer) -> None:
    @trust_app.command("show")
    def trust_show(trust: TrustFile, as_json: JsonOpt = False) -> None:
        """What a trust file trusts, with key fingerprints to compare on a second channel."""
        emit(describe_trust(_read_trust(trust)), as_json, _print)

    @trust_app.command("prune")
    def trust_prune(
        trust: TrustFile,
        keep: Annotated[str, typer.Option("--keep", help="Comma-separated scheme ids to keep trusting.")],
        out: Annotated[Path, typer.Option("--out", help="The narrowed trust file to write.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Write the trust file narrowed to the schemes you actually accept."""
        narrowed = pruned(_read_trust(trust), [s.strip() for s in keep.split(",") if s.strip()])
        write_json_atomic(out, narrowed.to_dict())
        emit(
            {"trust_file": str(out), "schemes": sorted(narrowed.scheme_roots)},
            as_json,
            lambda v: console().print(f"trust file written to {out}: {', '.join(v['schemes'])}", highlight=False),
        )
