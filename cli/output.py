"""Printing: JSON on stdout for programs (``--json``), rich text for people.

The rich consoles are made for the streams and the environment of the call that prints (``sys.stdout`` and
``sys.stderr`` as they are then; ``NO_COLOR``, ``COLUMNS``, ``TERM`` …), never at import: a command run in
the test's process (:func:`cli.main.main`) prints into that call's captured streams, with that call's width.
Output that is not a terminal (piped, captured) is not wrapped: a copy-pasted command stays one line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape

__all__ = ["console", "emit", "emit_error", "err_console", "plain_value", "print_label_summary"]

# What rich reads from the environment when a Console is made.
_ENVIRONMENT = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM", "COLORTERM", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
_made: dict[bool, tuple[TextIO, tuple[str | None, ...], Console]] = {}


def _console_for(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    env = tuple(os.environ.get(name) for name in _ENVIRONMENT)
    made = _made.get(stderr)
    if made is None or made[0] is not stream or made[1] != env:
        piped = not (hasattr(stream, "isatty") and stream.isatty()) and not os.environ.get("COLUMNS")
        # Piped output is read by programs and pasted into shells: one line per line, never wrapped at 80.
        made = (stream, env, Console(file=stream, soft_wrap=True) if piped else Console(file=stream))
        _made[stderr] = made
    return made[2]


def console() -> Console:
    """The console on standard output, for this call's stream and environment."""
    return _console_for(False)


def err_console() -> Console:
    """The console on standard error, for this call's stream and environment."""
    return _console_for(True)


def plain_value(value: Any) -> str:
    """A value as a person reads it, not as Python prints it: ``key value, …`` for an object, ``a, b`` for a list,
    text as it is, ``—`` for nothing."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} {plain_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(plain_value(v) for v in value) or "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def emit(value: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    if as_json or human is None:
        sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    else:
        human(value)


def emit_error(error: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps({"error": error}, indent=2, ensure_ascii=False) + "\n")
    else:
        field = f" (at {error['field']})" if error.get("field") else ""
        err_console().print(
            f"[bold red]error[/] {escape('[' + error['code'] + ']')}{escape(field)}: {escape(error['message'])}",
            highlight=False,
            soft_wrap=True,  # one line, however narrow the terminal
        )


def print_label_summary(summary: dict[str, Any]) -> None:
    """The lines of :func:`verifier.report.label_summary` a person reads, indented; fields the label does not
    state are left out, never printed as None."""
    c = console()
    for key in ("product", "model", "manufacturer", "verifier", "issued_at", "valid_until"):
        if summary.get(key):
            c.print(escape(f"  {key.replace('_', ' ')}: {summary[key]}"), highlight=False)
    if summary.get("value"):
        c.print(escape(f"  footprint: {summary['value']} {summary.get('unit') or ''}".rstrip()), highlight=False)
