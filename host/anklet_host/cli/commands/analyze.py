"""`anklet analyze TRACE.csv`: run the firmware step detector over a recorded or synthetic trace."""

from __future__ import annotations

import argparse
import json
import math
import sys

from anklet_host.analysis.detect import PLACEMENTS, Detection, detect
from anklet_host.analysis.load import read_trace_fast
from anklet_host.analysis.sanity import check_gravity, check_rate, placement_hint

NAME = "analyze"
HELP = "detect foot contacts, walking direction and foot strike in a trace CSV"
DEFAULT_PLACEMENT = "ankle"


def rate_value(text: str) -> float:
    """``--rate``: a sample rate in Hz (nan, inf and negative numbers are no rate)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a sample rate in Hz (a number above 0), not {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trace", help="trace CSV (t_s,ax,ay,az[,gx,gy,gz], body frame, m/s² and rad/s)")
    parser.add_argument(
        "--placement", choices=sorted(PLACEMENTS), help=f"where the sensor sits (default {DEFAULT_PLACEMENT})"
    )
    parser.add_argument(
        "--rate", type=rate_value, metavar="HZ", help="the rate the samples were taken at (default: found from t_s)"
    )
    parser.add_argument("--no-gyro", action="store_true", help="ignore gyro columns")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--contacts", action="store_true", help="also list every contact (time, direction, strike)")


def _rate_line(detection: Detection) -> str:
    line = f"rate: {detection.rate_hz:.4g} Hz"
    if detection.resampled_from_hz is not None:
        line += f" (resampled from {detection.resampled_from_hz:.4g} Hz)"
    return line


def summary(detection: Detection, *, placement_given: bool = True, contacts: bool = False) -> str:
    placement = f"placement: {detection.placement}"
    if not placement_given:
        placement += " (the default; a sensor on the shoe needs --placement shoe)"
    lines = [
        _rate_line(detection),
        placement,
        f"contacts of this foot: {detection.contacts} ({detection.backward} backward, {detection.toe_first} toe-first)",
        f"steps of both feet (estimated): {detection.steps_both_feet}",
        f"cadence: {detection.cadence_spm} steps/min",
    ]
    if contacts:
        lines += [f"  {s.t_s:9.3f} s  {s.direction:8s} {s.strike}" for s in detection.steps]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    trace = read_trace_fast(args.trace)
    notes = check_rate(trace, args.trace, args.rate) + check_gravity(trace, args.trace)
    placement = args.placement or DEFAULT_PLACEMENT
    detection = detect(trace, placement, use_gyro=not args.no_gyro, rate_hz=args.rate)
    notes += placement_hint(detection)
    for note in notes:
        print(note, file=sys.stderr)
    if args.json:
        print(json.dumps(detection.as_json()))
    else:
        print(summary(detection, placement_given=args.placement is not None, contacts=args.contacts))
    return 0
