"""`anklet analyze TRACE.csv`: run the firmware step detector over a recorded or synthetic trace."""

from __future__ import annotations

import argparse
import json

from anklet_host.analysis.detect import PLACEMENTS, Detection, detect
from anklet_host.analysis.load import read_trace_fast

NAME = "analyze"
HELP = "detect foot contacts, walking direction and foot strike in a trace CSV"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trace", help="trace CSV (t_s,ax,ay,az[,gx,gy,gz], body frame, m/s² and rad/s)")
    parser.add_argument("--placement", choices=sorted(PLACEMENTS), default="ankle", help="where the sensor sits")
    parser.add_argument("--rate", type=float, default=None, help="sample rate in Hz (default: found from t_s)")
    parser.add_argument("--no-gyro", action="store_true", help="ignore gyro columns")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def summary(detection: Detection) -> str:
    lines = [
        f"rate: {detection.rate_hz:g} Hz",
        f"contacts of this foot: {detection.contacts} ({detection.backward} backward, {detection.toe_first} toe-first)",
        f"steps of both feet (estimated): {detection.steps_both_feet}",
        f"cadence: {detection.cadence_spm} steps/min",
    ]
    lines += [f"  {s.t_s:9.3f} s  {s.direction:8s} {s.strike}" for s in detection.steps]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    trace = read_trace_fast(args.trace)
    detection = detect(trace, args.placement, use_gyro=not args.no_gyro, rate_hz=args.rate)
    print(json.dumps(detection.as_json()) if args.json else summary(detection))
    return 0
