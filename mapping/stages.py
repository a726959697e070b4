"""Stage vocabularies: the generic life-cycle stages and the EN 15804 modules, and translating stage sets
between them.

A label's breakdown names its stages in one vocabulary (:data:`~mapping.vocabulary.STAGES` or
:data:`~mapping.vocabulary.EN15804_MODULES`); a boundary, a profile or a conversion request may name stages in
either. "EN 15804: drop B, C and D; keep A1–A3" (schemes.md §4.1): A1–A3 is raw materials and production, A4–A5
distribution (transport to site and installation), B1–B7 use, C1–C4 end of life, and module D lies outside the
system boundary. A generic set becomes modules only when it is a union of whole modules: raw materials alone
has no module of its own, so it is refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import MappingError
from .vocabulary import BOUNDARY_MODULES, BOUNDARY_STAGES, EN15804_MODULES, MODULE_D, MODULE_STAGES, STAGES

GENERIC, MODULES = "generic", "en15804-modules"
VOCABULARIES = (GENERIC, MODULES)


def vocabulary_of(names: Iterable[str], field: str) -> str | None:
    """The one vocabulary ``names`` use (``None`` for no names); a mix of both is refused."""
    names = list(names)
    generic = [n for n in names if n in STAGES]
    modules = [n for n in names if n in EN15804_MODULES]
    if generic and modules:
        raise MappingError(
            f"{field}: stages {', '.join(generic)} and EN 15804 modules {', '.join(modules)} are mixed; a breakdown "
            "uses one vocabulary (their stages overlap, so the sum would count some emissions twice)",
            code="mapping.mixed_stage_vocabularies",
            field=field,
        )
    if modules:
        return MODULES
    return GENERIC if generic else None


def boundary_stages(boundary: str, vocabulary: str | None) -> tuple[str, ...]:
    """The stages inside ``boundary`` in ``vocabulary`` (generic when ``None``); module D is in none."""
    return BOUNDARY_MODULES[boundary] if vocabulary == MODULES else BOUNDARY_STAGES[boundary]


def generic_stages(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` as generic stages (modules expanded; module D covers none), in life-cycle order."""
    wanted: set[str] = set()
    for n in names:
        wanted.update(MODULE_STAGES.get(n, (n,)))
    return tuple(s for s in STAGES if s in wanted)


def in_vocabulary(names: Iterable[str], vocabulary: str | None, field: str) -> tuple[str, ...]:
    """``names`` (either vocabulary) in ``vocabulary``: modules expand to generic stages; generic stages become
    the modules they fill, and a generic set that splits a module is refused (``mapping.stage_split``)."""
    names = list(names)
    unknown = [n for n in names if n not in STAGES and n not in EN15804_MODULES]
    if unknown:
        raise MappingError(f"{field}: unknown stage(s) {', '.join(unknown)}", code="mapping.unknown_stage", field=field)
    if vocabulary != MODULES:
        return generic_stages(names)
    generic = set(generic_stages(n for n in names if n in STAGES))
    out = {n for n in names if n in EN15804_MODULES}
    for module, covers in MODULE_STAGES.items():
        if module == MODULE_D or not covers:
            continue
        inside = generic & set(covers)
        if inside and inside != set(covers):
            raise MappingError(
                f"{field}: {', '.join(sorted(inside))} is only part of EN 15804 module {module} "
                f"({', '.join(covers)}); the label's breakdown does not split it",
                code="mapping.stage_split",
                field=field,
            )
        if inside:
            out.add(module)
    return tuple(m for m in EN15804_MODULES if m in out)


__all__ = [
    "GENERIC",
    "MODULES",
    "VOCABULARIES",
    "boundary_stages",
    "generic_stages",
    "in_vocabulary",
    "vocabulary_of",
]
