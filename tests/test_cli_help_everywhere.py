"""CLI conventions (issue 19 item 6): every command, option and argument says what it is for in `-h`."""

from __future__ import annotations

from typing import Any

import typer

from cli.app import app


def _leaves(command: Any, path: list[str]) -> list[tuple[str, Any]]:
    if hasattr(command, "commands"):
        return [leaf for name, sub in command.commands.items() for leaf in _leaves(sub, [*path, name])]
    return [(" ".join(path), command)]


def test_every_command_option_and_argument_has_help() -> None:
    leaves = _leaves(typer.main.get_command(app), [])
    assert len(leaves) > 50  # the walk reached the command tree, not just its root
    missing = []
    for path, command in leaves:
        if not (command.help or "").strip():
            missing.append(f"{path}: the command")
        for p in command.params:
            opts = getattr(p, "opts", [])
            if "--help" not in opts and not (getattr(p, "help", None) or "").strip():
                missing.append(f"{path}: {opts[0] if opts else p.name}")
    assert not missing, "no help text:\n" + "\n".join(missing)
