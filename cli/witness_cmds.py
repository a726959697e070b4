"""`carbonledger witness keygen|serve` (a C2SP tlog-witness) and `carbonledger bench witness`.

The witness's name is stored with its key: ``keygen --name NAME --out FILE`` writes the private key to FILE
(PEM, ledger.home.write_key_file; encrypted when $CARBONLEDGER_KEY_PASSPHRASE is set) and its public C2SP
verifier key (``NAME+hash+base64(0x04 || key)``) to ``FILE.vkey``. ``serve --key FILE`` reads both and
refuses a .vkey that does not hold FILE's public key; the .vkey is what logs and buyers' trust files list.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from ledger.home import read_key_file, write_key_file, write_private_file
from ledger.witness_core import TrustedLogs, WitnessIdentity, trusted_logs
from mapping.errors import ConfigError, MissingExtraError, NoteError
from verifier.keys import SigningKey
from verifier.note import COSIGNATURE_V1_KEY_TYPE, parse_vkey
from verifier.note_syntax import check_name

from .options import JsonOpt
from .output import console, emit

__all__ = ["register", "vkey_path"]


def vkey_path(key_file: Path) -> Path:
    """The file beside a witness key file holding its verifier key (its name with it)."""
    return key_file.with_name(key_file.name + ".vkey")


def _load_identity(key_file: Path) -> WitnessIdentity:
    key = read_key_file(key_file)
    path = vkey_path(key_file)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(
            f"cannot read {path} (the witness's verifier key, written by 'witness keygen'): {e.strerror}",
            code="witness.no_vkey_file",
        ) from e
    try:
        vkey = parse_vkey(text)
    except NoteError as e:
        raise ConfigError(f"{path}: {e.message}", code="witness.bad_vkey_file") from e
    if vkey.key_type != COSIGNATURE_V1_KEY_TYPE or vkey.public_key != key.public_key:
        raise ConfigError(f"{path} is not the cosignature/v1 verifier key of {key_file}", code="witness.bad_vkey_file")
    return WitnessIdentity(vkey.name, key)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    witness_app = typer.Typer(no_args_is_help=True, help="A C2SP tlog-witness: cosign logs' consistent checkpoints.")
    app.add_typer(witness_app, name="witness")

    @witness_app.command("keygen")
    def keygen(
        name: Annotated[str, typer.Option("--name", help="The witness's name (a schema-less URL, e.g. w.example/1).")],
        out: Annotated[Path, typer.Option("--out", help="Private key file to write (and OUT.vkey beside it).")],
        as_json: JsonOpt = False,
    ) -> None:
        """Make a witness key; print its C2SP verifier key (type 0x04) for logs and trust files."""
        try:
            check_name(name, "witness.bad_name")
        except NoteError as e:
            raise ConfigError(e.message, code="witness.bad_name") from e
        for path in (out, vkey_path(out)):
            if path.exists():
                raise ConfigError(f"{path} exists; refusing to overwrite a key file", code="key.exists")
        identity = WitnessIdentity(name, SigningKey.generate())
        write_key_file(out, identity.key)
        write_private_file(vkey_path(out), (identity.vkey + "\n").encode())
        emit(
            {"name": name, "vkey": identity.vkey, "key_file": str(out), "vkey_file": str(vkey_path(out))},
            as_json,
            lambda v: print(v["vkey"]),
        )

    @witness_app.command("serve")
    def serve(
        key: Annotated[Path, typer.Option("--key", help="The witness's key file (from 'witness keygen').")],
        logs: Annotated[list[str], typer.Option("--log", help="A trusted log's verifier key (repeatable).")],
        state: Annotated[Path, typer.Option("--state", help="Directory of the witness's state (witness.db).")],
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8080,
        log_level: Annotated[str, typer.Option(help="Logging level (access lines are INFO).")] = "info",
        limit_concurrency: Annotated[
            int, typer.Option(min=1, help="Connections or requests at once; past it, requests get HTTP 503.")
        ] = 256,
    ) -> None:
        """Serve POST /add-checkpoint (C2SP tlog-witness) and GET /checkpoints/ORIGIN until stopped.

        A request body must arrive within ledger.witness_app.BODY_TIMEOUT_S (else 408), and at most
        --limit-concurrency connections are served at once (uvicorn answers 503 past it), so slow or idle
        clients cannot pile up without bound."""
        try:
            import uvicorn

            from ledger.witness_app import create_witness_app
        except ImportError as e:
            raise MissingExtraError("server", "serving a witness over HTTP", e) from e
        from ledger.witness_state import WitnessStore

        identity = _load_identity(key)
        trusted: TrustedLogs = trusted_logs(logs)
        store = WitnessStore(state, identity.vkey)
        _log_to_stderr(log_level)
        console().print(identity.vkey, highlight=False, soft_wrap=True)
        console().print(
            f"witness [bold]{identity.name}[/] for {', '.join(trusted.origins())} on http://{host}:{port}/",
            soft_wrap=True,
        )
        sys.stdout.flush()
        try:
            uvicorn.run(
                create_witness_app(identity, trusted, store), host=host, port=port, log_level=log_level,
                access_log=False, limit_concurrency=limit_concurrency,
            )  # fmt: skip
        finally:
            store.close()

    @bench_app.command("witness")
    def bench_witness(
        n: Annotated[int, typer.Option("--n", min=1, help="add-checkpoint requests per round.")] = 300,
        rounds: Annotated[int, typer.Option(min=1, help="Timed rounds; the medians are reported.")] = 3,
        as_json: JsonOpt = False,
    ) -> None:
        """add-checkpoint requests per second (in-process ASGI, durable state) vs raw Ed25519 verification."""
        from ledger.bench_witness import bench_witness as run

        result = run(n, rounds)
        emit(
            result,
            as_json,
            lambda v: console().print(
                f"witness {v['median_per_s']:.0f} add-checkpoint/s ({v['mode']}); core alone {v['core_per_s']:.0f}/s; "
                f"raw Ed25519 verify {v['baseline_per_s']:.0f}/s: ratio [bold]{v['ratio']:.1%}[/] "
                f"(median of {v['rounds']} rounds of {v['n']})",
                soft_wrap=True,
            ),
        )


def _log_to_stderr(level: str) -> None:
    logger = logging.getLogger("carbonledger.witness")
    logger.setLevel(level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
