"""`anklet eval DIR`: score the step detector on every labelled trace (*.csv with a `contact` column) in a folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from anklet_host.analysis.detect import PLACEMENTS, detect
from anklet_host.analysis.sanity import check_gravity
from anklet_host.analysis.score import TOLERANCE_S, Score, score_trace
from anklet_host.errors import InputError
from anklet_host.trace import LABEL_CONTACT, read_trace

NAME = "eval"
HELP = "score contacts, direction and strike against the labels of every trace in a folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="folder of labelled trace CSVs")
    parser.add_argument("--placement", choices=sorted(PLACEMENTS), default="ankle", help="where the sensor sat")
    parser.add_argument("--no-gyro", action="store_true", help="ignore gyro columns")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def evaluate(folder: Path, placement: str, *, use_gyro: bool) -> tuple[list[tuple[str, Score]], Score]:
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of labelled traces (`anklet analyze` reads one trace)")
    rows: list[tuple[str, Score]] = []
    total = Score()
    for path in sorted(folder.glob("*.csv")):
        trace = read_trace(path)
        if LABEL_CONTACT not in trace.labels:
            continue
        for warning in check_gravity(trace, str(path)):  # a trace in other units is refused, naming it
            print(warning, file=sys.stderr)
        score = score_trace(trace, detect(trace, placement, use_gyro=use_gyro).steps)
        rows.append((path.name, score))
        total = total + score
    if not rows:
        raise InputError(f"{folder}: no labelled traces (*.csv with a {LABEL_CONTACT} column)")
    return rows, total


def run(args: argparse.Namespace) -> int:
    rows, total = evaluate(Path(args.folder), args.placement, use_gyro=not args.no_gyro)
    if not args.json:
        width = max(len("total"), *(len(name) for name, _ in rows))
        print(f"contacts matched within ±{TOLERANCE_S:g} s; placement {args.placement}, gyro {not args.no_gyro}")
        print(f"{'trace':{width}s}  refs  dets  prec.   recall  F1      count   dir.    strike")
        for name, s in [*rows, ("total", total)]:
            print(
                f"{name:{width}s}  {s.references:4d}  {s.detections:4d}  {_pct(s.precision)} {_pct(s.recall)} "
                f"{_pct(s.f1)} {100 * s.count_error:+6.1f}% {_pct(s.direction_accuracy)} {_pct(s.strike_accuracy)}"
            )
    print(json.dumps({"traces": len(rows), "placement": args.placement, "gyro": not args.no_gyro, **total.as_json()}))
    return 0
