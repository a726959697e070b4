"""What the report and equivalence blocks render, from a verifier report or the log's verdict.

The label page and the upload page show the same blocks (``_report.html``, ``_equivalence.html``); these
functions turn a :class:`verifier.report.Report` or :func:`ledger.agreements_service.equivalence`'s verdict
into their context, with the same keys either way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from verifier.report import PROVEN_STEP_NAMES, Report

__all__ = ["equivalence_from_log", "equivalence_of", "parse_day", "steps_of"]


def equivalence_of(report: Report, target: str | None) -> dict[str, Any]:
    """What the ``equivalence`` block renders, from the verifier's step 10 (the verify page: a bundle's verdict).

    Keys: verdict, reasons, agreement (id, version, terms_hash, index) or None, converted (value, unit,
    approximate, trail) or None, failed_conditions, target (the scheme asked about; None: the bundle's own, if
    any), step (step 10 as a dict, or None) and source (``"bundle"``).
    """
    eq = report.equivalence or {}
    step = report.steps.get(10)
    if "verdict" in eq:
        verdict = eq["verdict"]
    elif step is None:
        verdict = "not_asked" if target is None else "not_checked"
    else:
        verdict = "not_asked"
    reasons = list(eq.get("reasons") or ([step.detail] if step is not None and verdict != "not_asked" else []))
    return {
        "verdict": verdict,
        "reasons": reasons,
        "agreement": eq.get("agreement"),
        "converted": eq.get("converted"),
        "failed_conditions": list(eq.get("failed_conditions") or []),
        "target": target,
        "step": None if step is None else step.to_dict(),
        "source": "bundle",
    }


def equivalence_from_log(verdict: dict[str, Any], target: str) -> dict[str, Any]:
    """What the ``equivalence`` block renders, from :func:`ledger.agreements_service.equivalence` (the label
    page: judged from every agreement entry in the log). Same keys as :func:`equivalence_of`, plus ``at``,
    ``label_index`` and ``label_status``; ``step`` is None and ``source`` is ``"log"``."""
    return {
        "verdict": verdict["verdict"],
        "reasons": list(verdict.get("reasons") or []),
        "agreement": verdict.get("agreement"),
        "converted": verdict.get("converted"),
        "failed_conditions": list(verdict.get("failed_conditions") or []),
        "target": target,
        "at": verdict.get("at"),
        "label_index": verdict.get("label_index"),
        "label_status": verdict.get("label_status"),
        "step": None,
        "source": "log",
    }


def steps_of(report: Report) -> list[dict[str, Any]]:
    """The report's steps for a page, each with ``title_key``: the i18n key of the title the step earned (step 3
    claims "not revoked", step 8 "proven", only when a status map proves it: verifier.report.PROVEN_STEP_NAMES)."""
    out = []
    for k in sorted(report.steps):
        step = report.steps[k].to_dict()
        earned = PROVEN_STEP_NAMES.get(k) == step["name"]
        step["title_key"] = f"step.{k}.proven" if earned else f"step.{k}"
        out.append(step)
    return out


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD date, or None when ``text`` is empty; raises ValueError when it is not a date."""
    if not text:
        return None
    return date.fromisoformat(text.strip())
