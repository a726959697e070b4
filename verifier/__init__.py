"""The trust kernel and the buyer's verifier. Pure: no I/O beyond what it is handed; clock passed in.

The verification hot path (:data:`COMPILED_MODULES`) is compiled with mypyc when the package is installed
(``setup.py``); the compiled files sit beside their sources and Python imports them first. The sources stay
the truth: the build records the SHA-256 of each source it compiled (``compiled_sources.json``), and when any
source differs from its record (edited since the last ``pip install``), or ``CARBONLEDGER_PURE_PYTHON=1`` is
set, all of those modules are imported from their sources instead — all or none, since compiled modules call
each other directly; a compiled file of any other module (left by an earlier build) is never used.
:data:`COMPILED` says which.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from pathlib import Path

COMPILED_MODULES = ("b64", "bundle", "canonical", "envelope", "keys", "proven_paths", "report", "verify")

_HERE = Path(__file__).resolve().parent


def _compiled_files_current() -> bool:
    """Every module of COMPILED_MODULES has a compiled file, built from the source that is there now."""
    if os.environ.get("CARBONLEDGER_PURE_PYTHON") == "1":
        return False
    try:
        built_from = json.loads((_HERE / "compiled_sources.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for name in COMPILED_MODULES:
        if not any((_HERE / f"{name}{suffix}").exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES):
            return False
        if built_from.get(name) != hashlib.sha256((_HERE / f"{name}.py").read_bytes()).hexdigest():
            return False
    return True


class _SourcesFirst:
    """A meta path finder for this package's modules: a compiled file is used only for a module of
    COMPILED_MODULES while COMPILED holds; every other module with a ``.py`` source is imported from it, so a
    compiled file left behind by an earlier build never shadows a source."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.partition(".")
        if package != __name__ or "." in name or (COMPILED and name in COMPILED_MODULES):
            return None
        source = _HERE / f"{name}.py"
        return importlib.util.spec_from_file_location(fullname, source) if source.exists() else None


COMPILED = _compiled_files_current()
if _SourcesFirst not in sys.meta_path:
    sys.meta_path.insert(0, _SourcesFirst)  # type: ignore[arg-type]
