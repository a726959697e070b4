"""Step 10 offline (DESIGN §6): the equivalence verdict from the agreement entries a bundle carries.

The rules are mapping/ 's (:func:`mapping.equivalence.evaluate`); this module feeds them what the buyer
holds, exactly as the log service does online (``ledger/agreements_service.py``), so both give the same
verdict: every event's time is its entry's ``signed_at`` (admission keeps it within the clock window of
the log's time), its index is its ledger index, the conversions are :data:`mapping.conversions.CONVERSIONS`
and the tolerance is measured against the total recomputed from the label's own stage × gas masses.

Judging the entries is the rule book's job (:mod:`verifier.bundle_fold`), and anchoring their signers in the
trust file step 10's (:mod:`verifier.steps_equivalence`); only events that passed both reach
:func:`offline_verdict`.
Registry data (DESIGN §5 "Background data": "conversions take factors only from cited or agreement-pinned
entries and name them in the trail"): :func:`convert_steps` gets the agreement's dataset pins with every step
and the pinned ``dataset.publish`` payloads the caller holds (``datasets``: entry id → payload; the log
service reads them from the log, the verifier passes the bundle's authenticated ones). Every pin must be
available, else the conversion fails with ``mapping.dataset_unavailable`` — never a silent fallback:

* ``gwp-recharacterize`` takes its GWP values from the pinned ``ipcc-gwp100`` (kind ``gwp``) entry, and the
  trail names it; with no GWP pin it uses the package table and the trail says so. A pin's key is ``*``
  (the whole table), a set (``AR6``) or one ``<gas>/<set>`` value, and must name values the entry holds.
* ``electricity-rebase`` names its target factor ``{"factor": {dataset, version, entry, key}}`` (and,
  optionally, ``old_factor`` the same way); each must be one of the pins, and is read from the pinned
  entry (value, unit, kind, year, geography, T&D, GWP set) with that reference as its ``source``. Factors
  written into the terms as numbers are refused. ``"allow_mixed_kinds": true`` in the params (the agreement
  allowing factors of different scope or gases) is passed on, and the result is then approximate;
  ``"stages": [...]`` limits it to the supplies of those stages.
* ``use-stage-rebase`` (the use stage to the grid of the market of use) names the market's grid factor the
  same way, ``{"factor": {dataset, version, entry, key}}``, read from the pinned entry.

Pure: no I/O, no clock, and no import of ledger/.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mapping.conversions import CONVERSIONS, apply_steps
from mapping.equivalence import Verdict, evaluate
from mapping.errors import CarbonLedgerError, MappingError
from mapping.footprint import FACTOR_KINDS, Footprint
from mapping.gwp import GWP_DATASET_ID, gwp_table_from_dataset
from mapping.negotiation import AgreementEvent
from mapping.orderings import GWP_SETS

from .agreements import EVENT_KINDS

KNOWN_CONVERSIONS = frozenset(CONVERSIONS)
DatasetPayloads = Mapping[str, Mapping[str, Any]]
_PIN_KEYS = ("dataset", "version", "entry", "key")
# Electricity units a dataset may sign, as the conversions' kg-per-kWh units (1 t/MWh = 1 kg/kWh).
_FACTOR_UNITS = {
    "kgCO2/kWh": ("kgCO2/kWh", Decimal(1)),
    "tCO2/MWh": ("kgCO2/kWh", Decimal(1)),
    "gCO2/kWh": ("kgCO2/kWh", Decimal("0.001")),
    "kgCO2e/kWh": ("kgCO2e/kWh", Decimal(1)),
    "tCO2e/MWh": ("kgCO2e/kWh", Decimal(1)),
    "gCO2e/kWh": ("kgCO2e/kWh", Decimal("0.001")),
}


def _ref(raw: Any, field: str) -> dict[str, Any]:
    """A dataset reference ``{dataset, version, entry, key}`` (a pin, or a factor named in a step's params)."""
    if not isinstance(raw, Mapping) or any(k not in raw for k in _PIN_KEYS):
        raise MappingError(
            f"{field} must name a dataset entry {{dataset, version, entry, key}}",
            code="mapping.bad_params",
            field=field,
        )
    return {k: raw[k] for k in _PIN_KEYS}


def _described(ref: Mapping[str, Any]) -> str:
    return f"dataset {ref['dataset']} version {ref['version']} (entry {str(ref['entry'])[:16]}…)"


def _body(ref: Mapping[str, Any], datasets: DatasetPayloads, field: str) -> Mapping[str, Any]:
    """The ``dataset`` object of the pinned entry; ``mapping.dataset_unavailable`` when it is not held."""
    payload = datasets.get(ref["entry"])
    if payload is None:
        raise MappingError(
            f"{_described(ref)} is pinned by the agreement but not available here (not held, or not "
            "authenticated): the conversion cannot use it and falls back on nothing",
            code="mapping.dataset_unavailable",
            field=field,
        )
    inner = payload.get("dataset")
    body = inner if isinstance(inner, Mapping) and "id" in inner else payload
    if body.get("id") != ref["dataset"] or body.get("version") != ref["version"]:
        raise MappingError(
            f"entry {str(ref['entry'])[:16]}… holds dataset {body.get('id')} version {body.get('version')}, not the "
            f"pinned {ref['dataset']} version {ref['version']}",
            code="mapping.dataset_mismatch",
            field=field,
        )
    return body


def _source(ref: Mapping[str, Any], payload: Mapping[str, Any] | None) -> dict[str, Any]:
    out = dict(ref)
    publisher = None if payload is None else payload.get("publisher")
    if isinstance(publisher, str):
        out["publisher"] = publisher
    return out


def _is_gwp(body: Mapping[str, Any]) -> bool:
    values = body.get("values") or []
    return body.get("id") == GWP_DATASET_ID or (
        bool(values) and all(isinstance(v, Mapping) and v.get("kind") == "gwp" for v in values)
    )


def _gwp_params(params: dict[str, Any], pins: list[dict[str, Any]], datasets: DatasetPayloads, where: str) -> dict:
    if "table" in params or "table_source" in params:
        raise MappingError(
            f"{where}gwp-recharacterize takes its GWP values from a pinned ipcc-gwp100 entry, not from the terms",
            code="mapping.bad_params",
            field="params",
        )
    gwp = [(i, p) for i, p in enumerate(pins) if _is_gwp(_body(p, datasets, f"datasets/{i}"))]
    entries = {p["entry"] for _, p in gwp}
    if not gwp:
        return params  # no GWP table pinned: the package table, and the trail says so
    if len(entries) > 1:
        raise MappingError(
            f"{where}the agreement pins {len(entries)} different GWP dataset entries: which table applies is ambiguous",
            code="mapping.dataset_ambiguous",
            field="datasets",
        )
    first = gwp[0][1]
    body = _body(first, datasets, f"datasets/{gwp[0][0]}")
    table = gwp_table_from_dataset(body.get("values") or [])
    for i, pin in gwp:
        key = pin["key"]
        gas, _, gwp_set = str(key).rpartition("/")
        held = (
            key == "*"
            or (not gas and any(key in sets for sets in table.values()))
            or (gas and gwp_set in GWP_SETS and gwp_set in table.get(gas, {}))
        )
        if not held:
            raise MappingError(
                f"pin datasets/{i} names key {key!r}, which {_described(pin)} does not hold (a GWP pin's key is "
                "'*', a set such as 'AR6', or '<gas>/<set>')",
                code="mapping.dataset_key_unknown",
                field=f"datasets/{i}/key",
            )
    source = _source({k: first[k] for k in ("dataset", "version", "entry")}, datasets.get(first["entry"]))
    source["key"] = " ".join(sorted(str(p["key"]) for _, p in gwp))
    return {**params, "table": table, "table_source": source}


def _factor(raw: Any, field: str, pins: list[dict[str, Any]], datasets: DatasetPayloads, where: str) -> dict[str, Any]:
    """The factor object a pinned dataset value makes, with its dataset reference as ``source``."""
    if isinstance(raw, Mapping) and "value" in raw:
        raise MappingError(
            f"{where}{field} is written into the terms as a number; an agreement names its factor by a pinned "
            "dataset entry {dataset, version, entry, key}",
            code="mapping.factor_not_pinned",
            field=f"params/{field}",
        )
    ref = _ref(raw, f"params/{field}")
    if ref not in pins:
        raise MappingError(
            f"{where}{field} names {_described(ref)} key {ref['key']!r}, which is not one of the agreement's "
            "pinned dataset entries",
            code="mapping.factor_not_pinned",
            field=f"params/{field}",
        )
    body = _body(ref, datasets, f"params/{field}")
    item = next((v for v in body.get("values") or [] if v.get("key") == ref["key"]), None)
    if item is None:
        raise MappingError(
            f"{where}{_described(ref)} holds no value {ref['key']!r}",
            code="mapping.dataset_key_unknown",
            field=f"params/{field}/key",
        )
    source = _source(ref, datasets.get(ref["entry"]))
    unit, kind = item.get("unit"), item.get("kind")
    if kind not in FACTOR_KINDS or unit not in _FACTOR_UNITS:
        raise MappingError(
            f"{where}{_described(ref)} value {ref['key']!r} is kind {kind!r} in {unit!r}: not an electricity factor",
            code="mapping.factor_kind_mismatch",
            field=f"params/{field}",
        )
    value = item.get("value")
    if not isinstance(value, str):
        raise MappingError(
            f"{where}{_described(ref)} value {ref['key']!r} is not a decimal string",
            code="mapping.bad_quantity",
            field=f"params/{field}",
        )
    to_unit, scale = _FACTOR_UNITS[unit]
    if scale != 1 or to_unit != unit:
        source.update(signed_value=value, signed_unit=unit)
        value = str(Decimal(value) * scale)
    out: dict[str, Any] = {"value": value, "unit": to_unit, "kind": kind, "source": source}
    for member in ("year", "geography", "td_losses_included"):
        if item.get(member) is not None and not (member == "td_losses_included" and not isinstance(item[member], bool)):
            out[member] = item[member]
    if item.get("gwp_set") in GWP_SETS:
        out["gwp_set"] = item["gwp_set"]
    return out


def _rebase_params(params: dict[str, Any], pins: list[dict[str, Any]], datasets: DatasetPayloads, where: str) -> dict:
    if "new_factor" in params:
        raise MappingError(
            f"{where}electricity-rebase names its target factor as params.factor {{dataset, version, entry, key}} "
            "(a pinned dataset entry), not new_factor",
            code="mapping.factor_not_pinned",
            field="params/new_factor",
        )
    if "factor" not in params:
        raise MappingError(
            f"{where}electricity-rebase needs params.factor naming a pinned dataset entry",
            code="mapping.bad_params",
            field="params/factor",
        )
    rest = {k: v for k, v in params.items() if k not in ("factor", "old_factor")}
    out = {**rest, "new_factor": _factor(params["factor"], "factor", pins, datasets, where)}
    if params.get("old_factor") is not None:
        out["old_factor"] = _factor(params["old_factor"], "old_factor", pins, datasets, where)
    if "allow_mixed_kinds" in out and not isinstance(out["allow_mixed_kinds"], bool):
        raise MappingError(
            f"{where}allow_mixed_kinds must be true or false",
            code="mapping.bad_params",
            field="params/allow_mixed_kinds",
        )
    return out


def _use_stage_params(
    params: dict[str, Any], pins: list[dict[str, Any]], datasets: DatasetPayloads, where: str
) -> dict:
    if "factor" not in params:
        raise MappingError(
            f"{where}use-stage-rebase needs params.factor naming a pinned dataset entry (the market of use's grid)",
            code="mapping.bad_params",
            field="params/factor",
        )
    return {**params, "factor": _factor(params["factor"], "factor", pins, datasets, where)}


def resolve_steps(steps: list[dict[str, Any]], datasets: DatasetPayloads | None = None) -> list[dict[str, Any]]:
    """The agreement's steps ``{name, params, datasets: [pins]}`` with their registry data resolved from
    ``datasets`` (entry id → ``dataset.publish`` payload): ``[{name, params}]`` for
    :func:`mapping.conversions.apply_steps`. Raises :class:`MappingError` (module docstring)."""
    held = datasets or {}
    if not isinstance(steps, list):
        raise MappingError("steps must be a list of {name, params}", code="mapping.bad_params", field="steps")
    out = []
    for n, step in enumerate(steps):
        if not isinstance(step, Mapping):
            raise MappingError(f"steps/{n} must be an object", code="mapping.bad_params", field=f"steps/{n}")
        where = f"steps/{n}: "
        raw_pins = step.get("datasets") or []
        if not isinstance(raw_pins, list):
            raise MappingError(f"{where}datasets must be a list of pins", code="mapping.bad_params", field="datasets")
        pins = [_ref(p, f"datasets/{i}") for i, p in enumerate(raw_pins)]
        for i, pin in enumerate(pins):  # every pinned entry must be available: nothing falls back
            _body(pin, held, f"datasets/{i}")
        name, params = step.get("name"), step.get("params") or {}
        if isinstance(params, Mapping):
            params = dict(params)
            if name == "gwp-recharacterize":
                params = _gwp_params(params, pins, held, where)
            elif name == "electricity-rebase":
                params = _rebase_params(params, pins, held, where)
            elif name == "use-stage-rebase":
                params = _use_stage_params(params, pins, held, where)
        out.append({"name": name, "params": params})
    return out


def convert_steps(
    record: dict[str, Any], steps: list[dict[str, Any]], datasets: DatasetPayloads | None = None
) -> dict[str, Any]:
    """The converter :func:`evaluate` calls: run the agreement's conversion steps on the label record, with
    their registry data taken from the pinned ``datasets`` (entry id → ``dataset.publish`` payload)."""
    return apply_steps(record, resolve_steps(steps, datasets)).to_dict()


def recompute_total(record: dict[str, Any]) -> Decimal | None:
    """The label's total recomputed from its own stage × gas masses under its own GWP set (``None`` when the
    label lacks the data): what an agreement's tolerance is measured against. Same rule as the log service."""
    try:
        fp = Footprint.from_label(record, stage_tolerance=Decimal(1), gas_tolerance=Decimal(1))
        gwp_set = fp.gwp_set
        if gwp_set is None or not fp.stages:
            return None
        return sum((stage.co2e(gwp_set, fp.biogenic_rule) for stage in fp.stages.values()), Decimal(0))
    except (CarbonLedgerError, AttributeError, TypeError):
        return None


def offline_verdict(
    label: dict[str, Any],
    label_scheme: str,
    label_index: int,
    label_signed_at: str,
    target_scheme: str,
    at: date,
    history: list[AgreementEvent],
    *,
    datasets: DatasetPayloads | None = None,
) -> Verdict:
    """The verdict of :func:`mapping.equivalence.evaluate` for the label as logged (its index and its
    entry's ``signed_at``) on the date asked, with the same converter and recomputation as the log service.
    ``datasets`` (entry id → ``dataset.publish`` payload) holds the dataset entries the agreements pin; a
    pinned entry missing from it fails the conversion (``mapping.dataset_unavailable``).
    Raises :class:`~mapping.errors.MappingError` when the history breaks a negotiation rule."""

    def convert(record: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
        return convert_steps(record, steps, datasets)

    return evaluate(
        label,
        label_scheme,
        label_index,
        datetime.fromisoformat(label_signed_at),
        target_scheme,
        at,
        history,
        convert=convert,
        recompute_total=recompute_total,
    )


__all__ = [
    "EVENT_KINDS",
    "KNOWN_CONVERSIONS",
    "DatasetPayloads",
    "convert_steps",
    "offline_verdict",
    "recompute_total",
    "resolve_steps",
]
