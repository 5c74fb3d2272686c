"""Server-side SVG charts for the console: no JavaScript, no external assets.

Every chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` (what a screen reader
announces), and every bar or point carries its own ``<title>`` (a tooltip) and ``data-*``
values. All text, including labels that come from users (team and display names), goes
through :func:`markupsafe.escape`; nothing is interpolated raw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

ACCENT = "#2f6fde"
GRID = "#e6e9ee"
MUTED = "#5f6b7a"
FG = "#1d2330"
TRACK = "#eef1f5"
LEVELS = {"ok": "#1f8a4c", "warn": "#b7791f", "danger": "#c93a3a"}


@dataclass(frozen=True)
class Box:
    width: int
    height: int
    left: int = 44
    right: int = 14
    top: int = 14
    bottom: int = 30

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def base(self) -> float:
        return self.top + self.plot_height


def _e(value) -> str:
    return str(escape(value))


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def human_bytes(value: int | None) -> str:
    if value is None:
        return "not measured"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{value} B"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top`` (1, 2 or 5 times a power of ten)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1)
    ticks, value = [0.0], 0.0
    while value < top:
        value += step
        ticks.append(value)
    return ticks


def _open(box: Box, testid: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {box.width} '
        f'{box.height}" role="img" aria-labelledby="{_e(testid)}-t {_e(testid)}-d" '
        f'data-testid="{_e(testid)}" font-size="12" font-family="inherit">',
        f'<title id="{_e(testid)}-t">{_e(title)}</title>',
        f'<desc id="{_e(testid)}-d">{_e(desc)}</desc>',
    ]


def _y_axis(box: Box, ticks: list[float]) -> list[str]:
    parts = []
    for tick in ticks:
        y = box.base - tick / ticks[-1] * box.plot_height
        parts.append(
            f'<line x1="{box.left}" x2="{box.width - box.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{box.left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{_e(_num(tick))}</text>"
        )
    return parts


def _empty_note(box: Box, text: str) -> str:
    x, y = box.left + box.plot_width / 2, box.top + box.plot_height / 2
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="{MUTED}">{_e(text)}</text>'


def _day_label(day: date, span_days: int) -> str:
    return f"{day:%b} {day.year}" if span_days > 400 else f"{day:%b} {day.day}"


def _x_labels(box: Box, days: Sequence[date], xs: Sequence[float], wanted: int = 6) -> list[str]:
    if not days:
        return []
    span = (days[-1] - days[0]).days
    step = max(1, math.ceil(len(days) / wanted))
    parts = []
    for i in range(0, len(days), step):
        anchor = "start" if i == 0 else "middle"
        parts.append(
            f'<text x="{xs[i]:.1f}" y="{box.height - 10}" text-anchor="{anchor}" '
            f'fill="{MUTED}">{_e(_day_label(days[i], span))}</text>'
        )
    return parts


def line_chart(
    points: Sequence[tuple[date, float]],
    *,
    title: str,
    noun: str,
    testid: str,
    empty: str = "Nothing in this period",
    width: int = 760,
    height: int = 240,
) -> Markup:
    """An area chart over days; each point's tooltip reads ``2026-03-01: 12 <noun>``."""
    box = Box(width, height)
    values = [v for _, v in points]
    peak = max(values, default=0)
    ticks = nice_ticks(peak)
    n = len(points)
    xs = [box.left + (i / (n - 1) if n > 1 else 0.5) * box.plot_width for i in range(n)]
    ys = [box.base - v / ticks[-1] * box.plot_height for v in values]
    desc = (
        f"{n} points from {points[0][0]} to {points[-1][0]}; peak {_num(peak)} {noun}."
        if n
        else empty
    )
    parts = _open(box, testid, title, desc) + _y_axis(box, ticks)
    if n:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        parts.append(
            f'<polygon points="{xs[0]:.1f},{box.base:.1f} {line} {xs[-1]:.1f},{box.base:.1f}" '
            f'fill="{ACCENT}" fill-opacity="0.12"/>'
            f'<polyline points="{line}" fill="none" stroke="{ACCENT}" stroke-width="2" '
            f'stroke-linejoin="round"/>'
        )
    visible = n <= 92
    for (day, value), x, y in zip(points, xs, ys, strict=True):
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="{3 if visible else 4}" '
            f'fill="{ACCENT if visible else "transparent"}" data-day="{day.isoformat()}" '
            f'data-value="{_e(_num(value))}"><title>{_e(f"{day}: {_num(value)} {noun}")}</title>'
            "</circle>"
        )
    if not peak:
        parts.append(_empty_note(box, empty))
    parts += _x_labels(box, [d for d, _ in points], xs)
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(
    points: Sequence[tuple[date, float]],
    *,
    title: str,
    noun: str,
    testid: str,
    empty: str = "Nothing in this period",
    width: int = 760,
    height: int = 220,
) -> Markup:
    """Vertical bars, one per day (or bucket) in ``points``, zero-height bars included."""
    box = Box(width, height)
    values = [v for _, v in points]
    ticks = nice_ticks(max(values, default=0))
    n = max(len(points), 1)
    slot = box.plot_width / n
    bar = max(slot * 0.75, 1.0)
    total = sum(values)
    desc = f"{_num(total)} {noun} in {len(points)} bars; the highest is {_num(max(values or [0]))}."
    parts = _open(box, testid, title, desc) + _y_axis(box, ticks)
    xs = []
    for i, (day, value) in enumerate(points):
        x = box.left + i * slot + (slot - bar) / 2
        xs.append(x + bar / 2)
        h = value / ticks[-1] * box.plot_height
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{box.base - h:.1f}" width="{bar:.1f}" '
            f'height="{h:.1f}" rx="1.5" fill="{ACCENT}" data-day="{day.isoformat()}" '
            f'data-value="{_e(_num(value))}"><title>{_e(f"{day}: {_num(value)} {noun}")}</title>'
            "</rect>"
        )
    if not total:
        parts.append(_empty_note(box, empty))
    parts += _x_labels(box, [d for d, _ in points], xs)
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class BarItem:
    label: str
    value: float
    tooltip: str
    shown: str = ""  # the value as printed beside the bar (default: the number)


def bar_list(
    items: Sequence[BarItem], *, title: str, testid: str, empty: str, width: int = 380
) -> Markup:
    """Horizontal bars, one row per item, label on the left and the value on the right."""
    row, label_w, value_w = 28, 120, 86
    height = max(len(items), 1) * row + 10
    box = Box(width, height, left=0, right=0, top=0, bottom=0)
    desc = "; ".join(f"{i.label}: {i.shown or _num(i.value)}" for i in items) or empty
    parts = _open(box, testid, title, desc)
    if not items:
        parts.append(f'<text x="0" y="20" fill="{MUTED}">{_e(empty)}</text></svg>')
        return Markup("".join(parts))
    peak = max(i.value for i in items) or 1
    track = width - label_w - value_w
    for n, item in enumerate(items):
        y = 5 + n * row
        w = max(item.value / peak * track, 2 if item.value else 0)
        label = item.label if len(item.label) <= 17 else item.label[:16] + "…"
        parts.append(
            f'<g class="bar-row" data-label="{_e(item.label)}" data-value="{_e(_num(item.value))}">'
            f"<title>{_e(item.tooltip)}</title>"
            f'<text x="0" y="{y + 17}" fill="{FG}">{_e(label)}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{track}" height="16" rx="3" fill="{TRACK}"/>'
            f'<rect class="bar" x="{label_w}" y="{y + 5}" width="{w:.1f}" height="16" rx="3" '
            f'fill="{ACCENT}"/>'
            f'<text x="{width}" y="{y + 17}" text-anchor="end" fill="{MUTED}">'
            f"{_e(item.shown or _num(item.value))}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def meter(used: int, limit: int | None, *, title: str, testid: str, width: int = 380) -> Markup:
    """Seats used against the licensed number (no limit: the bar shows use only)."""
    height = 64
    box = Box(width, height, left=0, right=0, top=0, bottom=0)
    if limit:
        share = used / limit
        level = "danger" if share > 1 else "warn" if share >= 0.8 else "ok"
        text = f"{used:,} of {limit:,} seats used ({share:.0%})"
        fill_w = min(share, 1) * width
    else:
        seats = "seat" if used == 1 else "seats"
        level, text, fill_w = "ok", f"{used:,} {seats} used; no seat limit (free edition)", 0
    parts = _open(box, testid, title, text)
    parts.append(
        f'<text x="0" y="18" fill="{FG}">{_e(text)}</text>'
        f'<rect x="0" y="30" width="{width}" height="20" rx="4" fill="{TRACK}"/>'
        f'<rect class="bar" x="0" y="30" width="{fill_w:.1f}" height="20" rx="4" '
        f'fill="{LEVELS[level]}" data-used="{used}" data-limit="{limit or ""}" '
        f'data-level="{level}"><title>{_e(text)}</title></rect></svg>'
    )
    return Markup("".join(parts))


def weekly(points: Sequence[tuple[date, float]], *, mean: bool) -> list[tuple[date, float]]:
    """Group daily points into 7-day buckets (dated by their first day): the sum, or with
    ``mean`` the average per day, rounded to one decimal."""
    buckets = []
    for i in range(0, len(points), 7):
        chunk = [v for _, v in points[i : i + 7]]
        value = sum(chunk) / len(chunk) if mean else sum(chunk)
        buckets.append((points[i][0], round(value, 1)))
    return buckets
