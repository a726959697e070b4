# ruff: noqa: F811  (the fixtures imported from tests/world_app.py are redefined as arguments)
"""The agreement page's negotiation timeline (issue 19 item 3), in-process over HTML on a real SQLite log: every
propose, counter, revision, accept, withdrawal and expiry in time order, who signed each (the scheme's name and
the fingerprint of the key that signed the entry), the version, and what each new version changed; and the terms
diff it is built on (mapping/terms_diff.py).

The attack guarded: a party slips a changed condition into a counter-proposal and the other accepts it unread —
the page must show the change beside the counter-proposal, not only a new terms hash."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from ledger import agreements_service as svc
from ledger.agreement_timeline import agreement_timelines
from ledger.log import Log
from ledger.store import Store
from mapping.terms_diff import terms_changes
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.trust import fingerprint

from .helpers import NOW, shared_log
from .test_agreements_ledger import CT, GD, HK, JP, World, terms
from .test_web_agreements import section, text_of
from .world_app import anyio_backend, app, client, world  # noqa: F401  (the module's fixtures)

MUTUAL, ONE_WAY, SHORT = "gd-hk-mutual", "gd-to-carbontrust-ar6", "gd-jp-short"
LATER = NOW + timedelta(seconds=30)
AFTER_SHORT = NOW + timedelta(days=10)  # past the short agreement's window: it has expired


def _ref(log: Log, agreement_id: str, version: int) -> dict[str, Any]:
    return {"id": agreement_id, "version": version, "terms_hash": svc.terms_hash_of(log, agreement_id, version)}


def _counter_terms() -> dict[str, Any]:
    doc = terms(MUTUAL, version=2, tolerance="0.02")
    level = next(c for c in doc["conditions"] if c["field"] == "/verification/level")
    level["value"] = "reasonable"
    doc["conditions"] = [c for c in doc["conditions"] if c["field"] != "/product/category/system"]
    doc["conditions"].insert(
        0, {"field": "/footprint/declaredUnitOfMeasurement", "op": "eq", "value": "piece", "applies": "as_issued"}
    )
    return doc


def build_world(url: str) -> World:
    """gd-hk-mutual: GD proposes v1, HK counters with v2, GD accepts v2 (in force; its window ends ahead).
    gd-to-carbontrust-ar6: proposed, accepted, then withdrawn by Carbon Trust. gd-jp-short: GD proposes v1, revises
    it with v2, JP accepts v2, and the log's clock passes its window's end: expired."""
    key = SigningKey.generate()
    log = Log(Store(url), key, "timeline.test/log", Policy(frozenset({GD, HK, CT, JP})), lambda: NOW)
    w = World(log, key)
    w.propose(GD, terms(MUTUAL))
    w.propose(HK, _counter_terms(), answers={"version": 1, "terms_hash": svc.terms_hash_of(log, MUTUAL, 1)})
    w.accept(GD, MUTUAL, 2)
    w.propose(GD, terms(ONE_WAY))
    w.accept(CT, ONE_WAY, 1)
    ends = (NOW + timedelta(days=5)).date().isoformat()
    short = terms(MUTUAL, id=SHORT, parties=[GD, JP], valid_from="2026-01-01", valid_until=ends)
    w.propose(GD, short)
    w.propose(
        GD,
        {**short, "version": 2, "notes": "revised"},
        answers={"version": 1, "terms_hash": svc.terms_hash_of(log, SHORT, 1)},
    )
    w.accept(JP, SHORT, 2)
    log.clock = lambda: LATER
    withdraw = {"scheme": CT, "agreement": _ref(log, ONE_WAY, 1), "reason": "methodology review"}
    log.submit(w.roots[CT].sign("agreement.withdraw", withdraw, now=LATER))
    log.clock = lambda: AFTER_SHORT
    return w


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = build_world(f"sqlite:///{tmp_path_factory.mktemp('timeline') / 'ledger.db'}")
    with shared_log(w.log):
        yield w


def steps_of(html: str, agreement_id: str) -> list[str]:
    """The timeline's steps, as the kinds their classes name, in page order."""
    return re.findall(r'<li class="tl tl-(\w+)', section(html, f"timeline-{agreement_id}"))


# ---- the terms diff ---------------------------------------------------------------------------------------------
def test_terms_diff_names_each_change_by_pointer_and_condition() -> None:
    before, after = terms(MUTUAL), _counter_terms()
    changes = {(c.pointer, c.change): c for c in terms_changes(before, after)}
    level = after["conditions"].index(next(c for c in after["conditions"] if c["field"] == "/verification/level"))
    assert changes[(f"/conditions/{level}/value", "changed")].before == "limited"
    assert changes[(f"/conditions/{level}/value", "changed")].after == "reasonable"
    assert changes[(f"/conditions/{level}/value", "changed")].item == "/verification/level"
    added = changes[("/conditions/0", "added")]  # one addition at the front, not every later condition shifted
    assert added.after["field"] == "/footprint/declaredUnitOfMeasurement" and added.item == added.after["field"]
    removed_at = before["conditions"].index(
        next(c for c in before["conditions"] if c["field"] == "/product/category/system")
    )
    assert changes[(f"/conditions/{removed_at}", "removed")].before["value"] == "cpc"
    assert (changes[("/tolerance", "changed")].before, changes[("/tolerance", "changed")].after) == ("0.01", "0.02")
    assert len(changes) == 4 and not any(p in ("/version", "/id") for p, _ in changes)


def test_terms_diff_compares_other_lists_whole_and_escapes_pointers() -> None:
    a = {"id": "x", "version": 1, "parties": ["a", "b"], "a/b": {"c~d": 1}, "gone": True}
    b = {"id": "x", "version": 2, "parties": ["b", "a"], "a/b": {"c~d": 2}}
    got = [(c.pointer, c.change, c.before, c.after) for c in terms_changes(a, b)]
    assert got == [
        ("/parties", "changed", ["a", "b"], ["b", "a"]),
        ("/a~1b/c~0d", "changed", 1, 2),
        ("/gone", "removed", True, None),
    ]
    assert terms_changes(a, a) == []
    assert terms_changes({"n": 1}, {"n": "1"})[0].change == "changed"  # a number is not its string


# ---- the timeline read ------------------------------------------------------------------------------------------
def test_each_agreement_reads_as_its_steps_in_time_order(world: World) -> None:
    lines = agreement_timelines(world.log)
    assert list(lines) == [MUTUAL, ONE_WAY, SHORT]  # by first proposal
    kinds = {a: [(s["kind"], s["version"]) for s in steps] for a, steps in lines.items()}
    assert kinds[MUTUAL] == [("propose", 1), ("counter", 2), ("accept", 2), ("expiry", 2)]
    assert kinds[ONE_WAY] == [("propose", 1), ("accept", 1), ("withdraw", 1)]
    assert kinds[SHORT] == [("propose", 1), ("revise", 2), ("accept", 2), ("expiry", 2)]
    for steps in lines.values():
        assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)
    mutual_end, short_end = lines[MUTUAL][-1], lines[SHORT][-1]
    assert mutual_end["future"] and mutual_end["at"] == "2027-01-01T00:00:00Z"  # valid_until 2026-12-31, ahead
    assert not short_end["future"] and short_end["at"] == "2026-11-30T00:00:00Z" and short_end["index"] is None
    assert lines[ONE_WAY][-1]["reason"] == "methodology review"


def test_each_step_names_the_key_that_signed_its_entry(world: World) -> None:
    for steps in agreement_timelines(world.log).values():
        for s in steps:
            if s["kind"] == "expiry":
                assert s["key_id"] is None and s["scheme"] is None
                continue
            entry = world.log.entry(s["index"])
            root = world.roots[s["scheme"]]
            assert s["key_id"] == entry.signer == root.key_id
            assert s["fingerprint"] == fingerprint(root.key.public_key)


def test_attack_a_counter_proposal_shows_what_it_changed(world: World) -> None:
    counter = agreement_timelines(world.log, [MUTUAL])[MUTUAL][1]
    assert counter["compared_to"] == 1 and counter["answers"] == 1 and counter["scheme"] == HK
    changed = {(c["pointer"], c["change"]) for c in counter["changes"]}
    assert ("/tolerance", "changed") in changed and ("/conditions/0", "added") in changed
    assert any(c["item"] == "/verification/level" and c["after"] == "reasonable" for c in counter["changes"])
    first = agreement_timelines(world.log, [MUTUAL])[MUTUAL][0]
    assert first["compared_to"] is None and first["changes"] == []


# ---- the pages --------------------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_agreement_page_draws_the_timeline(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get(f"/agreements/{MUTUAL}")
    assert r.status_code == 200
    html = r.text
    assert steps_of(html, MUTUAL) == ["propose", "counter", "accept", "expiry"]
    timeline = section(html, f"timeline-{MUTUAL}")
    page = text_of(timeline)
    for word in ("Proposed", "Counter-proposal", "Accepted", "Expires", "version 2", "Changes from version 1:"):
        assert word in page, word
    assert "Signed by Gd Carbon Label" in page and "Signed by Hk Cma Carbon Label" in page
    for scheme in (GD, HK):
        assert fingerprint(world.roots[scheme].key.public_key) in timeline
    assert "<del>0.01</del> → <ins>0.02</ins>" in timeline and "<del>limited</del> → <ins>reasonable</ins>" in timeline
    assert "(/verification/level)" in page
    times = re.findall(r'<time datetime="([^"]+)"', timeline)
    assert times == sorted(times) and times[-1] == "2027-01-01T00:00:00Z"
    for ev in svc.agreement_history(world.log, MUTUAL):
        assert f'href="/v1/entries/{ev["index"]}"' in timeline
    assert 'class="tl tl-expiry tl-future"' in timeline
    assert f'id="agreement-{MUTUAL}-v2"' in section(html, "agreements")  # the versions table, this agreement's only
    assert f'id="agreement-{ONE_WAY}-v1"' not in html


@pytest.mark.anyio
async def test_withdrawal_and_expiry_close_their_timelines(client: httpx.AsyncClient) -> None:
    one_way = (await client.get(f"/agreements/{ONE_WAY}")).text
    assert steps_of(one_way, ONE_WAY) == ["propose", "accept", "withdraw"]
    assert "Reason given: methodology review" in text_of(section(one_way, f"timeline-{ONE_WAY}"))
    short = (await client.get(f"/agreements/{SHORT}")).text
    assert steps_of(short, SHORT) == ["propose", "revise", "accept", "expiry"]
    ended = text_of(section(short, f"timeline-{SHORT}"))
    assert "Revised by the proposer" in ended and "Expired" in ended and "No entry" in ended
    assert "<del>" in section(short, f"timeline-{SHORT}")  # the revision's notes changed


@pytest.mark.anyio
async def test_the_agreements_page_draws_every_timeline(client: httpx.AsyncClient) -> None:
    html = (await client.get("/agreements")).text
    for agreement_id in (MUTUAL, ONE_WAY, SHORT):
        assert steps_of(html, agreement_id), agreement_id
        assert f'href="/agreements/{agreement_id}"' in html
    assert 'id="history-details"' in html  # the entries one per row stay, folded


@pytest.mark.anyio
async def test_agreement_page_in_chinese(client: httpx.AsyncClient) -> None:
    page = text_of((await client.get(f"/agreements/{MUTUAL}", params={"lang": "zh"})).text)
    for word in ("协商过程", "反提议", "第 2 版", "签署方", "相对第 1 版的改动", "将到期", "（UTC）"):
        assert word in page, word


@pytest.mark.anyio
async def test_an_unknown_agreement_is_a_404_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/agreements/no-such-agreement", headers={"accept": "text/html"})
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "No recognition agreement no-such-agreement is in this log." in text_of(r.text)


def test_every_string_on_these_pages_is_in_both_languages() -> None:
    """Each key the agreement, compare and list templates name (and each step kind) is in the table, in English and
    Chinese: a string missing from it would show as its key."""
    from pathlib import Path

    from ledger.agreement_timeline import STEP_KINDS
    from ledger.web import i18n

    templates = Path(__file__).parent.parent / "ledger" / "web" / "templates"
    named = set()
    for name in ("agreements.html", "compare.html", "_pager.html", "labels.html", "datasets.html"):
        named |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", (templates / name).read_text(encoding="utf-8")))
    named |= {f"timeline.{k}" for k in STEP_KINDS} | {"timeline.expiry_ahead", "timeline.revises"}
    named = {k for k in named if not k.endswith((".", "_"))}  # "cls." ~ x.cls: a prefix, filled in at render
    missing = sorted(named - i18n.keys())
    assert not missing, missing
    en, zh = i18n.translator(i18n.EN), i18n.translator(i18n.ZH)
    assert all(en(k) != zh(k) for k in named if k.startswith(("timeline.", "page.", "compare.")))
