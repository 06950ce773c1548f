"""Charts as inline SVG drawn on the server: no script, nothing a Content-Security-Policy would block.

``arrivals_chart`` turns per-minute counts by type into polylines in a fixed view box; the
template draws them and a table of the same numbers (the accessible, exact form of the chart).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

WIDTH = 720
HEIGHT = 180
PALETTE = 8  # CSS classes series-0 .. series-7


@dataclass
class Series:
    name: str
    total: int
    peak: int
    points: str  # "x,y x,y ..." in the view box
    css: str


@dataclass
class Tick:
    x: float
    label: str
    anchor: str  # CSS class: start, middle or end


@dataclass
class Chart:
    width: int
    height: int
    peak: int
    minutes: int
    series: List[Series]
    ticks: List[Tick]

    @property
    def total(self) -> int:
        return sum(s.total for s in self.series)


def arrivals_chart(counts: Dict[str, List[int]], minutes: int) -> Chart:
    """One polyline per type; y scaled to the largest per-minute count of any type."""
    peak = max((max(values) for values in counts.values() if values), default=0)
    scale = (HEIGHT - 4) / peak if peak else 0.0
    step = WIDTH / max(minutes - 1, 1)
    series = []
    for index, (name, values) in enumerate(counts.items()):
        points = " ".join(f"{i * step:.1f},{HEIGHT - 2 - v * scale:.1f}" for i, v in _corners(values))
        series.append(Series(name=name, total=sum(values), peak=max(values) if values else 0, points=points,
                             css=f"series-{index % PALETTE}"))
    hours = minutes // 60
    every = max(1, hours // 4)
    ticks = [Tick(x=round(max(0, minutes - 1 - h * 60) * step, 1), label="now" if h == 0 else f"−{h} h",
                  anchor="end" if h == 0 else "start" if h == hours else "middle")
             for h in range(0, hours + 1, every)]
    return Chart(WIDTH, HEIGHT, peak, minutes, series, ticks)


def _corners(values: List[int]):
    """The points where the line changes direction (a day of minutes is mostly flat zeros)."""
    last = len(values) - 1
    for i, value in enumerate(values):
        if i in (0, last) or value != values[i - 1] or value != values[i + 1]:
            yield i, value
