"""`anklet demo`: the main job end to end on the virtual anklet (see anklet_host.demo)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from anklet_host.demo import run_demo

NAME = "demo"
HELP = "walk the bundled walk on the virtual anklet: deploy, walk, sync, report; compare device, store and analyze"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="folder for everything the demo makes")


def run(args: argparse.Namespace) -> int:
    summary = run_demo(args.out)
    print(json.dumps(summary))
    return 0 if summary["agree"] else 1
