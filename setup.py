"""Build step beyond pyproject.toml: compile the buyer's verification hot path with mypyc.

The modules named in ``verifier.COMPILED_MODULES`` are compiled to C extensions that sit beside their sources
(``pip install -e .`` builds them in place) and import first. The Python sources stay the truth: the build
writes the SHA-256 of each source it compiles to ``verifier/compiled_sources.json``, and the compiled files
are used only while every source still has that hash; ``CARBONLEDGER_PURE_PYTHON=1`` turns them off at run
time (see ``verifier/__init__.py``), and at install time skips compiling, for machines without a C compiler.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from pathlib import Path

from setuptools import setup


def compiled_modules() -> list[str]:
    """The tuple ``COMPILED_MODULES`` of verifier/__init__.py, read without importing the package."""
    tree = ast.parse((Path(__file__).parent / "verifier" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "COMPILED_MODULES" for t in node.targets):
            return [f"verifier/{name}.py" for name in ast.literal_eval(node.value)]
    raise RuntimeError("verifier/__init__.py names no COMPILED_MODULES")


def write_manifest(sources: list[str]) -> None:
    """Record which sources this build compiles (verifier/__init__.py compares them at import)."""
    here = Path(__file__).parent
    manifest = {Path(s).stem: hashlib.sha256((here / s).read_bytes()).hexdigest() for s in sources}
    (here / "verifier" / "compiled_sources.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def ext_modules() -> list:
    if os.environ.get("CARBONLEDGER_PURE_PYTHON") == "1":
        return []
    from mypyc.build import mypycify

    sources = compiled_modules()
    write_manifest(sources)
    return mypycify(sources, opt_level="3", group_name="carbonledger_verifier")


setup(ext_modules=ext_modules())
