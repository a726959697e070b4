# ruff: noqa: F811  (pytest fixtures imported from test_web_browser are redefined as arguments)
"""The agreement page's negotiation timeline in a real browser on a phone (issue 19 item 3): every step drawn in
order down the screen, within its width (nothing to scroll sideways), who signed each with the key's
fingerprint, and still there when printed. The module serves the timeline test's log (tests/test_web_timeline.py)
instead of the label pages' one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.log import Log
from verifier.trust import fingerprint

from .helpers import shared_log
from .test_agreements_ledger import HK
from .test_web_browser import base_url, browser, page  # noqa: F401  (the module's fixtures)
from .test_web_timeline import MUTUAL, build_world

PHONE = {"width": 390, "height": 844}
HK_ROOT: dict[str, str] = {}


@pytest.fixture(scope="module")
def web_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    """The log base_url serves here: the timeline test's agreements."""
    w = build_world(f"sqlite:///{tmp_path_factory.mktemp('timeline-browser') / 'ledger.db'}")
    HK_ROOT["fingerprint"] = fingerprint(w.roots[HK].key.public_key)
    with shared_log(w.log) as log:
        yield log


def test_the_timeline_reads_down_a_phone_screen(page: Any, base_url: str) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/agreements/{MUTUAL}")
    steps = page.locator(f"#timeline-{MUTUAL} > li")
    expect(steps).to_have_count(4)
    expect(steps.nth(1)).to_contain_text("Counter-proposal")
    expect(steps.nth(1)).to_contain_text(HK_ROOT["fingerprint"])
    expect(steps.nth(1).locator("ins").first).to_be_visible()  # what the counter-proposal changed
    boxes = [steps.nth(i).bounding_box() for i in range(4)]
    assert all(b is not None for b in boxes)
    tops = [b["y"] for b in boxes if b]
    assert tops == sorted(tops)  # in time order, down the page
    for b in boxes:
        assert b is not None and b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"], b
    dot = steps.nth(0).evaluate("e => getComputedStyle(e, '::before').borderTopStyle")
    assert dot == "solid"  # the step's mark on the line is drawn
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    page.emulate_media(media="print")
    expect(page.locator(f"#timeline-{MUTUAL}")).to_be_visible()
    expect(steps.nth(3)).to_contain_text("Expires")
