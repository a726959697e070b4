"""When a cited value was published, and the rule that flags a label citing a value published after its issue date.

Issue 20, item 5: "every shipped factor carries its publication date and source; admission and the verifier flag
(reason ``citation.published_after_issue``) a label that cites a value published after the label's
``issued_at``". schemes.md §3: "Write every factor with four attributes: kind, geography, data year, and
publication."

A dataset value's ``published`` (else its dataset's ``published``; a release digest has only the latter) says
when the authority published it, as its sources give it and never more precisely:

* ``date`` — the day (``YYYY-MM-DD``), or ``unspecified`` when no source read gives the day;
* ``year`` and optionally ``month`` — the year or month the source gives, when it gives no day;
* ``not_before`` — only a lower bound (e.g. "around the end of 2025": not before 2025-01-01);
* ``source`` — where the date comes from, with its schemes.md tag (``[S n]``, ``[K]`` for general knowledge).

An entry without ``published`` (every one before issue 20) still verifies: its publication is unknown, and an
unknown date flags nothing.

Flag, not refusal. A label whose ``issued_at`` is before the earliest day its cited value can have been published
states a date its own data contradicts: it was backdated, or recomputed after issue under the old certificate
date. The rule flags it — a finding in the citation the offline verifier reports and in the receipt admission
returns — and refuses nothing, because what a buyer needs is to know that the issue date is not evidence (the
log's order and ``signed_at`` are; step 9 already says so), not to lose a label whose numbers may be right:

* both dates are statements (the issuer's ``issued_at``; the publisher's transcription of the authority's date),
  and the signatures and the log order, which make a label authentic, are untouched;
* the rule book is one fold for the log, the buyer and every monitor replaying history: a refusal would turn
  labels admitted before publication dates were recorded, or before a publisher corrected one, into entries a
  replay refuses, so the log and its monitors would disagree about the past;
* the flag fires only when the contradiction is certain — the earliest possible publication day (the first day
  of a month or year the source gives) is after the issue date — never on a guess.

Pure: callers pass the label record and the cited ``dataset.publish`` payloads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from mapping.errors import SchemaError

__all__ = [
    "PUBLISHED_AFTER_ISSUE",
    "check_published",
    "earliest_publication",
    "label_findings",
    "publication_of",
    "published_after_issue",
]

PUBLISHED_AFTER_ISSUE = "citation.published_after_issue"
_DATE_MEMBERS = ("year", "not_before")


def _invalid(message: str, field: str) -> SchemaError:
    return SchemaError(message, code="dataset.value_invalid", field=field)


def check_published(published: Any, pointer: str) -> None:
    """Check a ``published`` object beyond its schema: at most one way of dating it, and a real month.

    A real ``date`` excludes ``year``/``month``/``not_before``; ``year`` and ``not_before`` exclude each other
    (``dataset.value_invalid`` at ``pointer``'s member). Requires a schema-valid shape."""
    if not isinstance(published, Mapping):
        raise _invalid("published must be an object {date, source, ...}", pointer)
    exact = published.get("date") not in (None, "unspecified")
    given = [m for m in (*_DATE_MEMBERS, "month") if m in published]
    if exact and given:
        raise _invalid(f"published names its day; {given[0]} would date it twice", f"{pointer}/{given[0]}")
    if all(m in published for m in _DATE_MEMBERS):
        raise _invalid("published gives either a year (and month) or a lower bound, not both", f"{pointer}/year")
    if "month" in published and "year" not in published:
        raise _invalid("published gives a month only with its year", f"{pointer}/month")


def earliest_publication(published: Mapping[str, Any] | None) -> date | None:
    """The earliest day the value can have been published, as ``published`` says; ``None`` when unknown."""
    if not isinstance(published, Mapping):
        return None
    try:
        if published.get("date") not in (None, "unspecified"):
            return date.fromisoformat(str(published["date"]))
        if "year" in published:
            return date(int(published["year"]), int(published.get("month", 1)), 1)
        if "not_before" in published:
            return date.fromisoformat(str(published["not_before"]))
    except (TypeError, ValueError):
        return None
    return None


def _said(published: Mapping[str, Any]) -> str:
    if published.get("date") not in (None, "unspecified"):
        return f"on {published['date']}"
    if "month" in published:
        return f"in {published['year']}-{int(published['month']):02d}"
    if "year" in published:
        return f"in {published['year']}"
    return f"not before {published.get('not_before')}"


def publication_of(body: Mapping[str, Any], key: Any) -> Mapping[str, Any] | None:
    """The ``published`` of value ``key`` in dataset ``body`` (the ``dataset`` object), else the dataset's own."""
    for item in body.get("values") or ():
        if isinstance(item, Mapping) and item.get("key") == key and isinstance(item.get("published"), Mapping):
            return item["published"]
    own = body.get("published")
    return own if isinstance(own, Mapping) else None


def published_after_issue(
    label_record: Mapping[str, Any], cite: Mapping[str, Any], body: Mapping[str, Any], field: str = "/cites"
) -> dict[str, Any] | None:
    """The finding ``citation.published_after_issue`` when ``cite``'s value was certainly published after the
    label's ``issued_at`` (module docstring), else ``None``. ``body`` is the cited dataset (its ``dataset``
    object); ``field`` the citation's JSON Pointer in the label."""
    try:
        issued = date.fromisoformat(str(label_record.get("issued_at")))
    except ValueError:
        return None
    published = publication_of(body, cite.get("key"))
    earliest = earliest_publication(published)
    if published is None or earliest is None or earliest <= issued:
        return None
    cited = f"{body.get('id')} v{body.get('version')} {cite.get('key')!r}"
    return {
        "code": PUBLISHED_AFTER_ISSUE,
        "field": field,
        "message": (
            f"the label states it was issued on {issued}, but {cited} was published {_said(published)} "
            f"({published.get('source')}): the label cites a value published after its issue date, so its "
            "issue date is not evidence of when it was computed"
        ),
        "issued_at": issued.isoformat(),
        "published": dict(published),
    }


def label_findings(
    label_record: Mapping[str, Any], payload_of: Callable[[str], Mapping[str, Any] | None]
) -> list[dict[str, Any]]:
    """Every ``citation.published_after_issue`` finding of the label's ``cites``, in order. ``payload_of(entry_id)``
    returns the cited ``dataset.publish`` payload the caller holds (or None: nothing to judge)."""
    out: list[dict[str, Any]] = []
    cites: Iterable[Any] = label_record.get("cites") or ()
    for i, cite in enumerate(cites):
        if not isinstance(cite, Mapping):
            continue
        payload = payload_of(str(cite.get("entry")))
        if payload is None:
            continue
        inner = payload.get("dataset")
        body = inner if isinstance(inner, Mapping) and "id" in inner else payload
        if body.get("id") != cite.get("dataset") or body.get("version") != cite.get("version"):
            continue  # not the cited dataset: the citation checks refuse it, nothing to date here
        finding = published_after_issue(label_record, cite, body, f"/cites/{i}")
        if finding is not None:
            out.append(finding)
    return out
