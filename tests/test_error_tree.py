"""Errors know their codes: each error class carries its HTTP status and exit code, and a class never disagrees
with the codes raised with it.

Every ``raise SomeError(..., code="literal")`` in the sources is read with ``ast``; each (class, code) pair must
give the status that code has always had on the HTTP API (the table below is the published mapping the HTTP
edge used to hold as a prefix table; it is stable) and the exit code the CLI gives it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from mapping import errors
from mapping.errors import CarbonLedgerError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mapping", "verifier", "ledger", "cli")

# The published statuses of codes whose status is not their family's default (a prefix ending in "." covers
# the family). A bad signature is 422 (HTTP 401 is about HTTP authentication, not a signed entry).
STATUS_BY_CODE = {
    "input.oversized": 413,
    "input.content_type": 415,
    "entry.unknown_signer": 403,
    "authority.": 403,
    "scheme.not_allowed": 403,
    "scheme.not_self_signed": 403,
    "chain.": 409,
    "entry.duplicate": 409,
    "scheme.already_bound": 409,
    "key.already_bound": 409,
    "key.already_revoked": 409,
    "label.duplicate_id": 409,
    "label.not_active": 409,
    "label.unknown": 404,
    "label.ambiguous": 409,
    "mapping.unknown_profile": 404,
    "mapping.unknown_profile_version": 404,
    "label.replacement_unknown": 422,
    "clock.skew": 422,
    "input.date": 422,
    "agreement.not_party": 403,
    "agreement.not_root": 403,
    "agreement.self_accept": 403,
    "agreement.replayed": 409,
    "agreement.duplicate_version": 409,
    "agreement.stale_version": 409,
    "agreement.overlap_in_force": 409,
    "dataset.publisher_unknown": 403,
    "dataset.wrong_publisher": 403,
    "dataset.version_not_increasing": 409,
    "dataset.already_retired": 409,
    "profile.wrong_scheme": 403,
    "profile.not_reference_publisher": 403,
    "profile.duplicate_version": 409,
    "signature.invalid": 422,
}
USAGE_CODES = frozenset({"input.missing", "input.integer", "usage"})

# Raise sites still to move to the class their code means (issue "The house"), as "path: class code". The
# test fails on any other disagreement and on a listed one that is gone (strike it off): the list only shrinks.
KNOWN_DISAGREEMENTS: set[str] = set()


def _expected_status(code: str) -> int | None:
    best = max(
        (p for p in STATUS_BY_CODE if code == p or (p.endswith(".") and code.startswith(p))), key=len, default=None
    )
    return None if best is None else STATUS_BY_CODE[best]


def _error_classes() -> dict[str, type[CarbonLedgerError]]:
    found = {n: c for n, c in vars(errors).items() if inspect.isclass(c) and issubclass(c, CarbonLedgerError)}
    for path in sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        source = path.read_text(encoding="utf-8")
        if "Error(" not in source or "class " not in source:
            continue
        mod = importlib.import_module(module)
        for name, value in vars(mod).items():
            if inspect.isclass(value) and issubclass(value, CarbonLedgerError):
                found.setdefault(name, value)
    return found


CLASSES = _error_classes()


def _raised_pairs() -> list[tuple[str, str, str]]:
    """(where, class name, code) of every raise of a known error class with a literal code."""
    out = []
    for path in sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = node.exc if isinstance(node, ast.Raise) else None
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.func.id not in CLASSES:
                continue
            code = next((k.value for k in call.keywords if k.arg == "code"), None)
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                out.append((where, call.func.id, code.value))
    return out


PAIRS = _raised_pairs()


def test_the_sources_raise_errors_with_codes() -> None:
    assert len(PAIRS) > 100


def test_every_class_knows_its_status_and_exit_code() -> None:
    for name, cls in CLASSES.items():
        assert 400 <= cls.http_status <= 599, name
        # 1 and 2, and verify's "unusable input" (5) for the one class that is exactly that: a bundle or trust
        # file verify cannot read (verify's other verdicts, 3-8, are reports, not errors).
        assert cls.exit_code in (1, 2) or (cls is errors.UnreadableEvidenceError and cls.exit_code == 5), name


def _disagrees(cls: str, code: str) -> bool:
    klass, expected = CLASSES[cls], _expected_status(code)
    return (expected is not None and klass.http_status != expected) or klass.exit_code != (
        2 if code in USAGE_CODES else 1
    )


def test_a_class_never_disagrees_with_its_code() -> None:
    found = {f"{where.rsplit(':', 1)[0]}: {cls} {code}" for where, cls, code in PAIRS if _disagrees(cls, code)}
    new, gone = sorted(found - KNOWN_DISAGREEMENTS), sorted(KNOWN_DISAGREEMENTS - found)
    assert not new, "classes that disagree with their codes:\n" + "\n".join(new)
    assert not gone, "fixed (strike them off KNOWN_DISAGREEMENTS):\n" + "\n".join(gone)
