"""Printing: JSON on stdout for programs (``--json``), rich text for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)


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
        err_console.print(
            f"[bold red]error[/] {escape('[' + error['code'] + ']')}{escape(field)}: {escape(error['message'])}",
            highlight=False,
            soft_wrap=True,  # one line, however narrow the terminal
        )
