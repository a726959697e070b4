"""Build step beyond pyproject.toml: compile the buyer's verification hot path with mypyc.

The modules named in ``verifier.COMPILED_MODULES`` are compiled to C extensions that sit beside their sources
(``pip install -e .`` builds them in place) and import first. The Python sources stay the truth: once the
compiled files are built, the build records beside them which modules it compiled and the SHA-256 of every
source of ``verifier/`` and ``mapping/`` (``verifier/compiled_sources.json``), and the compiled files are
used only while all of that still holds (see ``verifier/__init__.py``). ``CARBONLEDGER_PURE_PYTHON=1`` turns
them off at run time and, at install time, skips compiling, for machines without a C compiler.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent


def compiled_modules() -> list[str]:
    """The tuple ``COMPILED_MODULES`` of verifier/__init__.py, read without importing the package."""
    tree = ast.parse((HERE / "verifier" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "COMPILED_MODULES" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise RuntimeError("verifier/__init__.py names no COMPILED_MODULES")


def source_hashes() -> dict[str, str]:
    """SHA-256 of every source the compiled modules are built from or call into (verifier/, mapping/)."""
    files = sorted([*HERE.glob("verifier/*.py"), *HERE.glob("mapping/**/*.py")])
    return {p.relative_to(HERE).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


COMPILED_FROM: dict[str, str] = {}  # the sources as mypyc read them (filled just before it does)


class BuildExtThenRecord(build_ext):
    """Compile; then, only after that succeeded, record what was compiled from which sources, beside it."""

    def run(self) -> None:
        super().run()
        if not self.extensions or not COMPILED_FROM:
            return
        record = {"compiled": compiled_modules(), "sources": COMPILED_FROM}
        target = Path(self.get_ext_fullpath("verifier.verify")).parent / "compiled_sources.json"
        target.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def ext_modules() -> list:
    if os.environ.get("CARBONLEDGER_PURE_PYTHON") == "1":
        return []
    from mypyc.build import mypycify

    modules = [f"verifier/{name}.py" for name in compiled_modules()]
    COMPILED_FROM.update(source_hashes())  # mypycify reads (and translates) the sources now
    return mypycify(modules, opt_level="3", group_name="carbonledger_verifier")


setup(ext_modules=ext_modules(), cmdclass={"build_ext": BuildExtThenRecord})
