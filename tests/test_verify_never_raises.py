"""Property: the verifier answers every bundle with a :class:`Report`, never an exception.

Labels start from ``tests/data/label_gd_midea.json``; hypothesis varies their dates (real ones from 0001-01-01
to 9999-12-31, and impossible ones such as 2026-02-30 or hour 25), strings (any Unicode, beyond the BMP
too), numbers as decimal strings (drawn from the schema's own patterns), optional members present or absent
and list lengths. Each label is signed by an authorized key and put into a bundle either by the log (it is
appended and its bundle built: such bundles can pass every step, including step 10 under an agreement with
or without a conversion) or by a forger (the label envelope replaced in a real bundle: the signature
verifies, the inclusion proof does not). Each goes through ``verify_bundle`` and, with others, through
``verify_shipment``; each bundle's report is the same either way. One log serves the whole run.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ledger import agreements_service as svc
from ledger.bundles import build_bundle, export_trust
from ledger.log import Log, Receipt
from ledger.store import Store
from verifier import schemas
from verifier.canonical import canonicalize
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.report import Report
from verifier.verify import verify_bundle, verify_shipment

from .helpers import NOW, Signer, label_for
from .test_verify_equivalence import terms

GD, HK, CT = "gd-carbon-label", "hk-cma-carbon-label", "carbontrust-label"
EXIT_CODES = {0, 3, 4, 5, 6, 7}
_DEFS = schemas.load_schema("common")["$defs"]


@dataclass(repr=False)
class World:
    """GD, HK and Carbon Trust registered; CQC Guangzhou authorized by GD; the GD <-> HK mutual agreement and
    the GD -> Carbon Trust one (with a GWP conversion) in force; one label issued, whose bundle forgers edit."""

    log: Log
    roots: dict[str, Signer]
    cqc: Signer
    trust: bytes
    template: bytes
    ids: Iterator[int] = field(default_factory=itertools.count)
    exits: list[int] = field(default_factory=list)
    steps_passed: set[int] = field(default_factory=set)

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example: keep it short
        return f"World(log of {self.log.size} entries)"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('never-raises') / 'ledger.db'}")
    log = Log(store, SigningKey.generate(), "never-raises.test/log", Policy(frozenset({GD, HK, CT})), lambda: NOW)
    roots, cqc = {s: Signer() for s in (GD, HK, CT)}, Signer()
    for scheme, root in roots.items():
        log.submit(root.register(scheme))
    log.submit(roots[GD].authorize(GD, cqc))
    for name, other in (("gd-hk-mutual", HK), ("gd-to-carbontrust-ar6", CT)):
        doc = terms(name)
        log.submit(roots[GD].sign("agreement.propose", svc.propose_fields(GD, doc)))
        ref = {"id": name, "version": 1, "terms_hash": svc.terms_hash_of(log, name, 1)}
        log.submit(roots[other].sign("agreement.accept", {"scheme": other, "agreement": ref}))
    log.submit(cqc.issue(label_for(GD, "GD-TEMPLATE")))
    trust = json.dumps(export_trust(log).to_dict()).encode()
    yield World(log, roots, cqc, trust, build_bundle(log, "GD-TEMPLATE", GD, HK))
    store.close()


# ---- strategies --------------------------------------------------------------------------------------------


def _from_pattern(name: str) -> st.SearchStrategy[str]:
    return st.from_regex(_DEFS[name]["pattern"], fullmatch=True)


DECIMAL, NONNEG, PERCENT = _from_pattern("decimal"), _from_pattern("nonneg_decimal"), _from_pattern("percent")
TEXT = st.text(min_size=1, max_size=24)
LAST_DAY = date(9999, 12, 31)
REAL_DAYS = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=LAST_DAY),
    st.sampled_from([date(1, 1, 1), LAST_DAY, date(2024, 2, 29), date(2000, 2, 29)]),
)
IMPOSSIBLE_DAYS = st.one_of(
    st.sampled_from(["2026-02-30", "2025-02-29", "2100-02-29", "1900-02-29", "2026-04-31", "0000-01-01"]),
    st.tuples(st.integers(0, 9999), st.integers(1, 12), st.integers(29, 31))
    .map(lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}")
    .filter(lambda s: _not_a_day(s)),
)


def _iso(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"  # strftime("%Y") does not pad years before 1000


def _not_a_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return True
    return False


DAYS = st.one_of(REAL_DAYS.map(_iso), REAL_DAYS.map(_iso), IMPOSSIBLE_DAYS)
TIMES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)).map(
        lambda t: f"{_iso(t.date())}T{t:%H:%M:%S}Z"
    ),
    st.sampled_from(["2026-11-24T25:00:00Z", "2025-02-29T12:00:00Z", "2026-11-24T23:59:60Z", "0000-01-01T00:00:00Z"]),
    st.just(NOW.strftime("%Y-%m-%dT%H:%M:%SZ")),
)


@st.composite
def validity(draw: st.DrawFn) -> tuple[str, str]:
    """(issued_at, valid_until): mostly an ordered pair of real days (what a log admits) — often one holding
    today, when the agreements are in force — else any two."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(DAYS), draw(DAYS)
    if choice == 1:
        first, second = sorted((draw(REAL_DAYS), draw(REAL_DAYS)))
        return _iso(first), _iso(second)
    today = NOW.date()
    first = draw(st.dates(min_value=date(2000, 1, 1), max_value=today))
    return _iso(first), _iso(draw(st.dates(min_value=today, max_value=LAST_DAY)))


OPTIONAL = [
    ("product", "model"),
    ("product", "name_zh"),
    ("product", "ids"),
    ("product", "production_site"),
    ("footprint", "stages"),
    ("footprint", "electricity"),
    ("footprint", "dqi"),
    ("footprint", "allocation"),
    ("footprint", "biogenic"),
    ("footprint", "methane_origin"),
    ("footprint", "packagingEmissionsIncluded"),
    ("footprint", "exemptedEmissionsPercent"),
    ("footprint", "primaryDataShare"),
    ("footprint", "productMassPerDeclaredUnit"),
    ("verification", "body"),
    ("verification", "date"),
    ("verification", "standard"),
    ("verification", "statement_id"),
    ("methodology", "pcr"),
]


@st.composite
def labels(draw: st.DrawFn, label_id: str, may_cite: bool) -> dict[str, Any]:
    label = label_for(GD, label_id)
    label["issued_at"], label["valid_until"] = draw(validity())
    product, fp, verification = label["product"], label["footprint"], label["verification"]
    product["name"] = draw(TEXT)
    product["manufacturer"]["name"] = draw(TEXT)
    product["ids"] = draw(st.lists(st.fixed_dictionaries({"system": st.just("gtin"), "value": TEXT}), max_size=4))
    label["methodology"]["standards"] = draw(st.lists(TEXT, min_size=1, max_size=4))
    fp["referencePeriodStart"], fp["referencePeriodEnd"] = draw(validity())
    verification["date"] = draw(DAYS)
    if draw(st.booleans()):  # else what the agreements' conditions read stays the example's own (it passes them)
        _vary_footprint(draw, fp)
        verification["level"] = draw(st.sampled_from(["none", "limited", "reasonable"]))
        for parent, member in OPTIONAL:
            if draw(st.integers(0, 3)) == 0:
                label[parent].pop(member, None)
    if may_cite:
        cite = st.fixed_dictionaries(
            {"dataset": st.just("cn-electricity-footprint"), "version": st.integers(0, 3),
             "entry": st.binary(min_size=32, max_size=32).map(bytes.hex), "key": TEXT}
        )  # fmt: skip
        label["cites"] = draw(st.lists(cite, max_size=2))
    return label


def _vary_footprint(draw: st.DrawFn, fp: dict[str, Any]) -> None:
    """Numbers (as decimal strings), boundary, GWP sets and the number of electricity supplies."""
    fp["ipccCharacterizationFactors"] = draw(
        st.lists(st.sampled_from(["AR4", "AR5", "AR5-feedback", "AR6", "EF3.0", "EF3.1"]), min_size=1, unique=True)
    )
    fp["boundary"] = draw(st.sampled_from(["gate-to-gate", "cradle-to-gate", "cradle-to-grave"]))
    fp["electricity"] = [copy.deepcopy(fp["electricity"][0]) for _ in range(draw(st.integers(0, 3)))]
    fp["pcf"]["value"] = draw(DECIMAL)
    fp["pcfExcludingBiogenicUptake"] = draw(st.one_of(st.just(fp["pcf"]["value"]), DECIMAL))
    fp["pcfIncludingBiogenicUptake"] = draw(st.one_of(st.just(fp["pcf"]["value"]), DECIMAL))
    fp["declaredUnitAmount"] = draw(st.one_of(st.just("1"), NONNEG))
    fp["productMassPerDeclaredUnit"] = draw(NONNEG)
    fp["primaryDataShare"] = draw(PERCENT)
    fp["exemptedEmissionsPercent"] = draw(PERCENT)
    for stage in fp["stages"].values():
        for gas in stage["masses_kg"]:
            stage["masses_kg"][gas] = draw(st.one_of(st.just(stage["masses_kg"][gas]), NONNEG))
    for supply in fp["electricity"]:
        supply["kwh"] = draw(NONNEG)


# ---- bundles -----------------------------------------------------------------------------------------------


def _body(item: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(base64.b64decode(json.loads(base64.b64decode(item["envelope"]))["payload"]))
    return body


def forged_bundle(w: World, label: dict[str, Any], signed_at: str) -> bytes:
    """The template bundle with its label envelope replaced: signed by the label's own key (at the template's
    chain position), never logged."""
    doc = json.loads(w.template)
    item = next(e for e in doc["entries"] if _body(e)["kind"] == "label.issue")
    old = _body(item)
    fields = {"label": label, "signed_at": signed_at}
    envelope = w.cqc.sign("label.issue", fields, seq=old["seq"], prev=old["prev"], advance=False)
    item["envelope"] = base64.b64encode(envelope).decode()
    doc["label_entry"] = hashlib.sha256(base64.b64decode(json.loads(envelope)["payload"])).hexdigest()
    return canonicalize(doc)


def logged_bundle(w: World, label: dict[str, Any], target: str | None) -> bytes | None:
    """The log's bundle of ``label`` once appended; None when the log refuses it (an impossible date, an
    expiry before issue)."""
    envelope = w.cqc.issue(label, advance=False)
    result = w.log.submit_many([envelope])[0]
    if not isinstance(result, Receipt):
        return None
    w.cqc.seq, w.cqc.prev = w.cqc.seq + 1, result.entry_id
    return build_bundle(w.log, label["label_id"], GD, target)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Case:
    """One example: a label, whether the log appends it (else a forger builds its bundle, with ``signed_at``),
    the target scheme and the date asked (``None``: the label's issue date, when it is a real one)."""

    label: dict[str, Any]
    logged: bool
    target: str | None
    at: date | None
    signed_at: str


@st.composite
def cases(draw: st.DrawFn) -> Case:
    logged = draw(st.booleans())
    # a logged label gets a fresh id when appended (ids are unique in a log); a forged one keeps any id
    label_id = "GD-P" if logged else draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/()-]{0,20}", fullmatch=True))
    label = draw(labels(label_id, may_cite=not logged))
    at = draw(st.one_of(st.just(NOW.date()), st.just(None), REAL_DAYS))
    return Case(label, logged, draw(st.sampled_from([None, HK, CT])), at, draw(TIMES))


def _faithful(issued_at: str, valid_until: str, **changes: Any) -> dict[str, Any]:
    label = label_for(GD, "GD-P")
    label.update(issued_at=issued_at, valid_until=valid_until, **changes)
    return label


STAMP = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases())
# Always run, whatever hypothesis draws: labels that pass every step, steps 9 and 10 included (with and without a
# conversion), the last day a date can name, and impossible dates in a forged label and in its signed_at.
@example(case=Case(_faithful("2026-06-01", "2029-05-31"), True, HK, NOW.date(), STAMP))
@example(case=Case(_faithful("2026-06-01", "2029-05-31"), True, CT, NOW.date(), STAMP))
@example(case=Case(_faithful("0001-01-01", "9999-12-31"), True, HK, date(9999, 12, 31), STAMP))
@example(case=Case(_faithful("2026-06-01", "9999-12-31"), True, CT, None, STAMP))
@example(case=Case(_faithful("2026-02-30", "2029-05-31"), False, HK, NOW.date(), STAMP))
@example(case=Case(_faithful("2026-06-01", "2029-05-31"), False, None, NOW.date(), "2026-11-24T25:00:00Z"))
def _check_one(w: World, case: Case) -> None:
    label = copy.deepcopy(case.label)
    if case.logged:
        label["label_id"] = f"GD-P-{next(w.ids)}"
    bundle = logged_bundle(w, label, case.target) if case.logged else None
    if bundle is None:
        bundle = forged_bundle(w, label, case.signed_at)
    at = case.at or _day(label["issued_at"]) or NOW.date()
    kw: dict[str, Any] = {"at": at, "now": NOW, "target_scheme": case.target}

    alone = verify_bundle(bundle, w.trust, **kw)
    shipment = [bundle, w.template, bundle[:-1], bundle]
    reports = verify_shipment(shipment, w.trust, **kw)

    assert isinstance(alone, Report) and len(reports) == len(shipment)
    assert all(isinstance(r, Report) and r.exit_code() in EXIT_CODES for r in reports)
    assert reports[2].exit_code() == 5  # truncated bytes are unusable input
    assert reports[0].to_dict() == alone.to_dict() == reports[3].to_dict()
    w.exits.append(alone.exit_code())
    w.steps_passed.update(n for n, s in alone.steps.items() if s.status == "passed")


def test_verify_never_raises(world: World) -> None:
    _check_one(world)
    assert 0 in world.exits, f"no example passed every step (exit codes {sorted(set(world.exits))})"
    assert 5 in world.exits and 3 in world.exits, "no example failed at step 1 or as not authentic"
    assert set(range(1, 11)) <= world.steps_passed, "some step never passed: the later steps went unexercised"
