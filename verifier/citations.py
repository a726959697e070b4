"""Citations: what a label's citation of a dataset entry must satisfy (DESIGN §5 "Background data": "labels cite
the entries they used; admission and the verifier check each citation").

A label's stated factor must equal the signed value in number, unit and kind, so factors that differ in
scope or gases are never mixed silently. Pure: callers pass the cited ``dataset.publish`` payload (or None)
and its version status; the rule book (admission and the buyer's fold) refuses a mismatch, and the
verifier's report shows each citation's status — with its findings, e.g. ``citation.published_after_issue``
when the cited value was published after the label's issue date (flagged, never refused:
:mod:`verifier.citations_published` says why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mapping.errors import InputError, SchemaError
from mapping.vocabulary import DECLARED_GWP_SETS, ELECTRICITY_UNITS

from .citations_published import published_after_issue
from .datasets import DATASET_STATUSES, dataset_values, parse_value, split_payload

__all__ = ["CitationResult", "check_citation", "check_label_citations", "require_present"]

_CITE_MEMBERS = ("dataset", "version", "entry", "key")


@dataclass(frozen=True)
class CitationResult:
    """What a buyer sees for one citation: who published the factor, which version, whether a newer one exists.

    ``status``: ``matched`` (the cited version is current), ``superseded`` (a newer version exists:
    ``newer_version`` is the newest), ``retired`` (the publisher retired the cited version) or
    ``missing`` (the cited entry was not available to check). ``findings``: what the buyer should know that
    refuses nothing, each ``{code, field, message, ...}`` (``citation.published_after_issue``).
    """

    dataset: str
    version: int
    entry: str
    key: str
    status: str
    value: str | None = None
    unit: str | None = None
    kind: str | None = None
    publisher: str | None = None
    newer_version: int | None = None
    findings: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.version,
            "entry": self.entry,
            "key": self.key,
            "status": self.status,
            "value": self.value,
            "unit": self.unit,
            "kind": self.kind,
            "publisher": self.publisher,
            "newer_version": self.newer_version,
            "findings": [dict(f) for f in self.findings],
        }


def _cite_field(label_record: Mapping[str, Any] | None, cite: Mapping[str, Any], member: str) -> str:
    """``/cites/<i>/<member>`` for the label's ``cites`` item equal to ``cite``; ``/cites`` if none is."""
    for i, c in enumerate((label_record or {}).get("cites") or ()):
        if isinstance(c, Mapping) and all(c.get(m) == cite.get(m) for m in _CITE_MEMBERS):
            return f"/cites/{i}/{member}"
    return "/cites"


def _same_citation(a: Any, b: Mapping[str, Any]) -> bool:
    return isinstance(a, Mapping) and all(a.get(m) == b.get(m) for m in _CITE_MEMBERS)


def _normalized(value: Decimal, unit: str) -> tuple[str, Decimal]:
    """(unit family, value) with electricity units brought to kg per kWh exactly; other units as they are."""
    if unit in ELECTRICITY_UNITS:
        gases, scale = ELECTRICITY_UNITS[unit]
        return f"kg{gases}/kWh", value * scale
    return unit, value


def _compare_factor(factor: Mapping[str, Any], item: Mapping[str, Any], pointer: str, cited: str) -> None:
    def mismatch(member: str, stated: Any, signed: Any) -> SchemaError:
        return SchemaError(
            f"the label states {member} {stated!r} for {cited}, but the publisher signed {signed!r}",
            code="dataset.citation_value_mismatch",
            field=f"{pointer}/{member}",
        )

    stated_unit, signed_unit = factor.get("unit"), item["unit"]
    family_l, value_l = _normalized(parse_value(factor.get("value"), f"{pointer}/value"), str(stated_unit))
    family_s, value_s = _normalized(Decimal(item["value"]), signed_unit)
    if family_l != family_s:
        raise mismatch("unit", stated_unit, signed_unit)
    if value_l != value_s:
        raise mismatch("value", factor.get("value"), f"{item['value']} {signed_unit}")
    if factor.get("kind") != item["kind"]:
        raise mismatch("kind", factor.get("kind"), item["kind"])
    if "year" in factor and "year" in item and factor["year"] != item["year"]:
        raise mismatch("year", factor["year"], item["year"])
    td = item.get("td_losses_included")
    if "td_losses_included" in factor and isinstance(td, bool) and factor["td_losses_included"] != td:
        raise mismatch("td_losses_included", factor["td_losses_included"], td)
    gwp = item.get("gwp_set")
    if "gwp_set" in factor and gwp in frozenset(DECLARED_GWP_SETS) and factor["gwp_set"] != gwp:
        raise mismatch("gwp_set", factor["gwp_set"], gwp)


def check_citation(
    cite: Mapping[str, Any],
    dataset_body: Mapping[str, Any] | None,
    dataset_status: str,
    label_record: Mapping[str, Any],
    *,
    newer_versions: Iterable[int] = (),
    publisher: str | None = None,
    entry_id: str | None = None,
) -> CitationResult:
    """Check one item of a label's ``cites`` against the dataset entry it names; return what a buyer sees.

    Requires ``cite`` to be schema-valid ``{dataset, version, entry, key}``. ``dataset_body`` is the
    ``dataset.publish`` payload the log holds under ``cite["entry"]`` (or its ``dataset`` object, with
    ``publisher`` passed), or ``None`` if it is not available. ``dataset_status`` is that version's status
    (one of :data:`DATASET_STATUSES`, e.g. from :func:`version_statuses`); ``newer_versions`` the published
    versions above it; ``entry_id`` the id of the entry found, when the caller looked it up some other way.

    Steps: (1) not available → status ``missing`` (no error: a report; :func:`require_present` raises
    ``dataset.citation_missing``); (2) the entry must be the one cited, with the cited dataset id and
    version (``dataset.citation_mismatch``); (3) the key must be in it (``dataset.citation_unknown_key``;
    for a release digest the key is a released file's name); (4) every electricity factor of the label
    whose ``citation`` equals ``cite`` must state the signed value (equal as Decimal, units converted
    exactly between kg/kWh, t/MWh and g/kWh), the same kind, and where both state them the same year, T&D
    flag and GWP set (``dataset.citation_value_mismatch`` at ``/footprint/electricity/<i>/factor/<member>``);
    (5) status ``retired``, else ``superseded`` if a newer version exists, else ``matched``; (6) findings: the
    cited value published after the label's ``issued_at`` (``citation.published_after_issue``, a flag).
    """
    if dataset_status not in DATASET_STATUSES:
        raise InputError(
            f"dataset status {dataset_status!r} is not one of {list(DATASET_STATUSES)}", code="dataset.status_invalid"
        )
    base: dict[str, Any] = {m: cite.get(m) for m in _CITE_MEMBERS}
    # Step 1: availability.
    if dataset_body is None or dataset_status == "missing":
        return CitationResult(**base, status="missing")
    body, signed_publisher = split_payload(dataset_body)
    publisher = signed_publisher or publisher
    # Step 2: the entry is the one cited.
    if entry_id is not None and entry_id != cite.get("entry"):
        raise SchemaError(
            f"the citation names entry {cite.get('entry')} but the entry found is {entry_id}",
            code="dataset.citation_mismatch",
            field=_cite_field(label_record, cite, "entry"),
        )
    for member, signed in (("dataset", body.get("id")), ("version", body.get("version"))):
        if cite.get(member) != signed:
            raise SchemaError(
                f"the citation names {member} {cite.get(member)!r} but entry {cite.get('entry')} publishes {signed!r}",
                code="dataset.citation_mismatch",
                field=_cite_field(label_record, cite, member),
            )
    # Step 3: the key is in the signed dataset.
    key = cite.get("key")
    cited = f"{body.get('id')} v{body.get('version')} {key!r}"
    if body.get("values") is not None:
        item = dataset_values(body).get(key)  # type: ignore[arg-type]
        if item is None:
            raise SchemaError(
                f"dataset {body.get('id')} version {body.get('version')} has no value with key {key!r}",
                code="dataset.citation_unknown_key",
                field=_cite_field(label_record, cite, "key"),
            )
        value, unit, kind = item["value"], item["unit"], item["kind"]
    else:
        files = {f.get("name") for f in (body.get("release") or {}).get("files") or ()}
        if key not in files:
            raise SchemaError(
                f"release {body.get('id')} version {body.get('version')} lists no file named {key!r}",
                code="dataset.citation_unknown_key",
                field=_cite_field(label_record, cite, "key"),
            )
        item, value, unit, kind = None, None, None, None
    # Step 4: the label's stated factors equal the signed value.
    supplies = (label_record.get("footprint") or {}).get("electricity") or ()
    for i, supply in enumerate(supplies):
        factor = supply.get("factor") if isinstance(supply, Mapping) else None
        if not isinstance(factor, Mapping) or not _same_citation(factor.get("citation"), cite):
            continue
        pointer = f"/footprint/electricity/{i}/factor"
        if item is None:
            raise SchemaError(
                f"{cited} is a released file, not a factor value; a stated factor cannot cite it",
                code="dataset.citation_value_mismatch",
                field=f"{pointer}/citation",
            )
        _compare_factor(factor, item, pointer, cited)
    # Step 5: status.
    newer = sorted(v for v in newer_versions if isinstance(v, int) and v > (body.get("version") or 0))
    newest = newer[-1] if newer else None
    if dataset_status == "retired":
        status = "retired"
    elif dataset_status == "superseded" or newer:
        status = "superseded"
    else:
        status = "matched"
    # Step 6: findings (flags, not refusals).
    where = _cite_field(label_record, cite, "key").removesuffix("/key")
    late = published_after_issue(label_record, cite, body, where)
    return CitationResult(
        **base,
        status=status,
        value=value,
        unit=unit,
        kind=kind,
        publisher=publisher,
        newer_version=newest,
        findings=() if late is None else (late,),
    )


def require_present(result: CitationResult, label_record: Mapping[str, Any] | None = None) -> CitationResult:
    """Return ``result``, or raise ``dataset.citation_missing`` if it is ``missing`` (admission: the cited
    entry must be in the log). With ``label_record`` the error points at the citation's ``entry``."""
    if result.status == "missing":
        raise SchemaError(
            f"cited dataset entry {result.entry} ({result.dataset} v{result.version}) is not in the log",
            code="dataset.citation_missing",
            field=_cite_field(label_record, result.to_dict(), "entry"),
        )
    return result


def check_label_citations(label_record: Mapping[str, Any]) -> None:
    """Every electricity factor's ``citation`` must also be listed in the label's ``cites`` (so checking each
    item of ``cites`` with :func:`check_citation` checks every cited factor): ``dataset.citation_unlisted``."""
    cites = [c for c in label_record.get("cites") or () if isinstance(c, Mapping)]
    supplies = (label_record.get("footprint") or {}).get("electricity") or ()
    for i, supply in enumerate(supplies):
        factor = supply.get("factor") if isinstance(supply, Mapping) else None
        citation = factor.get("citation") if isinstance(factor, Mapping) else None
        if citation is None:
            continue
        if not any(_same_citation(citation, c) for c in cites):
            raise SchemaError(
                f"electricity factor {i} cites {citation.get('dataset')} v{citation.get('version')} "
                f"{citation.get('key')!r}, which the label's 'cites' does not list",
                code="dataset.citation_unlisted",
                field=f"/footprint/electricity/{i}/factor/citation",
            )
