"""`anklet export`: the stored records as CSV (minutes or sessions) or JSON (everything)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from anklet_host.cli.output import add_force_argument, check_output
from anklet_host.errors import InputError
from anklet_host.store.db import Store
from anklet_host.store.export import FORMATS, TABLES, to_csv, to_json

NAME = "export"
HELP = "write the stored records as CSV or JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, required=True, help="csv: one table; json: everything")
    parser.add_argument("--db", type=Path, help="the store (default: anklet.sqlite3 in your data folder)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here instead of standard output")
    parser.add_argument(
        "--table", choices=TABLES, default="minutes", help="which records a CSV holds (default minutes)"
    )
    add_force_argument(parser, "FILE")


def run(args: argparse.Namespace) -> int:
    if args.output is not None:
        check_output(args.output, force=args.force)
    with Store(args.db, create=False) as store:
        text = to_csv(store, args.table) if args.format == "csv" else to_json(store)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    print(f"exported to {args.output}", file=sys.stderr)
    return 0
