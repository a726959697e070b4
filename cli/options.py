"""Option types shared by the command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["JsonOpt", "KeyOpt", "OutOpt"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]
KeyOpt = Annotated[Path, typer.Option("--key", help="PEM key file that signs the entry.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the signed envelope here instead of submitting.")]
