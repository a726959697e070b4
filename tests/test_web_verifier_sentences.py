"""Every sentence the verifier can write into a report has a translation pattern (issue 19, item 1).

The fault guarded: a rare step detail or reason — a bundle v2 whose status map contradicts its entries, a
forked log, a stale status — shown in English on a Chinese page, because no ``say.*`` pattern of the catalogue
(:mod:`ledger.web.phrases`) knows it. The demo's pages show only the common sentences; this test reads the
verifier's source instead, so a sentence is covered before any page shows it.

The scan (:func:`sentence_templates`) follows every text that reaches a report: the detail of ``Report.set``
and of ``fail_step5``, an ``Evidence``'s detail, a ``(status, detail)`` pair a judge returns, and what is
added to the lists of reasons, exclusions, gaps and failures — in ``verifier/*.py`` and in
``mapping/equivalence.py`` (whose reasons step 10 and the label page show). Each f-string is cut into its
literal words and holes; a hole holding a name assigned in the same function, a call of a function or method
defined in the scanned modules, or a conditional expression is replaced by each text it can take, so every
variant of a sentence is tried. Other holes (a key id, an index, an error's own message) become a token. Each
variant, with its tokens, must come out of the phrase translator with no English word left, in both Chinese
variants.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.web.i18n import ZH_HANS, ZH_HANT
from ledger.web.phrases import phrase_translator

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*sorted((ROOT / "verifier").glob("*.py")), ROOT / "mapping" / "equivalence.py"]
STATUSES = {"PASSED", "FAILED", "NOT_APPLICABLE"}
LISTS = {"reasons", "excluded", "gaps", "failures"}  # the lists whose items reach a report's text
# Functions whose result is a value shown as it is (a time, a day), not a sentence of its own.
VALUES = {"str", "repr", "join", "hex", "isoformat", "strftime", "signed_time", "_day"}
MAX_VARIANTS = 256  # per expression: the sentences here have a handful of optional parts each

Part = str | int  # literal text, or the number of a hole (a token in the sample text)
Variant = tuple[Part, ...]


@dataclass(frozen=True)
class Sentence:
    where: str  # path:line of the sink
    variant: Variant

    def template(self) -> str:
        return "".join(p if isinstance(p, str) else "{…}" for p in self.variant)

    def sample(self) -> str:
        return "".join(p if isinstance(p, str) else f"Q{p}" for p in self.variant)


class _Scan:
    """The verifier's functions (by name, across the scanned modules) and the texts their expressions take."""

    def __init__(self, sources: list[Path]) -> None:
        self.trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in sources}
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        self.constants: dict[str, list[ast.AST]] = {}  # module-level names: _REFRESH = "refresh the bundle …"
        self.parent: dict[ast.AST, ast.FunctionDef] = {}
        for tree in self.trees.values():
            for top in tree.body:
                if isinstance(top, ast.Assign):
                    for t in top.targets:
                        if isinstance(t, ast.Name):
                            self.constants.setdefault(t.id, []).append(top.value)
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    self.functions.setdefault(node.name, []).append(node)
                    for inner in ast.walk(node):
                        if inner is not node:
                            self.parent.setdefault(inner, node)
        self._numbers = itertools.count(1)
        self._named: dict[tuple[int, str], int] = {}
        self._busy: set[int] = set()

    def hole(self, node: ast.AST | None = None, scope: ast.FunctionDef | None = None) -> list[Variant]:
        """A value the scan does not follow; one expression of one function is one hole, however often used (a
        pattern's repeated placeholder, as ``--to {target}`` twice in one sentence, must take the same value)."""
        if node is None:
            return [(next(self._numbers),)]
        key = (id(scope), ast.unparse(node))
        if key not in self._named:
            self._named[key] = next(self._numbers)
        return [(self._named[key],)]

    def texts(self, node: ast.AST | None, scope: ast.FunctionDef | None) -> list[Variant]:
        """Every text ``node`` can take (literal words and holes)."""
        if node is None or id(node) in self._busy:
            return self.hole(node, scope)
        self._busy.add(id(node))
        try:
            found = self._texts(node, scope)
        finally:
            self._busy.discard(id(node))
        return found[:MAX_VARIANTS] or self.hole(node, scope)

    def _texts(self, node: ast.AST, scope: ast.FunctionDef | None) -> list[Variant]:
        if isinstance(node, ast.Constant):
            return [(node.value,)] if isinstance(node.value, str) else self.hole(node, scope)
        if isinstance(node, ast.JoinedStr):
            return self._concat([self._piece(v, scope) for v in node.values])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._concat([self.texts(node.left, scope), self.texts(node.right, scope)])
        if isinstance(node, ast.IfExp):
            return self.texts(node.body, scope) + self.texts(node.orelse, scope)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):  # a list of sentences: each is one of elt's
            return self.texts(node.elt, scope)
        if isinstance(node, ast.Name):
            values = [
                n.value
                for n in (ast.walk(scope) if scope is not None else ())
                if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)
            ]
            if not values and (scope is None or node.id not in {a.arg for a in scope.args.args}):
                values = self.constants.get(node.id, [])
            return [v for value in values for v in self.texts(value, scope)] or self.hole(node, scope)
        if isinstance(node, ast.Call):
            return self._call(node, scope)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and scope is not None:
            added = [  # failures[0]: one of the texts appended to the list
                n.args[-1]
                for n in ast.walk(scope)
                if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr == "append"
                and isinstance(n.func.value, ast.Name)
                and n.func.value.id == node.value.id
            ]
            return [v for a in added for v in self.texts(a, scope)] or self.hole(node, scope)
        return self.hole(node, scope)

    def _piece(self, value: ast.AST, scope: ast.FunctionDef | None) -> list[Variant]:
        if not isinstance(value, ast.FormattedValue):
            return self.texts(value, scope)
        inner = self.hole(value, scope) if value.format_spec is not None else self.texts(value.value, scope)
        if value.conversion == ord("r"):
            return [("'", *v, "'") for v in inner]
        return inner

    def _call(self, node: ast.Call, scope: ast.FunctionDef | None) -> list[Variant]:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and isinstance(func.value, ast.Dict):
            options = [*func.value.values, *node.args[1:]]  # {"a": "…", …}.get(key, default)
            return [v for o in options for v in self.texts(o, scope)]
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name == "join" and node.args and isinstance(node.args[0], ast.GeneratorExp | ast.ListComp):
            if isinstance(func.value, ast.Constant) and func.value.value == "":  # "".join(f"; {n}" for n in xs)
                return [(), *self.texts(node.args[0].elt, scope)]
        if name in VALUES or name not in self.functions:
            return self.hole(node, scope)
        out: list[Variant] = []
        for f in self.functions[name]:
            for r in ast.walk(f):
                if isinstance(r, ast.Return) and not (isinstance(r.value, ast.Constant) and r.value.value is None):
                    out += self.texts(r.value, f)
        return out

    @staticmethod
    def _concat(parts: list[list[Variant]]) -> list[Variant]:
        out: list[Variant] = [()]
        for options in parts:
            out = [a + b for a in out for b in options][:MAX_VARIANTS]
        return out

    def sinks(self) -> Iterator[tuple[str, ast.AST, ast.FunctionDef | None]]:
        """(where, expression, scope) of every text that reaches a report."""
        for path, tree in self.trees.items():
            for node in ast.walk(tree):
                scope = self.parent.get(node)
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                for expr in _sink_expressions(node):
                    yield where, expr, scope


def _sink_expressions(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Call):
        func, args = node.func, node.args
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        if name == "set" and owner == "report" and len(args) >= 3:
            return [args[2]]
        if name == "fail_step5" and len(args) >= 2:
            return [args[1]]
        if name == "Evidence" and len(args) >= 2:
            return [args[1]]
        if name == "Verdict" and len(args) >= 3 and isinstance(args[2], ast.List):
            return _items(args[2])
        if name == "ConditionResult" and len(args) >= 6:  # a failed condition's reason
            return [args[5]]
        if name in ("append", "insert") and owner in LISTS and args:
            return [args[-1]]
        if name == "extend" and owner in LISTS and args and isinstance(args[0], ast.GeneratorExp):
            return [args[0].elt]
    if isinstance(node, ast.Dict):
        return [
            e
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and k.value == "reasons" and isinstance(v, ast.List)
            for e in v.elts
        ]
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
        # (status, detail), (vc, status, detail), (None, note), (version, [reasons])
        elts = node.value.elts
        judged = any(
            (isinstance(e, ast.Name) and e.id in STATUSES) or (isinstance(e, ast.Constant) and e.value is None)
            for e in elts
        )
        texts = [e for e in elts if judged and (isinstance(e, ast.JoinedStr) or _is_text(e))]
        return texts + [x for e in elts if isinstance(e, ast.List) for x in _items(e)]
    return []


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _items(node: ast.List) -> list[ast.AST]:
    """The texts of a list literal: its items, what a starred item holds."""
    return [e.value if isinstance(e, ast.Starred) else e for e in node.elts]


def sentence_templates() -> list[Sentence]:
    scan = _Scan(SOURCES)
    found: dict[str, Sentence] = {}
    for where, expr, scope in scan.sinks():
        for variant in scan.texts(expr, scope):
            s = Sentence(where, variant)
            words = re.sub(r"Q\d+", "", s.sample())
            if re.search(r"[A-Za-z]{2}", words):  # a text of its own, not only holes
                found.setdefault(s.template(), s)
    return list(found.values())


# What a translation may keep in Latin letters: tokens, commands, entry kinds and field names, flags, codes, and
# the names that are the same in every language.
_KEPT = [
    r"\b(?:GWP|IPCC|URL)\b",
    r"Q\d+",
    r"`[^`]*`",
    r"[A-Za-z0-9]+(?:[._][A-Za-z0-9]+)+",
    r"--[a-z-]+",
    r"\b[A-Za-z]*\d[A-Za-z0-9]*\b",
]


def english_left(text: str) -> list[str]:
    for pattern in _KEPT:
        text = re.sub(pattern, " ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


@pytest.fixture(scope="module")
def templates() -> list[Sentence]:
    return sentence_templates()


def test_the_scan_finds_the_verifier_sentences_it_must(templates: list[Sentence]) -> None:
    """The scan can fail: it finds sentences of every step, through names, helpers and conditionals."""
    samples = {s.template() for s in templates}
    assert len(templates) > 120
    for expected in (
        "signature verifies under key {…}…",  # step 2
        "the signer key was revoked at index {…} (its entries stop counting from index {…}); the label is at "
        "index {…}",  # step 3
        "the bundle (v2) carries no status proof for the signer key {…}…: its revocation is not proven",  # helper
        "{…}; it is the scheme's current root, proven as of tree size {…}",  # a name bound to a conditional
        "tree size {…} has root {…}… here but {…}… in the checkpoint kept: the log forked",  # step 7
        "expired: valid until {…} as the issuer states, asked for {…}",  # a (status, detail) pair
        "no version is in force on the date asked",  # a reason of mapping/equivalence.py
    ):
        assert expected in samples, expected


@pytest.mark.parametrize("lang", [ZH_HANS, ZH_HANT])
def test_every_verifier_sentence_has_a_translation_pattern(templates: list[Sentence], lang: str) -> None:
    say = phrase_translator(lang)
    untranslated = sorted(
        f"{s.where}: {s.template()}  →  {' '.join(english_left(say(s.sample())))}"
        for s in templates
        if english_left(say(s.sample()))
    )
    assert untranslated == [], f"{len(untranslated)} without a pattern:\n" + "\n".join(untranslated)
