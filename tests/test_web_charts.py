"""The label page's SVG charts (issue 19 item 2): stages in life-cycle order, each split by gas, sums that are
the label's own stage totals, and no chart — with a reason — where the masses cannot be summed."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from ledger.web.charts import OTHER, footprint_charts
from mapping.footprint import Footprint

from .helpers import midea_label

SVG = "{http://www.w3.org/2000/svg}"


def test_stages_come_in_life_cycle_order_not_alphabetically() -> None:
    charts = footprint_charts(midea_label())
    assert [b.stage for b in charts.bars] == ["raw-materials", "production", "distribution", "use", "end-of-life"]
    texts = ET.fromstring(charts.by_stage_svg or "").iter(SVG + "text")
    labels = [t.text for t in texts if t.get("class") == "chart-label"]
    assert labels == ["raw-materials", "production", "distribution", "use", "end-of-life"]


def test_bars_add_up_to_the_labels_stage_totals() -> None:
    label = midea_label()
    fp = Footprint.from_label(label)
    charts = footprint_charts(label)
    for bar in charts.bars:
        assert bar.total == fp.stages[bar.stage].co2e("AR5", fp.biogenic_rule), bar.stage
    assert sum((b.total for b in charts.bars), Decimal(0)) == fp.pcf  # the Midea label's headline: 2713.8100
    assert charts.gases[0] == "CO2" and charts.gases[-1] == OTHER  # largest first, unlisted gases last


def test_the_svg_is_well_formed_titled_and_written_without_binary_floats() -> None:
    charts = footprint_charts(midea_label(), {"use": "使用"}, by_stage="各阶段")
    for svg in (charts.by_stage_svg, charts.by_gas_svg):
        root = ET.fromstring(svg or "")
        assert root.get("role") == "img" and root.find(SVG + "title") is not None
        numbers = [n for n in re.findall(r' (?:x|y|width|height)="([^"]+)"', svg or "") if n != "100%"]
        assert numbers and all(re.fullmatch(r"-?\d+(\.\d)?", n) for n in numbers), numbers[:5]
    assert ">使用<" in (charts.by_stage_svg or "") and "各阶段" in (charts.by_stage_svg or "")


def test_no_chart_where_the_gases_cannot_be_summed() -> None:
    label = midea_label()
    label["footprint"]["ipccCharacterizationFactors"] = ["AR5", "AR6"]
    charts = footprint_charts(label)
    assert charts.by_stage_svg is None and charts.why_not and "several GWP sets" in charts.why_not
    bare = copy.deepcopy(midea_label())
    bare["footprint"].pop("stages")
    assert "no stage breakdown" in (footprint_charts(bare).why_not or "") or footprint_charts(bare).bars == ()


def test_a_crafted_stage_name_is_text_not_markup() -> None:
    charts = footprint_charts(midea_label(), {"use": '<script>alert(1)</script>&"'})
    assert "<script>" not in (charts.by_stage_svg or "") and "&lt;script&gt;" in (charts.by_stage_svg or "")
