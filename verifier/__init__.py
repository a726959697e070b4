"""The trust kernel and the buyer's verifier. Pure: no I/O beyond what it is handed; clock passed in.

The verification hot path (:data:`COMPILED_MODULES`) is compiled with mypyc when the package is installed
(``setup.py``); the compiled files sit beside their sources and Python imports them first. The sources stay
the truth: after compiling, the build records what it compiled and the SHA-256 of every source of verifier/
and mapping/ (``compiled_sources.json``), and when any of that no longer holds (a source edited since the last
``pip install``, a compiled file missing), or ``CARBONLEDGER_PURE_PYTHON=1`` is set, all of those modules are
imported from their sources instead — all or none, since compiled modules call each other directly; a
compiled file of any other module (left by an earlier build) is never used. :data:`COMPILED` says which.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from pathlib import Path

COMPILED_MODULES = (
    "b64",
    "bundle",
    "bundle_fold",
    "canonical",
    "citations",
    "envelope",
    "keys",
    "proven_paths",
    "report",
    "rules",
    "rules_common",
    "rules_labels",
    "shipment_cache",
    "steps_authority",
    "steps_log",
    "steps_status",
    "verify",
)
# What a buyer uses: the verification (verify.verify_bundle / verify_shipment), the trust file, the rule book
# and its replay, and the trust kernel's modules.
__all__ = [
    "COMPILED",
    "COMPILED_MODULES",
    "bundle",
    "canonical",
    "envelope",
    "keys",
    "memory_state",
    "merkle",
    "note",
    "report",
    "rules",
    "trust",
    "verify",
]
GROUP_LIBRARY = "carbonledger_verifier__mypyc"  # the compiled modules' shared code, at the top level

_HERE = Path(__file__).resolve().parent


def _compiled_files_current() -> bool:
    """The last build compiled exactly COMPILED_MODULES, every compiled file is there, and every source it
    recorded (all of verifier/ and mapping/: compiled code checks the types other modules return) is unchanged."""
    if os.environ.get("CARBONLEDGER_PURE_PYTHON") == "1":
        return False
    try:
        record = json.loads((_HERE / "compiled_sources.json").read_text(encoding="utf-8"))
        if sorted(record["compiled"]) != sorted(COMPILED_MODULES):
            return False
        built = [_HERE.parent / GROUP_LIBRARY, *(_HERE / name for name in COMPILED_MODULES)]
        if not all(any(Path(f"{p}{s}").exists() for s in importlib.machinery.EXTENSION_SUFFIXES) for p in built):
            return False
        return all(
            hashlib.sha256((_HERE.parent / path).read_bytes()).hexdigest() == digest
            for path, digest in record["sources"].items()
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


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


# Decided once per process: a reload of this package keeps the first decision (modules already imported keep
# their form) and replaces the finder instead of adding a second one.
if "COMPILED" not in globals():
    COMPILED = _compiled_files_current()
sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "__qualname__", None) != _SourcesFirst.__qualname__]
sys.meta_path.insert(0, _SourcesFirst)  # type: ignore[arg-type]
