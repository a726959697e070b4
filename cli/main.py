"""`carbonledger`: the command line. Thin: parse options, call ledger/verifier/mapping, print."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.home import Settings, init_home, load_settings, read_key_file, resolve_home, write_key_file
from ledger.issuer import ChainBook, build_and_sign
from ledger.log import Log, Receipt, utc_now
from ledger.runtime import open_log
from mapping.errors import CarbonLedgerError, InputError
from verifier.canonical import loads_strict
from verifier.envelope import public_key_to_b64
from verifier.keys import SigningKey
from verifier.merkle import leaf_hash

from .errors import EXIT_ERROR, exit_code_for, number
from .output import console, emit, emit_error

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Carbon-label ledger: issue, publish, verify.")
scheme_app = typer.Typer(no_args_is_help=True, help="Schemes: register, list, compare.")
key_app = typer.Typer(no_args_is_help=True, help="Authorize and revoke signing keys.")
label_app = typer.Typer(no_args_is_help=True, help="Issue, revoke and supersede labels.")
log_app = typer.Typer(no_args_is_help=True, help="Read the log: checkpoints, entries, proofs.")
prove_app = typer.Typer(no_args_is_help=True, help="Inclusion and consistency proofs.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (ratios against a raw baseline).")
app.add_typer(scheme_app, name="scheme")
app.add_typer(key_app, name="key")
app.add_typer(label_app, name="label")
app.add_typer(log_app, name="log")
log_app.add_typer(prove_app, name="prove")
app.add_typer(bench_app, name="bench")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]
KeyOpt = Annotated[Path, typer.Option("--key", help="PEM key file that signs the entry.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the signed envelope here instead of submitting.")]


class _Ctx:
    def __init__(self, home: Path) -> None:
        self.home = home
        self._log: Log | None = None

    def settings(self) -> Settings:
        return load_settings(self.home)

    def log(self) -> Log:
        if self._log is None:
            self._log = open_log(self.settings())
        return self._log


_state: dict[str, _Ctx] = {}


def ctx() -> _Ctx:
    return _state["ctx"]


@app.callback()
def _root(
    home: Annotated[
        Path | None, typer.Option("--home", help="Data directory (default $CARBONLEDGER_HOME or ~/.carbonledger).")
    ] = None,
) -> None:
    _state["ctx"] = _Ctx(resolve_home(home))


# ---- set-up ------------------------------------------------------------------------
@app.command()
def init(
    origin: Annotated[
        str, typer.Option(help="The log's origin line (C2SP tlog-checkpoint).")
    ] = "carbonledger.local/log",
    allow: Annotated[list[str] | None, typer.Option("--allow", help="Scheme id allowed to register.")] = None,
    allow_any: Annotated[bool, typer.Option("--allow-any", help="Admit any new scheme id.")] = False,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default: SQLite in the home).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a data directory with a log key, or load an existing one."""
    settings = init_home(
        ctx().home, origin=origin, allowed_schemes=allow, allow_any_scheme=allow_any, database_url=database_url
    )
    if allow:
        from ledger.home import update_config

        update_config(settings.home, allowed_schemes=sorted(set(settings.policy.allowed_schemes) | set(allow)))
    log = ctx().log()
    emit(
        {
            "home": str(settings.home),
            "origin": log.origin,
            "vkey": log.vkey,
            "tree_size": log.size,
            "database_url": settings.database_url,
        },
        as_json,
        lambda v: console.print(f"home [bold]{v['home']}[/]\nlog key {v['vkey']}\ntree size {v['tree_size']}"),
    )


@app.command()
def keygen(
    out: Annotated[Path, typer.Option("--out", help="Where to write the PEM key file.")], as_json: JsonOpt = False
) -> None:
    """Generate an Ed25519 key (encrypted if CARBONLEDGER_KEY_PASSPHRASE is set)."""
    key = SigningKey.generate()
    write_key_file(out, key)
    emit(
        {"key_file": str(out), "key_id": key.key_id, "public_key": public_key_to_b64(key.public_key)},
        as_json,
        lambda v: console.print(f"key id {v['key_id']}\npublic key {v['public_key']}\nwritten to {out}"),
    )


# ---- signing and submitting ----------------------------------------------------------
def _sign(kind: str, fields: dict[str, Any], key_path: Path, out: Path | None, as_json: bool) -> None:
    key = read_key_file(key_path)
    c = ctx()
    book = ChainBook(c.home)
    head = None
    try:
        rec = c.log()._keys.get(key.key_id)
        if rec is not None and rec.head_seq >= 0:
            head = (rec.head_seq, rec.head_id)
    except CarbonLedgerError:
        head = None
    seq, prev = book.next_position(key.key_id, head)
    envelope, eid = build_and_sign(kind, fields, key, seq, prev, utc_now())
    if out is not None:
        out.write_bytes(envelope)
        book.advance(key.key_id, seq, eid)
        emit(
            {"envelope_file": str(out), "entry_id": eid, "kind": kind, "seq": seq},
            as_json,
            lambda v: console.print(f"signed {kind} {eid} (seq {seq}) into {out}"),
        )
        return
    receipt = c.log().submit(envelope)
    book.advance(key.key_id, seq, eid)
    _print_receipt(receipt, as_json)


def _print_receipt(receipt: Receipt, as_json: bool) -> None:
    emit(
        receipt.to_dict(),
        as_json,
        lambda v: console.print(
            f"[green]accepted[/] at index {v['index']} (tree size {v['tree_size']}), entry {v['entry_id']}"
        ),
    )


def _public_key_arg(public_key: str | None, key_file: Path | None) -> str:
    if key_file is not None:
        return public_key_to_b64(read_key_file(key_file).public_key)
    if public_key is None:
        raise InputError("give --public-key B64 or --key-file PEM", code="input.missing", field="public_key")
    return public_key


@scheme_app.command("register")
def scheme_register(
    scheme_id: Annotated[str, typer.Option("--id", help="Scheme id, e.g. gd-carbon-label.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    key: KeyOpt,
    role: Annotated[str, typer.Option(help="scheme or data-publisher")] = "scheme",
    name_zh: Annotated[str | None, typer.Option(help="Chinese name.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2.")] = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bind a scheme id to its root key (the key signs its own registration)."""
    info: dict[str, Any] = {"id": scheme_id, "name": name, "role": role}
    if name_zh:
        info["name_zh"] = name_zh
    if country:
        info["country"] = country
    root = read_key_file(key)
    fields = {"scheme": info, "public_key": public_key_to_b64(root.public_key)}
    _sign("scheme.register", fields, key, out, as_json)


@scheme_app.command("rotate")
def scheme_rotate(
    scheme_id: Annotated[str, typer.Option("--id")],
    key: KeyOpt,
    new_key_file: Annotated[Path, typer.Option("--new-key-file", help="PEM of the new root key.")],
    reason: Annotated[str, typer.Option()] = "scheduled rotation",
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand a scheme id to a new root key (signed by the current root)."""
    fields = {"scheme": scheme_id, "new_public_key": _public_key_arg(None, new_key_file), "reason": reason}
    _sign("scheme.rotate", fields, key, out, as_json)


@key_app.command("authorize")
def key_authorize(
    scheme: Annotated[str, typer.Option(help="The scheme granting authority.")],
    key: KeyOpt,
    holder: Annotated[str, typer.Option(help="Who holds the key, e.g. 'CQC Guangzhou'.")],
    kinds: Annotated[str, typer.Option(help="Comma-separated kinds.")] = "label.issue",
    holder_role: Annotated[
        str, typer.Option(help="label-office, certification-body or data-office")
    ] = "certification-body",
    public_key: Annotated[str | None, typer.Option(help="Raw public key, base64.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="PEM whose public key to authorize.")] = None,
    not_after: Annotated[str | None, typer.Option(help="Expiry, YYYY-MM-DDTHH:MM:SSZ.")] = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Authorize a key for some entry kinds (signed by the scheme's root key)."""
    fields: dict[str, Any] = {
        "scheme": scheme,
        "public_key": _public_key_arg(public_key, key_file),
        "kinds": [k.strip() for k in kinds.split(",") if k.strip()],
        "holder": {"name": holder, "role": holder_role},
    }
    if not_after:
        fields["not_after"] = not_after
    _sign("key.authorize", fields, key, out, as_json)


@key_app.command("revoke")
def key_revoke(
    scheme: Annotated[str, typer.Option()],
    key: KeyOpt,
    target: Annotated[str, typer.Option(help="Key id (hex) to revoke.")],
    reason: Annotated[str, typer.Option()],
    effective_from: Annotated[
        int | None,
        typer.Option(
            help="Log index from which its entries stop counting (compromise).", parser=number("--effective-from")
        ),
    ] = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a key (signed by the scheme's root key, or by the key itself)."""
    fields: dict[str, Any] = {"scheme": scheme, "key_id": target, "reason": reason}
    if effective_from is not None:
        fields["effective_from_index"] = effective_from
    _sign("key.revoke", fields, key, out, as_json)


def _read_json_file(path: Path, what: str) -> Any:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {what} {path}: {e.strerror}", code="input.unreadable") from e
    return loads_strict(data, what=what, max_bytes=1 << 20)


@label_app.command("issue")
def label_issue(
    label_file: Annotated[Path, typer.Argument(help="Label record JSON file.")],
    key: KeyOpt,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign a label record into a label.issue envelope (--out), or sign and submit it."""
    record = _read_json_file(label_file, "label record")
    if isinstance(record, dict) and "label" in record and "label_id" not in record:
        record = record["label"]
    _sign("label.issue", {"label": record}, key, out, as_json)


@label_app.command("revoke")
def label_revoke(
    scheme: Annotated[str, typer.Option()],
    label_id: Annotated[str, typer.Option("--label-id")],
    key: KeyOpt,
    reason: Annotated[str, typer.Option()],
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a label (by its own key or a key its scheme authorized for label.revoke)."""
    row = _label_row(scheme, label_id)
    _sign(
        "label.revoke",
        {"scheme": scheme, "label_id": label_id, "label_entry": row.entry_id, "reason": reason},
        key,
        out,
        as_json,
    )


@label_app.command("supersede")
def label_supersede(
    scheme: Annotated[str, typer.Option()],
    label_id: Annotated[str, typer.Option("--label-id")],
    replacement: Annotated[str, typer.Option(help="Label id of the replacement, already logged.")],
    key: KeyOpt,
    reason: Annotated[str, typer.Option()],
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Supersede a label by one already in the log."""
    row, new = _label_row(scheme, label_id), _label_row(scheme, replacement)
    _sign(
        "label.supersede",
        {
            "scheme": scheme,
            "label_id": label_id,
            "label_entry": row.entry_id,
            "replacement_entry": new.entry_id,
            "reason": reason,
        },
        key,
        out,
        as_json,
    )


def _label_row(scheme: str, label_id: str) -> Any:
    """The label ``label_id`` of ``scheme`` (label ids are unique per scheme only): never another scheme's."""
    from ledger.bundles import find_label

    return find_label(ctx().log(), label_id, scheme)


@app.command()
def submit(
    envelopes: Annotated[list[Path], typer.Argument(help="Envelope files to submit.")], as_json: JsonOpt = False
) -> None:
    """Submit signed envelopes; print a receipt (index, inclusion proof, checkpoint) for each."""
    blobs = []
    for p in envelopes:
        try:
            blobs.append(p.read_bytes())
        except OSError as e:
            raise InputError(f"cannot read {p}: {e.strerror}", code="input.unreadable") from e
    results = ctx().log().submit_many(blobs)
    out = []
    failed = False
    for p, r in zip(envelopes, results, strict=True):
        if isinstance(r, CarbonLedgerError):
            failed = True
            out.append({"file": str(p), "error": r.to_dict()})
        else:
            out.append({"file": str(p), "receipt": r.to_dict()})
    if len(out) == 1 and not failed:
        emit(out[0]["receipt"], as_json, lambda v: _print_receipt(results[0], False))  # type: ignore[arg-type]
    else:

        def human(v: Any) -> None:
            for item in v:
                if "error" in item:
                    emit_error(item["error"], False)
                else:
                    console.print(f"{item['file']}: [green]accepted[/] at index {item['receipt']['index']}")

        emit(out, as_json, human)
    if failed:
        raise typer.Exit(EXIT_ERROR)


# ---- reading the log ------------------------------------------------------------------
@log_app.command("checkpoint")
def log_checkpoint(as_json: JsonOpt = False) -> None:
    """Print the newest signed checkpoint (a C2SP signed note)."""
    log = ctx().log()
    note = log.checkpoint()
    emit({"checkpoint": note, "tree_size": log.store.tree_size()}, as_json, lambda v: sys.stdout.write(v["checkpoint"]))


@log_app.command("vkey")
def log_vkey(as_json: JsonOpt = False) -> None:
    """Print the log's C2SP verifier key."""
    log = ctx().log()
    emit({"vkey": log.vkey, "origin": log.origin}, as_json, lambda v: sys.stdout.write(v["vkey"] + "\n"))


@log_app.command("get")
def log_get(
    index: Annotated[int, typer.Argument(parser=number("INDEX"), help="A log index, from 0.")],
    as_json: JsonOpt = False,
) -> None:
    """Print the entry at INDEX: its envelope and decoded payload."""
    row = ctx().log().entry(index)
    envelope = json.loads(row.envelope)
    payload = json.loads(base64.b64decode(envelope["payload"]))
    emit(
        {
            "index": row.idx,
            "entry_id": row.entry_id,
            "kind": row.kind,
            "signer": row.signer,
            "seq": row.seq,
            "leaf_hash": leaf_hash(bytes(row.envelope)).hex(),
            "envelope": envelope,
            "payload": payload,
        },
        as_json,
        lambda v: console.print_json(json.dumps(v, ensure_ascii=False)),
    )


@prove_app.command("inclusion")
def prove_inclusion(
    index: Annotated[int, typer.Argument(parser=number("INDEX"), help="A log index, from 0.")],
    size: Annotated[
        int | None, typer.Option(help="Tree size (default: newest).", parser=number("--size", minimum=1))
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Inclusion proof of entry INDEX in the tree of SIZE."""
    log = ctx().log()
    size = log.store.tree_size() if size is None else size
    proof = log.inclusion_proof(index, size)
    row = log.entry(index)
    from verifier.merkle import leaf_hash

    emit(
        {
            "index": index,
            "size": size,
            "leaf_hash": leaf_hash(row.envelope).hex(),
            "root": log.root(size).hex(),
            "proof": [h.hex() for h in proof],
        },
        as_json,
        lambda v: console.print_json(json.dumps(v)),
    )


@prove_app.command("consistency")
def prove_consistency(
    size1: Annotated[int, typer.Argument(parser=number("SIZE1"), help="The older tree size.")],
    size2: Annotated[int, typer.Argument(parser=number("SIZE2"), help="The newer tree size.")],
    as_json: JsonOpt = False,
) -> None:
    """Consistency proof between tree sizes SIZE1 <= SIZE2."""
    log = ctx().log()
    proof = log.consistency_proof(size1, size2)
    emit(
        {
            "size1": size1,
            "size2": size2,
            "root1": log.root(size1).hex(),
            "root2": log.root(size2).hex(),
            "proof": [h.hex() for h in proof],
        },
        as_json,
        lambda v: console.print_json(json.dumps(v)),
    )


def _register_optional_commands() -> None:
    """Commands that live in their own modules register themselves here."""
    from . import agreement_cmds, bench_cmds, demo_cmds, import_cmds, serve_cmds, verify_cmds

    bench_cmds.register(bench_app)
    demo_cmds.register(app)
    verify_cmds.register(app, label_app)
    import_cmds.register(app, ctx)
    serve_cmds.register(app)
    agreement_cmds.register(app, ctx)
    from . import dataset_cmds

    dataset_cmds.register(app, ctx)
    try:
        from . import mapping_cmds
    except ImportError:  # pragma: no cover - mapping commands arrive with the mapping layer
        return
    mapping_cmds.register(app, scheme_app)


_register_optional_commands()


def main() -> None:
    as_json = "--json" in sys.argv[1:]
    try:
        rc = app(standalone_mode=False)
    except CarbonLedgerError as e:
        emit_error(e.to_dict(), as_json)
        sys.exit(exit_code_for(e))
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as e:
        # Usage errors come from the Click that Typer bundles: one line with the code "usage" (exit 2), as every
        # other error; a group called without a command still shows its help the Click way.
        if hasattr(e, "show") and isinstance(getattr(e, "exit_code", None), int):
            if type(e).__name__ == "NoArgsIsHelpError" or not hasattr(e, "format_message"):
                e.show()
            else:
                command = getattr(getattr(e, "ctx", None), "command_path", None)
                hint = f" (see '{command} --help')" if command else ""
                emit_error({"code": "usage", "message": e.format_message() + hint}, as_json)
            sys.exit(e.exit_code)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)
