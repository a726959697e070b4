"""`carbonledger agreement ...` and `carbonledger equivalence ...`: negotiate recognition and ask for verdicts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ledger.input_files import read_input_file
from mapping.errors import InputError, InvalidParameterError

from .context import CliContext, cli_context
from .errors import number
from .output import console, emit, plain_value
from .signed_entries import sign_entry

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]
KeyOpt = Annotated[Path, typer.Option("--key", help="PEM file of the scheme's current root key.")]
SchemeOpt = Annotated[str, typer.Option("--scheme", help="The scheme this step speaks for (the key's scheme).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the signed envelope here instead of submitting.")]


def _read_terms(path: Path) -> dict[str, Any]:
    from verifier.canonical import loads_strict

    raw = read_input_file(path, "terms file", field="terms")
    terms = loads_strict(raw, what=f"terms file {path.name}")
    if not isinstance(terms, dict):
        raise InputError("a terms file holds one JSON object", code="agreement.invalid_terms", field="terms")
    return terms


def _parse_date(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise InvalidParameterError(f"{what} must be YYYY-MM-DD, got {text!r}", code="input.date", field=what) from e


def _ref(c: CliContext, agreement_id: str, version: int, terms_hash: str | None) -> dict[str, Any]:
    """The reference an accept or withdraw signs: the exact terms hash given, else the one proposed."""
    from ledger.agreements_service import terms_hash_of

    return {
        "id": agreement_id,
        "version": version,
        "terms_hash": terms_hash or terms_hash_of(c.log(), agreement_id, version),
    }


def _print_versions(rows: list[dict[str, Any]]) -> None:
    table = Table("agreement", "version", "schemes", "status", "proposed", "accepted", "withdrawn", "terms hash")
    for r in rows:
        table.add_row(
            r["id"],
            str(r["version"]),
            " ↔ ".join(r["schemes"]) if r.get("direction") == "mutual" else " → ".join(r["schemes"]),
            r["status"],
            str(r.get("proposed_index")),
            str(r.get("accepted_index")),
            str(r.get("withdrawn_index")),
            r["terms_hash"][:16] + "…",
        )
    console().print(table)


def _print_verdict(v: dict[str, Any]) -> None:
    colour = {"recognized": "green", "recognized_after_conversion": "green"}.get(v["verdict"], "red")
    console().print(
        f"label [bold]{v['label_id']}[/] ({v['scheme']}) under [bold]{v['target_scheme']}[/] on {v['at']}: "
        f"[{colour}]{v['verdict']}[/]"
    )
    ag = v.get("agreement")
    if ag:
        console().print(
            f"  by agreement {ag['id']} version {ag['version']} (in force from ledger index {ag['index']}, "
            f"terms {ag['terms_hash'][:16]}…)"
        )
    for reason in v.get("reasons", []):
        console().print(f"  - {reason}", markup=False)
    for c in v.get("failed_conditions", []):
        console().print(
            f"  ✗ {c['field']} {c['op']} {plain_value(c['required'])}: label has {plain_value(c['actual'])} "
            f"({c['reason']})",
            markup=False,
        )
    conv = v.get("converted")
    if conv:
        console().print(
            f"  converted: {conv['value']} {conv['unit']}" + (" (approximate)" if conv["approximate"] else "")
        )
        for step in conv.get("trail", []):
            console().print(f"    · {step.get('name')}: {plain_value(step.get('result'))}", markup=False)


def register(app: typer.Typer) -> None:
    agreement_app = typer.Typer(no_args_is_help=True, help="Recognition agreements: propose, accept, inspect.")
    app.add_typer(agreement_app, name="agreement")

    @agreement_app.command("propose")
    def propose(
        ctx: typer.Context,
        terms_file: Annotated[Path, typer.Argument(help="The agreement terms (JSON).")],
        scheme: SchemeOpt,
        key: KeyOpt,
        out: OutOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Propose terms (a version of an agreement), signed by the proposing scheme's root key."""
        from ledger.agreements_service import propose_fields

        sign_entry(
            cli_context(ctx), "agreement.propose", propose_fields(scheme, _read_terms(terms_file)), key, out, as_json
        )

    @agreement_app.command("counter")
    def counter(
        ctx: typer.Context,
        terms_file: Annotated[Path, typer.Argument(help="The agreement terms (JSON).")],
        answers: Annotated[
            int,
            typer.Option(
                "--answers", help="The version this counter-proposal answers.", parser=number("--answers", minimum=1)
            ),
        ],
        scheme: SchemeOpt,
        key: KeyOpt,
        out: OutOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Counter-propose: a new version answering another party's proposed version."""
        from ledger.agreements_service import propose_fields, terms_hash_of

        c = cli_context(ctx)
        terms = _read_terms(terms_file)
        ref = {"version": answers, "terms_hash": terms_hash_of(c.log(), terms.get("id", ""), answers)}
        sign_entry(c, "agreement.propose", propose_fields(scheme, terms, ref), key, out, as_json)

    @agreement_app.command("accept")
    def accept(
        ctx: typer.Context,
        agreement_id: Annotated[str, typer.Argument(help="The agreement's id.")],
        version: Annotated[
            int,
            typer.Option("--version", help="The proposed version accepted.", parser=number("--version", minimum=1)),
        ],
        scheme: SchemeOpt,
        key: KeyOpt,
        terms_hash: Annotated[
            str | None, typer.Option("--terms-hash", help="The exact terms hash signed (default: as proposed).")
        ] = None,
        out: OutOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Accept a proposed version: the other party's root key signs its exact terms hash."""
        c = cli_context(ctx)
        fields = {"scheme": scheme, "agreement": _ref(c, agreement_id, version, terms_hash)}
        sign_entry(c, "agreement.accept", fields, key, out, as_json)

    @agreement_app.command("withdraw")
    def withdraw(
        ctx: typer.Context,
        agreement_id: Annotated[str, typer.Argument(help="The agreement's id.")],
        version: Annotated[
            int, typer.Option("--version", parser=number("--version", minimum=1), help="The agreement version.")
        ],
        scheme: SchemeOpt,
        key: KeyOpt,
        reason: Annotated[str, typer.Option("--reason", help="Why the scheme withdraws.")],
        out: OutOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Withdraw from a version (proposed or in force)."""
        c = cli_context(ctx)
        fields = {"scheme": scheme, "agreement": _ref(c, agreement_id, version, None), "reason": reason}
        sign_entry(c, "agreement.withdraw", fields, key, out, as_json)

    @agreement_app.command("list")
    def list_(
        ctx: typer.Context,
        at: Annotated[str | None, typer.Option("--at", help="Status on this date (default: now).")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Every agreement version with its status: proposed, in_force, superseded, withdrawn, expired."""
        from ledger.agreements_service import agreement_list

        emit(agreement_list(cli_context(ctx).log(), _parse_date(at, "at")), as_json, _print_versions)

    @agreement_app.command("show")
    def show(
        ctx: typer.Context,
        agreement_id: Annotated[str, typer.Argument(help="The agreement's id.")],
        version: Annotated[
            int | None,
            typer.Option("--version", parser=number("--version", minimum=1), help="The version (default: newest)."),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """One agreement version: terms, status, who signed when."""
        from ledger.agreements_service import agreement_show

        def human(v: dict[str, Any]) -> None:
            _print_versions([v])
            console().print_json(data=v["terms"])

        emit(agreement_show(cli_context(ctx).log(), agreement_id, version), as_json, human)

    @agreement_app.command("history")
    def history(
        ctx: typer.Context,
        agreement_id: Annotated[
            str | None, typer.Argument(help="One agreement's id (default: every agreement).")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The full negotiation history (every propose, counter, accept and withdraw, in log order)."""
        from ledger.agreements_service import agreement_history

        def human(rows: list[dict[str, Any]]) -> None:
            if not rows:
                console().print("no agreement events" + (f" for {agreement_id}" if agreement_id else ""))
            for r in rows:
                answers = r.get("answers")
                extra = (
                    f", answering v{answers['version']}" if isinstance(answers, dict) and "version" in answers else ""
                )
                why = f" (reason: {r['reason']})" if r.get("reason") else ""
                console().print(
                    f"#{r['index']} {r['at']} {r['kind'].removeprefix('agreement.')} {r['id']} v{r['version']} "
                    f"by {r['scheme']}{extra}{why}",
                    markup=False,
                )

        emit(agreement_history(cli_context(ctx).log(), agreement_id), as_json, human)

    @app.command("equivalence")
    def equivalence(
        ctx: typer.Context,
        label_id: Annotated[str, typer.Argument(help="The label's id.")],
        to: Annotated[str, typer.Option("--to", help="The buyer's scheme.")],
        at: Annotated[str | None, typer.Option("--at", help="Date asked about (default: today, UTC).")] = None,
        scheme: Annotated[
            str | None, typer.Option("--scheme", help="The label's scheme if its id is ambiguous.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Is this label equivalent under another scheme on a date? recognized, recognized_after_conversion,
        not_recognized or no_agreement — with the agreement version used and the reasons. Exit 0 when
        recognized, 4 otherwise (as `verify`)."""
        from ledger.agreements_service import equivalence as evaluate

        log = cli_context(ctx).log()
        day = _parse_date(at, "at") or log.clock().date()
        verdict = evaluate(log, label_id, to, day, scheme)
        emit(verdict, as_json, _print_verdict)
        if verdict["verdict"] not in ("recognized", "recognized_after_conversion"):
            raise typer.Exit(4)
