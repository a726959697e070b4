"""The log page's picture of growth: tree size over time from its checkpoints, as SVG drawn on the server.

Each point is a stored checkpoint (its size and the time it was signed, ``Reads.growth``); the line steps up
at each one, since between checkpoints the signed size does not change. Coordinates are integers or Decimal
tenths: no binary floats.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from .charts import coord, svg_document

__all__ = ["growth_svg"]

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 480, 200, 64, 28, 10, 12


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%d %H:%M")


def growth_svg(points: list[tuple[int, int]], title: str) -> str | None:
    """A step line of (tree size, time ms) ``points``; None with fewer than two checkpoints."""
    if len(points) < 2:
        return None
    (s0, t0), (s1, t1) = points[0], points[-1]
    span_t, span_s = max(1, t1 - t0), max(1, s1)
    plot_w, plot_h = Decimal(WIDTH - LEFT - RIGHT), Decimal(HEIGHT - TOP - BOTTOM)

    def x(t: int) -> Decimal:
        return LEFT + plot_w * (t - t0) / span_t

    def y(size: int) -> Decimal:
        return TOP + plot_h - plot_h * size / span_s

    path = [f"M{coord(x(t0))} {coord(y(s0))}"]
    for size, t in points[1:]:
        path.append(f"H{coord(x(t))}V{coord(y(size))}")
    base = HEIGHT - BOTTOM
    body = [
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#5b6660"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="#5b6660"/>',
        f'<path d="{"".join(path)}" fill="none" stroke="#1f6f4a" stroke-width="2"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" class="chart-label">{s1}</text>',
        f'<text x="{LEFT - 6}" y="{base}" text-anchor="end" class="chart-label">0</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 8}" class="chart-label">{escape(_day(t0))}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" class="chart-label">{escape(_day(t1))}</text>',
    ]
    return svg_document(title, WIDTH, HEIGHT, body)
