"""`anklet demo`: the main job on the bundled walk (see anklet_host.demo)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from anklet_host.demo import run_demo

NAME = "demo"
HELP = "run the bundled walk through the firmware detector on MicroPython and on the laptop, and compare"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="folder for the walk and results")


def run(args: argparse.Namespace) -> int:
    summary = run_demo(args.out)
    print(json.dumps(summary))
    return 0 if summary["device_equals_analyze"] else 1
