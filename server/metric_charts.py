"""Server-drawn SVG line charts of metric series (the run page and the comparison).

Each series is one ``<path class="series" data-series=...>`` through its points (the mean of
a downsampled bucket) with, when downsampled, a ``<path class="envelope">`` band from each
bucket's minimum to its maximum, so spikes stay visible. Colours are presentation attributes
(a fixed palette) and classes, never ``style=""``; every label goes through ``escape``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .charts import GRID, MUTED, Box
from .services.metric_series import Series

PALETTE = (
    "#2f6fde", "#d9480f", "#2b8a3e", "#ae3ec9", "#e8590c",
    "#1098ad", "#c2255c", "#5c940d", "#7048e8", "#868e96",
)  # fmt: skip


@dataclass(frozen=True)
class Line:
    label: str
    series: Series
    color: int = 0  # index into PALETTE


def _e(value) -> str:
    return str(escape(value))


def ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering ``low``..``high`` (steps of 1, 2 or 5 times a power of 10)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        low, high = low - 1, high + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    values = [first]
    while values[-1] < high - 1e-12 * abs(high) and len(values) < 50:
        values.append(first + len(values) * step)
    return values


def short(value: float) -> str:
    size = abs(value)
    for cut, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= cut:
            return f"{value / cut:.4g}{suffix}"
    return f"{value:.4g}"


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}" if hours else f"{minutes}m{secs:02d}"


def _xs(line: Line, axis: str, origin: float) -> list[float]:
    if axis == "time":
        return [p.time - origin for p in line.series.points]
    return [p.step for p in line.series.points]


def line_chart(
    lines: Sequence[Line],
    *,
    title: str,
    testid: str,
    axis: str = "step",
    width: int = 560,
    height: int = 260,
) -> Markup:
    """One chart of ``lines`` against ``axis`` (``step`` or ``time`` since the first point)."""
    box = Box(width, height, left=56, right=12, top=12, bottom=30)
    drawn = [line for line in lines if line.series.points]
    origin = min((p.time for ln in drawn for p in ln.series.points), default=0.0)
    xs_all = [x for ln in drawn for x in _xs(ln, axis, origin)]
    ys_low = [p.low for ln in drawn for p in ln.series.points]
    ys_high = [p.high for ln in drawn for p in ln.series.points]
    x0, x1 = (min(xs_all), max(xs_all)) if xs_all else (0.0, 1.0)
    yt = ticks(min(ys_low, default=0.0), max(ys_high, default=1.0))
    y0, y1 = yt[0], yt[-1]

    def px(x: float) -> float:
        return box.left + ((x - x0) / (x1 - x0) if x1 > x0 else 0.5) * box.plot_width

    def py(y: float) -> float:
        return box.base - (y - y0) / (y1 - y0) * box.plot_height

    points = sum(len(ln.series.points) for ln in drawn)
    desc = (
        f"{len(drawn)} series, {points} points, x from {short(x0)} to {short(x1)}, "
        f"values from {short(min(ys_low))} to {short(max(ys_high))}."
        if drawn
        else "No numeric values logged."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart metric-chart" viewBox="0 0 '
        f'{width} {height}" role="img" aria-labelledby="{_e(testid)}-t {_e(testid)}-d" '
        f'data-testid="{_e(testid)}" data-axis="{_e(axis)}" font-size="11" font-family="inherit">',
        f'<title id="{_e(testid)}-t">{_e(title)}</title>',
        f'<desc id="{_e(testid)}-d">{_e(desc)}</desc>',
    ]
    for tick in yt:
        y = py(tick)
        parts.append(
            f'<line class="grid" x1="{box.left}" x2="{width - box.right}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="{GRID}"/><text class="tick" x="{box.left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" fill="{MUTED}">{_e(short(tick))}</text>'
        )
    for i in range(5):
        x = x0 + (x1 - x0) * i / 4
        label = clock(x) if axis == "time" else short(x)
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(
            f'<text class="tick" x="{px(x):.1f}" y="{height - 10}" text-anchor="{anchor}" '
            f'fill="{MUTED}">{_e(label)}</text>'
        )
    for line in drawn:
        parts.extend(_series(line, _xs(line, axis, origin), px, py))
    if not drawn:
        parts.append(
            f'<text x="{box.left + box.plot_width / 2:.1f}" y="{box.top + box.plot_height / 2:.1f}"'
            f' text-anchor="middle" fill="{MUTED}">No numeric values logged</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _series(line: Line, xs: list[float], px, py) -> list[str]:
    color = PALETTE[line.color % len(PALETTE)]
    pts = line.series.points
    cx = [f"{px(x):.1f}" for x in xs]
    parts = []
    name = _e(line.label)
    if line.series.downsampled:
        top = " L".join(f"{x},{py(p.high):.1f}" for x, p in zip(cx, pts, strict=True))
        bottom = " L".join(f"{cx[i]},{py(pts[i].low):.1f}" for i in range(len(pts) - 1, -1, -1))
        parts.append(
            f'<path class="envelope" data-series="{name}" d="M{top} L{bottom} Z" fill="{color}" '
            f'fill-opacity="0.18" stroke="none"/>'
        )
    path = " L".join(f"{x},{py(p.mean):.1f}" for x, p in zip(cx, pts, strict=True))
    last = pts[-1]
    parts.append(
        f'<path class="series series-{line.color % len(PALETTE)}" data-series="{name}" '
        f'data-points="{len(pts)}" d="M{path}" fill="none" stroke="{color}" stroke-width="1.6" '
        f'stroke-linejoin="round"><title>{name}: last {_e(short(last.mean))} at step '
        f"{_e(short(last.step))}</title></path>"
    )
    if len(pts) == 1:
        parts.append(f'<circle cx="{cx[0]}" cy="{py(last.mean):.1f}" r="3" fill="{color}"/>')
    return parts
