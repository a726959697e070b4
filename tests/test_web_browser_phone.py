# ruff: noqa: F811  (pytest fixtures imported from test_web_browser are redefined as arguments)
"""The agreement page's tables on a phone (390×844), in a real browser, on the demo's log (issue 19).

The fault guarded: the table of an agreement's versions, nine columns wide, squeezed its Chinese scheme names to
one character per line (a column of 30 lines per row). On a narrow screen each row is now a card, each cell under
its column's name; the check measures every cell's text as the browser lays it out.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.home import load_settings, open_log
from ledger.log import Log

from .helpers import shared_log
from .test_web_browser import base_url, browser, page  # noqa: F401  (the module's fixtures)

PHONE = {"width": 390, "height": 844}
MUTUAL = "gd-hk-mutual"  # the demo's agreement: two versions, between two schemes with long Chinese names
MIN_CHARACTERS_PER_LINE = 4

# Each cell's text: its width, how many lines it takes, and its characters per line (the font's line height from
# a one-line probe in the same cell).
_MEASURE = """table => Array.from(table.querySelectorAll('tbody td')).map(td => {
  const text = td.innerText.replace(/\\s+/g, '');
  const range = document.createRange();
  range.selectNodeContents(td.lastElementChild || td);
  const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size;
  return {label: td.dataset.label, text: td.innerText, chars: text.length, lines: lines,
          width: td.getBoundingClientRect().width, right: td.getBoundingClientRect().right};
})"""


@pytest.fixture(scope="module")
def web_log(demo_home_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    """The log base_url serves here: a copy of the demo's."""
    home = tmp_path_factory.mktemp("phone") / "home"
    shutil.copytree(demo_home_template, home)
    with shared_log(open_log(load_settings(home), precheck_workers=False)) as log:
        yield log


@pytest.mark.parametrize("lang", ["zh-hant", "zh", "en"])
def test_agreement_versions_do_not_wrap_one_character_per_line_on_a_phone(page: Any, base_url: str, lang: str) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/agreements/{MUTUAL}?lang={lang}")
    table = page.locator("#agreements")
    expect(table.locator("tbody tr")).to_have_count(2)
    cells = table.evaluate(_MEASURE)
    schemes = [c for c in cells if c["text"].count("↔")]
    assert len(schemes) == 2, cells
    em = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#agreements td')).fontSize)")
    for c in cells:
        assert c["right"] <= PHONE["width"], c  # inside the screen: nothing to scroll sideways
        if c["chars"] >= MIN_CHARACTERS_PER_LINE:
            assert c["chars"] / c["lines"] >= MIN_CHARACTERS_PER_LINE, c  # never a character per line
    for c in schemes:
        assert c["width"] >= MIN_CHARACTERS_PER_LINE * em, c
        assert c["label"], "each cell is shown under its column's name"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_agreement_versions_stay_a_table_on_a_wide_screen(page: Any, base_url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base_url}/agreements/{MUTUAL}?lang=zh-hant")
    header = page.locator("#agreements thead th").first
    assert header.is_visible() and header.bounding_box()["height"] < 60  # type: ignore[index]
    rows = page.locator("#agreements tbody tr")
    first, second = rows.nth(0).bounding_box(), rows.nth(1).bounding_box()
    assert first is not None and second is not None and first["width"] > 900  # one row across, not a card
    assert page.locator("#agreements td").first.evaluate("e => getComputedStyle(e).display") == "table-cell"
