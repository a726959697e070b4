"""Attack: impossible dates ("2026-02-30", hour 25, 29 February 2025) in signed entries.

Found in review: the schemas' date patterns fixed only the shape, so the log admitted a label issued on
30 February, and the verifier's step 9 then met a string ``date.fromisoformat`` refuses — a traceback, and
``verify_shipment`` raised for the whole shipment. Now every date and time of every shipped schema admits
only days and times that exist (``common.schema.json``'s ``real_date`` / ``real_timestamp``), exactly the
strings the parsers read; a refusal is a ``schema.invalid`` naming the value's JSON Pointer; the log refuses
such an entry with that code, and the verifier reports such a bundle as unusable input instead of raising.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from ledger.bundles import build_bundle, export_trust
from ledger.log import Log
from ledger.store import Store
from mapping.agreement_terms import parse_terms
from mapping.conversions import cap_validity
from mapping.equivalence import evaluate
from mapping.errors import CarbonLedgerError, MappingError, SchemaError
from mapping.footprint import Footprint
from verifier import schemas
from verifier.agreements import label_fields, terms_hash
from verifier.canonical import canonicalize
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.report import FAILED, PASSED, Report
from verifier.verify import verify_bundle, verify_shipment

from .helpers import NOW, Signer, label_for, midea_label
from .test_agreements_schemas import examples as agreement_examples
from .test_agreements_terms import KNOWN_CONVERSIONS, base_terms
from .test_datasets_schema import publish_values

GD, HK = "gd-carbon-label", "hk-cma-carbon-label"
AT = date(2023, 1, 1)
STAMP = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def _registry() -> Registry:
    return Registry().with_resources(
        (schemas.load_schema(n)["$id"], Resource.from_contents(schemas.load_schema(n))) for n in schemas.schema_names()
    )


def python_valid(name: str, doc: Any) -> bool:
    return jsonschema.Draft202012Validator(schemas.load_schema(name), registry=_registry()).is_valid(doc)


def refused_as_not_real(name: str, doc: Any, pointer: str) -> SchemaError:
    """Both implementations refuse ``doc``; jsonschema-rs (the verifier's) names ``pointer`` and says why."""
    assert not python_valid(name, doc)
    with pytest.raises(SchemaError) as e:
        schemas.validate(name, doc)
    assert e.value.code == "schema.invalid" and e.value.field == pointer, e.value
    assert "not a real date" in e.value.message, e.value.message
    return e.value


def accepted(name: str, doc: Any) -> None:
    schemas.validate(name, doc)
    assert python_valid(name, doc)


def label_entry(label: dict[str, Any], **header: Any) -> dict[str, Any]:
    body = {"kind": "label.issue", "signer": "ab" * 32, "seq": 0, "prev": "0" * 64, "signed_at": STAMP}
    return {**body, **header, "label": label}


def with_label(**changes: Any) -> dict[str, Any]:
    label = midea_label()
    label.update(changes)
    return label


# ---- the schemas --------------------------------------------------------------------------------------------


def test_label_with_february_30_is_refused_by_the_schema() -> None:
    refused_as_not_real("label-record", with_label(issued_at="2026-02-30"), "/issued_at")
    e = refused_as_not_real("label.issue", label_entry(with_label(issued_at="2026-02-30")), "/label/issued_at")
    assert "'2026-02-30'" in e.message or '"2026-02-30"' in e.message


def test_label_with_valid_until_february_30_is_refused_by_the_schema() -> None:
    refused_as_not_real("label-record", with_label(valid_until="2026-02-30"), "/valid_until")
    refused_as_not_real("label.issue", label_entry(with_label(valid_until="2026-02-30")), "/label/valid_until")


@pytest.mark.parametrize("day", ["2025-04-31", "2025-06-31", "2025-09-31", "2025-11-31", "2026-02-29"])
def test_label_with_a_31st_of_a_30_day_month_or_29_february_2026_is_refused_by_the_schema(day: str) -> None:
    refused_as_not_real("label-record", with_label(valid_until=day), "/valid_until")


def test_signed_at_with_hour_25_is_refused_by_the_schema() -> None:
    body = label_entry(midea_label(), signed_at="2026-11-24T25:00:00Z")
    e = refused_as_not_real("label.issue", body, "/signed_at")
    assert "not a real date and time" in e.message


@pytest.mark.parametrize(
    "stamp", ["2025-02-29T12:00:00Z", "2100-02-29T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T12:60:00Z",
              "2026-11-24T12:00:60Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z",
              "0000-01-01T00:00:00Z"],
)  # fmt: skip
def test_signed_at_on_february_29_of_a_non_leap_year_is_refused_by_the_schema(stamp: str) -> None:
    """Feb 29 in a non-leap year (2025; 2100, a century not divisible by 400), and every other time that does
    not exist: hour 24, minute or second 60 (the parsers take no leap second), month 13 or 00, day 00, year 0."""
    refused_as_not_real("label.issue", label_entry(midea_label(), signed_at=stamp), "/signed_at")


def test_leap_day_2024_02_29_is_accepted() -> None:
    for day in ("2024-02-29", "2000-02-29", "0004-02-29", "9996-02-29"):
        label = with_label(issued_at=day, valid_until=day)
        label["verification"]["date"] = day
        accepted("label-record", label)
        accepted("label.issue", label_entry(label, signed_at=f"{day}T23:59:59Z"))
    for day in ("1900-02-29", "2100-02-29", "2023-02-29"):
        refused_as_not_real("label-record", with_label(issued_at=day), "/issued_at")


@pytest.mark.parametrize(
    "pointer", ["/issued_at", "/valid_until", "/verification/date", "/footprint/referencePeriodStart",
                "/footprint/referencePeriodEnd"],
)  # fmt: skip
def test_every_date_of_a_label_is_a_real_date(pointer: str) -> None:
    label = midea_label()
    *path, last = pointer.strip("/").split("/")
    target = label
    for part in path:
        target = target[part]
    target[last] = "2026-02-30"
    refused_as_not_real("label-record", label, pointer)
    refused_as_not_real("label.issue", label_entry(label), "/label" + pointer)


def test_a_shape_error_is_still_named_by_its_shape() -> None:
    """A value of the wrong shape says so (not "not a real date"); the real-date message is for values whose
    shape is right."""
    with pytest.raises(SchemaError) as e:
        schemas.validate("label-record", with_label(issued_at="2026-2-3"))
    assert e.value.field == "/issued_at" and '"2026-2-3" is not a date YYYY-MM-DD' in e.value.message
    assert "[0-9]" not in e.value.message  # said in words, never as the schema's regular expression
    with pytest.raises(SchemaError) as e:
        schemas.validate("label.issue", label_entry(midea_label(), signed_at="2026-11-24 12:00:00"))
    assert e.value.field == "/signed_at" and "not a real date" not in e.value.message


def test_dataset_with_an_impossible_date_is_refused_by_the_schema() -> None:
    doc = publish_values()
    accepted("dataset.publish", doc)
    doc["signed_at"] = "2026-02-30T00:00:00Z"
    refused_as_not_real("dataset.publish", doc, "/signed_at")


def test_agreement_terms_with_an_impossible_date_are_refused_by_the_schema() -> None:
    for member in ("valid_from", "valid_until"):
        terms = base_terms(**{member: "2026-02-30"})
        refused_as_not_real("agreement-terms", terms, f"/{member}")
        propose = agreement_examples()["agreement.propose"]
        propose["terms"] = terms
        propose["terms_hash"] = terms_hash(terms)
        refused_as_not_real("agreement.propose", propose, f"/terms/{member}")
        with pytest.raises(MappingError) as e:  # the terms' own parser agrees
            parse_terms(terms, known_fields=label_fields(), known_conversions=KNOWN_CONVERSIONS)
        assert e.value.field == f"/{member}" and "calendar date" in e.value.message
    accepted("agreement-terms", base_terms(valid_from="2024-02-29", valid_until="2028-02-29"))


def test_key_not_after_and_every_kinds_signed_at_are_real_times() -> None:
    doc = agreement_examples()["agreement.accept"]
    doc["signed_at"] = "2026-04-31T00:00:00Z"
    refused_as_not_real("agreement.accept", doc, "/signed_at")
    signer, other = Signer(), Signer()
    authorize = {
        "kind": "key.authorize", "signer": signer.key_id, "seq": 0, "prev": "0" * 64, "signed_at": STAMP,
        "scheme": GD, "public_key": other.public_b64, "kinds": ["label.issue"],
        "holder": {"name": "CQC Guangzhou", "role": "certification-body"}, "not_after": "2030-02-29T00:00:00Z",
    }  # fmt: skip
    refused_as_not_real("key.authorize", authorize, "/not_after")
    authorize["not_after"] = "2032-02-29T00:00:00Z"
    accepted("key.authorize", authorize)


# Every date of every schema is one of the two common definitions: no schema writes a date pattern of its own
# (which would not carry the calendar rule), and both definitions carry it.
_DATE_LIKE = re.compile(r"\[0-9\]\{4\}-|\\d\{4\}-")


def _patterns(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "pattern" and isinstance(v, str):
                yield path, v
            else:
                yield from _patterns(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _patterns(v, f"{path}/{i}")


def test_every_date_pattern_of_every_schema_is_a_common_definition_with_the_calendar_rule() -> None:
    for name in schemas.schema_names():
        for path, pattern in _patterns(schemas.load_schema(name)):
            if _DATE_LIKE.search(pattern):
                assert name == "common" and path in (
                    "/$defs/date",
                    "/$defs/timestamp",
                    "/$defs/real_date",
                    "/$defs/real_timestamp",
                ), f"{name}{path} writes a date pattern of its own: use common.schema.json's date or timestamp"
    defs = schemas.load_schema("common")["$defs"]
    assert defs["date"]["$ref"] == "#/$defs/real_date" and defs["date"]["format"] == "date"
    assert defs["timestamp"]["$ref"] == "#/$defs/real_timestamp" and defs["timestamp"]["format"] == "date-time"


def test_the_calendar_patterns_admit_exactly_what_the_parsers_parse() -> None:
    """Schema and parser agree: ``real_date`` matches a YYYY-MM-DD string exactly when ``date.fromisoformat``
    parses it, and ``real_timestamp`` a YYYY-MM-DDTHH:MM:SSZ string exactly when ``datetime.fromisoformat``
    does — over every month and day 00-32 of years that exercise each leap rule, 29 February of every year
    0000-9999, and every hour, minute and second 00-99."""
    defs = schemas.load_schema("common")["$defs"]
    real_date, real_time = re.compile(defs["real_date"]["pattern"]), re.compile(defs["real_timestamp"]["pattern"])

    def parses(parse: Any, text: str) -> bool:
        try:
            parse(text)
        except ValueError:
            return False
        return True

    years = [0, 1, 4, 99, 100, 400, 1000, 1900, 1996, 2000, 2023, 2024, 2025, 2100, 2400, 9000, 9996, 9999]
    days = [f"{y:04d}-{m:02d}-{d:02d}" for y in years for m in range(14) for d in range(33)]
    days += [f"{y:04d}-02-{d}" for y in range(10000) for d in ("28", "29", "30")]
    for day in days:
        assert bool(real_date.fullmatch(day)) == parses(date.fromisoformat, day), day
    stamps = [f"{d}T{h:02d}:{m:02d}:{s:02d}Z" for d in ("2024-02-29", "2025-02-29") for h in range(100)
              for m in (0, 59, 60, 99) for s in (0, 59, 60, 99)]  # fmt: skip
    stamps += [f"{day}T00:00:00Z" for day in days[: 18 * 14 * 33]]
    for stamp in stamps:
        assert bool(real_time.fullmatch(stamp)) == parses(datetime.fromisoformat, stamp), stamp
    for sample in ("2024-02-29", "2026-02-30"):  # the compiled validators agree with the regex
        assert schemas.compile_schema({"$ref": f"{schemas.SCHEMA_BASE}common.schema.json#/$defs/date"}).is_valid(
            sample
        ) == (sample == "2024-02-29")


# ---- the mapping layer: every date it parses is refused cleanly -----------------------------------------------


def test_the_footprint_parser_refuses_impossible_and_other_iso_dates_with_a_mapping_error() -> None:
    for bad in ("2026-02-30", "2022-W01-1", "20220628", 20220628):
        with pytest.raises(MappingError) as e:
            Footprint.from_label(with_label(issued_at=bad))
        assert e.value.code == "mapping.bad_date" and e.value.field == "/issued_at"
    assert Footprint.from_label(with_label(issued_at="2024-02-29")).issued_at == "2024-02-29"


def test_a_validity_cap_past_the_year_9999_is_a_mapping_error() -> None:
    label = midea_label()
    label["footprint"]["referencePeriodEnd"] = "9998-12-31"
    label["valid_until"] = "9999-12-31"
    with pytest.raises(MappingError) as e:
        cap_validity(Footprint.from_label(label), 5)
    assert e.value.code == "mapping.bad_params"
    assert cap_validity(Footprint.from_label(label), 1).footprint.valid_until == "9999-12-31"


def _recognizing_history() -> list[Any]:
    from .test_agreements_negotiation import Ledger

    ledger = Ledger()
    ledger.propose(GD, valid_until="9999-12-31")
    ledger.accept(HK)
    return ledger.history


def test_equivalence_reads_the_last_day_a_date_can_name_and_refuses_an_impossible_one() -> None:
    """valid_until 9999-12-31 (a label's or an agreement's) once overflowed computing "the day after"; an
    impossible valid_until was read as "no end" (so never expired). Now the first holds, the second refuses."""
    history = _recognizing_history()
    logged = history[-1].at

    def verdict(label: dict[str, Any]) -> str:
        return evaluate(
            label, GD, 99, logged, HK, date(9999, 12, 31), history, convert=lambda r, s: {"value": "1"}
        ).verdict

    assert verdict(with_label(valid_until="9999-12-31")) == "recognized"
    with pytest.raises(MappingError) as e:
        verdict(with_label(valid_until="2026-02-30"))
    assert e.value.code == "mapping.bad_date" and e.value.field == "/valid_until"


# ---- the log and the verifier ------------------------------------------------------------------------------


class World:
    """GD and HK registered, CQC Guangzhou authorized by GD to issue; two good labels issued."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.gd, self.hk, self.cqc = Signer(), Signer(), Signer()
        for env in (self.gd.register(GD), self.hk.register(HK), self.gd.authorize(GD, self.cqc)):
            log.submit(env)
        for label_id in ("GD-1", "GD-2"):
            log.submit(self.cqc.issue(label_for(GD, label_id)))

    def trust(self) -> bytes:
        return json.dumps(export_trust(self.log).to_dict()).encode()


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    store = Store(sqlite_url)
    yield World(Log(store, SigningKey.generate(), "dates.test/log", Policy(frozenset({GD, HK})), lambda: NOW))
    store.close()


def refused_at_admission(log: Log, envelope: bytes, field: str) -> CarbonLedgerError:
    size, root, cp = log.size, log.root(), log.checkpoint()
    result = log.submit_many([envelope])[0]
    assert isinstance(result, CarbonLedgerError), "the log admitted an impossible date"
    assert result.code == "schema.invalid" and result.field == field, result
    assert "not a real date" in result.message
    assert (log.size, log.root(), log.checkpoint()) == (size, root, cp)
    return result


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"issued_at": "2026-02-30"}, "/label/issued_at"), ({"valid_until": "2025-02-29"}, "/label/valid_until")],
)
def test_the_log_refuses_a_label_with_an_impossible_date_at_admission(
    world: World, changes: dict[str, str], field: str
) -> None:
    label = label_for(GD, "GD-BAD")
    label.update(changes)
    refused_at_admission(world.log, world.cqc.issue(label, advance=False), field)
    with pytest.raises(SchemaError):
        world.log.submit(world.cqc.issue(label, advance=False))
    # the issuer's chain is unaffected: a good label at the same position is admitted
    world.log.submit(world.cqc.issue(label_for(GD, "GD-3")))


def test_the_log_refuses_an_entry_signed_at_hour_25_or_february_29_2025(world: World) -> None:
    for stamp in ("2026-11-24T25:00:00Z", "2025-02-29T12:00:00Z"):
        envelope = world.cqc.sign("label.issue", {"label": label_for(GD, "GD-T"), "signed_at": stamp}, advance=False)
        refused_at_admission(world.log, envelope, "/signed_at")


def forged_label_bundle(bundle: bytes, signer: Signer, change: Any) -> bytes:
    """``bundle`` with its label replaced by a copy that ``change`` edits, re-signed by the label's own key at
    the same chain position (a careful forger: the signature verifies; only the log never saw it)."""
    doc = json.loads(bundle)
    item = next(e for e in doc["entries"] if _is_label(e))
    body = json.loads(base64.b64decode(json.loads(base64.b64decode(item["envelope"]))["payload"]))
    label = copy.deepcopy(body["label"])
    change(label)
    envelope = signer.sign("label.issue", {"label": label}, seq=body["seq"], prev=body["prev"], advance=False)
    payload = base64.b64decode(json.loads(envelope)["payload"])
    item["envelope"] = base64.b64encode(envelope).decode()
    doc["label_entry"] = hashlib.sha256(payload).hexdigest()
    return canonicalize(doc)


def _is_label(item: dict[str, Any]) -> bool:
    body = json.loads(base64.b64decode(json.loads(base64.b64decode(item["envelope"]))["payload"]))
    return bool(body["kind"] == "label.issue")


def run(bundles: list[bytes], trust: bytes) -> list[Report]:
    return verify_shipment(bundles, trust, at=AT, now=NOW)


@pytest.mark.parametrize(
    "change",
    [
        lambda label: label.update(issued_at="2026-02-30"),
        lambda label: label.update(valid_until="2025-02-29"),
        lambda label: label["verification"].update(date="2022-06-31"),
        lambda label: label["footprint"].update(referencePeriodEnd="2021-11-31"),
    ],
    ids=["issued_at", "valid_until", "verification-date", "reference-period-end"],
)
def test_the_verifier_reports_a_bundle_whose_label_has_an_impossible_date(world: World, change: Any) -> None:
    trust, good = world.trust(), build_bundle(world.log, "GD-1")
    report = verify_bundle(good, trust, at=AT, now=NOW)
    assert report.exit_code() == 0, report.to_dict()

    # A forged label with a real date (2024-02-29) is read and its steps run: its signature verifies, the log
    # never included it.
    leap = forged_label_bundle(good, world.cqc, lambda label: label.update(issued_at="2024-02-29"))
    r = verify_bundle(leap, trust, at=AT, now=NOW)
    assert r.steps[1].status == PASSED and r.steps[2].status == PASSED and r.steps[5].status == FAILED

    bad = forged_label_bundle(good, world.cqc, change)
    r = verify_bundle(bad, trust, at=AT, now=NOW)
    assert isinstance(r, Report) and r.steps[1].status == FAILED and r.exit_code() == 5, r.to_dict()
    assert "not a real date" in r.steps[1].detail
    assert all(step.status != PASSED for number, step in r.steps.items() if number > 1)

    # In a shipment the bad bundle gets its own report; the others are unaffected.
    other = build_bundle(world.log, "GD-2")
    reports = run([good, bad, other, bad], trust)
    assert [x.exit_code() for x in reports] == [0, 5, 0, 5]
    assert reports[1].to_dict() == reports[3].to_dict()
