"""The `anklet` command. Each subcommand is a module in ``anklet_host.cli.commands`` (found automatically) with
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from anklet_host import VERSION
from anklet_host.cli import commands
from anklet_host.errors import AnkletError


class Command(Protocol):
    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def load_commands() -> list[Command]:
    found = [
        cast(Command, importlib.import_module(f"{commands.__name__}.{info.name}"))
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    ]
    return sorted(found, key=lambda c: c.NAME)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="anklet", description="Count backward steps with the anklet.")
    parser.add_argument("--version", action="version", version=f"anklet {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in load_commands():
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(p)
        p.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # bumble logs protocol chatter (late notifications after a link drops, ...) as warnings; the commands report
    # what matters to the user themselves. ANKLET_DEBUG=1 shows it all.
    if not os.environ.get("ANKLET_DEBUG"):
        logging.getLogger("bumble").setLevel(logging.ERROR)
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args))
    except AnkletError as exc:
        print(f"anklet: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("anklet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
