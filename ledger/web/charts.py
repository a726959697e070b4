"""The label page's pictures, as SVG drawn on the server: readable offline, without JavaScript, and in print.

Two charts from the signed stage × gas masses (issue 19 item 2): CO2e per life-cycle stage in life-cycle order,
each bar split by gas, and CO2e by gas over all stages. Masses become CO2e with the label's own GWP set and
biogenic rule, read by ``mapping.footprint`` (``mapping.gwp``): the charts show what the label states,
characterized — never a recomputed headline. A label whose masses cannot be characterized (several GWP sets, an
unknown gas) gets no chart and a sentence why. Coordinates are computed in Decimal and written with one decimal
place: no binary floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from mapping.errors import CarbonLedgerError
from mapping.footprint import Footprint
from mapping.footprint_parts import Stage
from mapping.gwp import gwp_value
from mapping.quantities import plain
from mapping.vocabulary import STAGES

__all__ = ["Charts", "StageBar", "coord", "footprint_charts", "svg_document"]

# Colours a reader with a common colour-vision deficiency can tell apart (Okabe–Ito), then greys.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
OTHER_COLOUR = "#999999"
OTHER = "other CO2e"
WIDTH, LABEL_W, VALUE_W, BAR_H, GAP = 480, 118, 128, 24, 10  # a phone shows it near 1:1
_TENTH = Decimal("0.1")


def coord(x: Decimal) -> str:
    """An SVG coordinate: a Decimal written with one decimal place."""
    return str(x.quantize(_TENTH, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class StageBar:
    stage: str
    parts: tuple[tuple[str, Decimal], ...]  # (gas, kgCO2e), in the legend's order; "other CO2e" last

    @property
    def total(self) -> Decimal:
        return sum((v for _, v in self.parts), Decimal(0))


@dataclass(frozen=True)
class Charts:
    gwp_set: str | None
    bars: tuple[StageBar, ...]
    gases: tuple[str, ...]
    by_stage_svg: str | None
    by_gas_svg: str | None
    why_not: str | None = None  # why there is no chart


def _life_cycle_order(names: list[str]) -> list[str]:
    """Stages in life-cycle order (raw materials … end of life); stages this project does not know follow in
    the label's own order."""
    known = [s for s in STAGES if s in names]
    return known + [s for s in names if s not in STAGES]


def _bars(parsed: dict[str, Stage], gwp_set: str, biogenic: str) -> tuple[tuple[StageBar, ...], tuple[str, ...]]:
    totals: dict[str, Decimal] = {}
    per_stage: dict[str, dict[str, Decimal]] = {}
    for name, stage in parsed.items():
        values = {g: m * gwp_value(g, gwp_set, biogenic_method=biogenic) for g, m in stage.masses.items()}
        if stage.other_co2e:
            values[OTHER] = stage.other_co2e
        per_stage[name] = values
        for g, v in values.items():
            totals[g] = totals.get(g, Decimal(0)) + v
    gases = tuple(sorted((g for g in totals if g != OTHER), key=lambda g: (-totals[g], g)))
    gases += (OTHER,) if OTHER in totals else ()
    bars = tuple(
        StageBar(name, tuple((g, per_stage[name][g]) for g in gases if g in per_stage[name]))
        for name in _life_cycle_order(list(parsed))
    )
    return bars, gases


def _colour(gases: tuple[str, ...], gas: str) -> str:
    if gas == OTHER:
        return OTHER_COLOUR
    i = gases.index(gas)
    return PALETTE[i] if i < len(PALETTE) else "#777777"


def svg_document(title: str, width: int, height: int, body: list[str]) -> str:
    """An accessible inline SVG picture: ``role="img"``, its title as its name, scaled to its container."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-label={quoteattr(title)}><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _svg(title: str, height: int, body: list[str]) -> str:
    return svg_document(title, WIDTH, height, body)


def _row(y: int, label: str, parts: list[tuple[str, Decimal, str]], scale: Decimal, value: str) -> list[str]:
    """One labelled horizontal bar at ``y``, split into ``parts`` (name, kgCO2e, colour)."""
    out = [f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end" class="chart-label">{escape(label)}</text>']
    x = Decimal(LABEL_W)
    for name, v, colour in parts:
        w = v * scale if v > 0 else Decimal(0)
        out.append(
            f'<rect x="{coord(x)}" y="{y}" width="{coord(w)}" height="{BAR_H}" fill="{colour}">'
            f"<title>{escape(name)}: {escape(plain(v))} kgCO2e</title></rect>"
        )
        x += w
    out.append(f'<text x="{coord(x + 6)}" y="{y + 15}" class="chart-value">{escape(value)}</text>')
    return out


def _text_width(text: str) -> int:
    """Roughly how wide ``text`` is drawn: a CJK character is about twice a Latin one."""
    return sum(16 if ord(c) >= 0x2E80 else 9 for c in text)


def _legend(y: int, gases: tuple[str, ...], gas_names: dict[str, str]) -> list[str]:
    out, x = [], LABEL_W
    for g in gases:
        name = gas_names.get(g, g)
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{_colour(gases, g)}"/>')
        out.append(f'<text x="{x + 16}" y="{y + 11}" class="chart-legend">{escape(name)}</text>')
        x += 30 + _text_width(name)
        if x > WIDTH - 80:
            break
    return out


def _scale(largest: Decimal) -> Decimal:
    room = Decimal(WIDTH - LABEL_W - VALUE_W)
    return room / largest if largest > 0 else Decimal(0)


def _by_stage(
    bars: tuple[StageBar, ...],
    gases: tuple[str, ...],
    stage_names: dict[str, str],
    gas_names: dict[str, str],
    title: str,
) -> str:
    scale = _scale(max((b.total for b in bars), default=Decimal(0)))
    body: list[str] = []
    y = 4
    for bar in bars:
        parts = [(gas_names.get(g, g), v, _colour(gases, g)) for g, v in bar.parts]
        body += _row(y, stage_names.get(bar.stage, bar.stage), parts, scale, f"{coord(bar.total)} kgCO2e")
        y += BAR_H + GAP
    body += _legend(y + 2, gases, gas_names)
    return _svg(title, y + 22, body)


def _by_gas(bars: tuple[StageBar, ...], gases: tuple[str, ...], gas_names: dict[str, str], title: str) -> str:
    totals = {g: sum((v for b in bars for n, v in b.parts if n == g), Decimal(0)) for g in gases}
    scale = _scale(max(totals.values(), default=Decimal(0)))
    body: list[str] = []
    y = 4
    for g in gases:
        name = gas_names.get(g, g)
        body += _row(y, name, [(name, totals[g], _colour(gases, g))], scale, f"{coord(totals[g])} kgCO2e")
        y += BAR_H + GAP
    return _svg(title, y + 4, body)


def footprint_charts(
    label: dict[str, Any],
    stage_names: dict[str, str] | None = None,
    gas_names: dict[str, str] | None = None,
    **titles: str,
) -> Charts:
    """The charts of ``label``'s stages, or none with ``why_not``. ``stage_names`` and ``gas_names`` give each
    stage's and gas's display name (the page's language; :data:`OTHER` names the remainder); ``titles`` may set
    ``by_stage`` and ``by_gas`` (accessible titles)."""
    try:
        fp = Footprint.from_label(label)
    except CarbonLedgerError as e:
        return Charts(None, (), (), None, None, f"the footprint cannot be read: {e.message}")
    if not fp.stages:
        return Charts(None, (), (), None, None, "the label states no stage breakdown")
    gwp_set = fp.gwp_set
    if gwp_set is None:
        return Charts(None, (), (), None, None, "the label declares several GWP sets: its gases cannot be summed")
    try:
        bars, gases = _bars(fp.stages, gwp_set, fp.biogenic_rule)
    except CarbonLedgerError as e:
        return Charts(gwp_set, (), (), None, None, f"the masses cannot be characterized: {e.message}")
    names, gas = stage_names or {}, gas_names or {}
    by_stage = titles.get("by_stage", f"kgCO2e per life-cycle stage, by gas ({gwp_set})")
    by_gas = titles.get("by_gas", f"kgCO2e by gas, all stages ({gwp_set})")
    return Charts(gwp_set, bars, gases, _by_stage(bars, gases, names, gas, by_stage), _by_gas(bars, gases, gas, by_gas))
