"""Build step beyond pyproject.toml: compile the buyer's verification hot path with mypyc.

The modules named in ``verifier.COMPILED_MODULES`` are compiled to C extensions that sit beside their sources
(``pip install -e .`` builds them in place) and import first. The Python sources stay the truth: the compiled
files are used only while none is older than its source, and ``CARBONLEDGER_PURE_PYTHON=1`` turns them off
at run time (see ``verifier/__init__.py``). ``CARBONLEDGER_PURE_PYTHON=1`` at install time skips compiling,
for machines without a C compiler.
"""

from __future__ import annotations

import ast
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


def ext_modules() -> list:
    if os.environ.get("CARBONLEDGER_PURE_PYTHON") == "1":
        return []
    from mypyc.build import mypycify

    return mypycify(compiled_modules(), opt_level="3", group_name="carbonledger_verifier")


setup(ext_modules=ext_modules())
