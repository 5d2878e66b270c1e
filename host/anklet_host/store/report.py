"""Daily and weekly summaries of the stored minutes: backward minutes against the daily goal, steps, toe-first share,
cadence; as a terminal table and as a self-contained HTML page with an inline SVG chart.

Per minute record: the walking time (``active_s``) is split between backward and forward in proportion to the
contacts in each direction; steps are two per contact of the instrumented foot; the toe-first share is backward
toe-first contacts over backward contacts; cadence is averaged weighted by active time. Days are local calendar days
(``tz``), weeks ISO weeks (Monday to Sunday).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from anklet_host.store.db import Store

DEFAULT_GOAL_MIN = 10.0  # the usual advice: 5-10 minutes of backward walking a day


@dataclass
class Period:
    """A day or a week of walking."""

    label: str
    start: date
    days: int
    goal_min: float  # the goal over the whole period
    backward_s: float = 0.0
    forward_s: float = 0.0
    backward_contacts: int = 0
    forward_contacts: int = 0
    backward_toe: int = 0
    cadence_weighted: float = 0.0
    active_s: int = 0
    days_goal_met: int = 0

    @property
    def backward_min(self) -> float:
        return self.backward_s / 60

    @property
    def forward_min(self) -> float:
        return self.forward_s / 60

    @property
    def backward_steps(self) -> int:
        return 2 * self.backward_contacts

    @property
    def forward_steps(self) -> int:
        return 2 * self.forward_contacts

    @property
    def toe_first_share(self) -> float | None:
        return self.backward_toe / self.backward_contacts if self.backward_contacts else None

    @property
    def cadence_spm(self) -> float | None:
        return self.cadence_weighted / self.active_s if self.active_s else None

    @property
    def goal_met(self) -> bool:
        return self.backward_min >= self.goal_min

    def add(self, other: Period) -> None:
        self.backward_s += other.backward_s
        self.forward_s += other.forward_s
        self.backward_contacts += other.backward_contacts
        self.forward_contacts += other.forward_contacts
        self.backward_toe += other.backward_toe
        self.cadence_weighted += other.cadence_weighted
        self.active_s += other.active_s
        self.days_goal_met += int(other.goal_met)


@dataclass(frozen=True)
class Report:
    days: list[Period]
    weeks: list[Period]
    unplaced_minutes: int
    goal_min: float


def local_tz() -> tzinfo:
    """The computer's time zone."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def build_report(store: Store, *, goal_min: float = DEFAULT_GOAL_MIN, tz: tzinfo | None = None) -> Report:
    """Days and weeks from every placed minute record in the store."""
    zone = tz if tz is not None else local_tz()
    days: dict[date, Period] = {}
    rows = store.query(
        "SELECT start_utc_s, forward_heel + forward_toe + forward_flat AS forward,"
        " backward_heel + backward_toe + backward_flat AS backward, backward_toe, cadence_spm, active_s"
        " FROM minutes WHERE start_utc_s IS NOT NULL ORDER BY start_utc_s"
    )
    for row in rows:
        day = datetime.fromtimestamp(int(row["start_utc_s"]), zone).date()
        period = days.get(day)
        if period is None:
            period = days[day] = Period(day.isoformat(), day, 1, goal_min)
        forward, backward, active_s = int(row["forward"]), int(row["backward"]), int(row["active_s"])
        contacts = forward + backward
        if contacts:
            period.backward_s += active_s * backward / contacts
            period.forward_s += active_s * forward / contacts
        period.backward_contacts += backward
        period.forward_contacts += forward
        period.backward_toe += int(row["backward_toe"])
        period.cadence_weighted += int(row["cadence_spm"]) * active_s
        period.active_s += active_s
    for period in days.values():
        period.days_goal_met = int(period.goal_met)
    weeks: dict[date, Period] = {}
    for day, period in sorted(days.items()):
        monday = day - timedelta(days=day.weekday())
        week = weeks.get(monday)
        if week is None:
            year, number, _ = monday.isocalendar()
            week = weeks[monday] = Period(f"{year}-W{number:02d}", monday, 7, goal_min * 7)
        week.add(period)
    unplaced = int(store.query("SELECT COUNT(*) AS n FROM minutes WHERE start_utc_s IS NULL")[0]["n"])
    return Report(
        days=[days[d] for d in sorted(days)],
        weeks=[weeks[w] for w in sorted(weeks)],
        unplaced_minutes=unplaced,
        goal_min=goal_min,
    )


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _cadence(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def format_table(periods: Iterable[Period], *, weekly: bool = False) -> str:
    """A fixed-width table for the terminal."""
    first = "Week" if weekly else "Day"
    header = (first, "Backward min", "Goal", "Backward steps", "Forward steps", "Toe-first", "Cadence spm")
    lines = []
    for p in periods:
        if weekly:
            goal = f"{p.days_goal_met}/7 days"
        else:
            goal = "met" if p.goal_met else f"{p.goal_min - p.backward_min:.1f} to go"
        lines.append(
            (
                p.label,
                f"{p.backward_min:.1f} / {p.goal_min:g}",
                goal,
                str(p.backward_steps),
                str(p.forward_steps),
                _share(p.toe_first_share),
                _cadence(p.cadence_spm),
            )
        )
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True)))]
    out.extend(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True)))
        for line in lines
    )
    return "\n".join(out)


_CHART_W = 760
_CHART_H = 300
_MARGIN = (50, 20, 20, 60)  # left, top, right, bottom


def chart_svg(periods: list[Period], *, title: str) -> str:
    """Bars of backward minutes per period with the goal as a dashed line; inline SVG."""
    left, top, right, bottom = _MARGIN
    plot_w = _CHART_W - left - right
    plot_h = _CHART_H - top - bottom
    goal = periods[0].goal_min if periods else DEFAULT_GOAL_MIN
    top_value = max([goal * 1.25, *(p.backward_min for p in periods)]) or 1.0
    n = max(len(periods), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.7, 1.0)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_CHART_W}" height="{_CHART_H}" role="img"'
            f' aria-label="{html.escape(title)}">'
        ),
        f"<title>{html.escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#444"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#444"/>',
    ]
    for k in range(5):
        value = top_value * k / 4
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11">{value:.0f}</text>')
    for i, p in enumerate(periods):
        x = left + i * slot + (slot - bar_w) / 2
        colour = "#2a9d8f" if p.goal_met else "#e9c46a"
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y(p.backward_min):.1f}" width="{bar_w:.1f}"'
            f' height="{top + plot_h - y(p.backward_min):.1f}" fill="{colour}">'
            f"<title>{html.escape(p.label)}: {p.backward_min:.1f} min backward</title></rect>"
        )
        if n <= 31 or i % max(1, n // 15) == 0:
            cx = x + bar_w / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="end"'
                f' transform="rotate(-45 {cx:.1f} {top + plot_h + 14})">{html.escape(p.label)}</text>'
            )
    parts.append(
        f'<line class="goal" x1="{left}" y1="{y(goal):.1f}" x2="{left + plot_w}" y2="{y(goal):.1f}"'
        f' stroke="#e76f51" stroke-dasharray="6 4"/>'
    )
    parts.append(
        f'<text x="{left + plot_w}" y="{y(goal) - 4:.1f}" text-anchor="end" font-size="11" fill="#e76f51">'
        f"goal {goal:g} min</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def chart_html(report: Report, *, weekly: bool = False) -> str:
    """A self-contained HTML page: the chart and the table (no scripts, no external files)."""
    periods = report.weeks if weekly else report.days
    what = "week" if weekly else "day"
    title = f"Backward walking per {what} (goal {report.goal_min:g} min a day)"
    note = ""
    if report.unplaced_minutes:
        note = (
            f"<p>{report.unplaced_minutes} minute records could not be placed in time (made before the anklet's"
            " clock was set, in a boot no sync saw).</p>"
        )
    body = chart_svg(periods, title=title) if periods else "<p>No walking recorded yet.</p>"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{font-size:13px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>\n{body}\n{note}"
        f"<pre>{html.escape(format_table(periods, weekly=weekly))}</pre>"
        "</body></html>\n"
    )
