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
from typing import NoReturn, Protocol, cast

from anklet_host import VERSION
from anklet_host.cli import commands
from anklet_host.errors import AnkletError, InputError


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


class _Parser(argparse.ArgumentParser):
    """argparse's parser with a mistake reported as an InputError: one line (argparse prints its whole usage first)
    that says where the options are listed, exit status 2 as argparse has it, and a status `main` returns instead of
    a SystemExit."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{message}; see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="anklet", description="Count backward steps with the anklet.")
    parser.add_argument("--version", action="version", version=f"anklet {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in load_commands():
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(p)
        p.set_defaults(_run=command.run, _parser=p)
    return parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Reported by the command's own parser, so the hint names that command's --help.
        cast(argparse.ArgumentParser, args._parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    # bumble logs protocol chatter (late notifications after a link drops, ...) as warnings; the commands report
    # what matters to the user themselves. ANKLET_DEBUG=1 shows it all.
    if not os.environ.get("ANKLET_DEBUG"):
        logging.getLogger("bumble").setLevel(logging.ERROR)
    try:
        # Inside the try: Ctrl-C in the first second lands in the imports of the commands (bumble, numpy, ...).
        args = _parse(argv)
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
