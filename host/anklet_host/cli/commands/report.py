"""`anklet report`: backward walking per day (or week) against the daily goal, as a table and an HTML chart."""

from __future__ import annotations

import argparse
from pathlib import Path

from anklet_host.cli.output import add_force_argument, check_output
from anklet_host.cli.values import goal_minutes
from anklet_host.errors import InputError
from anklet_host.store.db import Store
from anklet_host.store.report import DEFAULT_GOAL_MIN, build_report, chart_html, format_table

NAME = "report"
HELP = "backward minutes per day or week against your daily goal, steps, toe-first share, cadence"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="the store (default: anklet.sqlite3 in your data folder)")
    parser.add_argument("--week", action="store_true", help="one row per week (ISO weeks, Monday to Sunday)")
    parser.add_argument(
        "--chart", type=Path, metavar="OUT.html", help="also write a chart as a self-contained HTML file"
    )
    parser.add_argument(
        "--goal-min",
        type=goal_minutes,  # the range `anklet settings --goal-min` takes
        metavar="N",
        help=f"daily backward-walking goal in minutes, 1-600 (default: the anklet's, from sync; else"
        f" {DEFAULT_GOAL_MIN:g})",
    )
    add_force_argument(parser, "the chart")


def run(args: argparse.Namespace) -> int:
    goal = float(args.goal_min) if args.goal_min is not None else None
    if args.chart is not None:
        check_output(args.chart, force=args.force)
    with Store(args.db, create=False) as store:
        if goal is None:
            goal = float(store.goal_min() or DEFAULT_GOAL_MIN)
        report = build_report(store, goal_min=goal)
    periods = report.weeks if args.week else report.days
    if periods:
        print(format_table(periods, weekly=args.week))
    else:
        print("no walking stored yet: run `anklet sync` first")
    if report.unplaced_minutes:
        print(
            f"{report.unplaced_minutes} minute record(s) could not be placed in time"
            " (made before the anklet's clock was set, in a boot no sync saw)"
        )
    if args.chart is not None:
        try:
            args.chart.write_text(chart_html(report, weekly=args.week), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write the chart to {args.chart}: {exc.strerror or exc}") from exc
        print(f"chart written to {args.chart}")
    return 0
