"""The files commands write where the user says (`synth OUT.csv`, `export -o`, `report --chart`, `record OUT.csv`):
checked before any work is done, and never replaced without ``--force``, the same way in every command."""

from __future__ import annotations

import argparse
from pathlib import Path

from anklet_host.errors import InputError


def add_force_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--force", action="store_true", help=f"replace {what} if it exists")


def check_output(path: Path, *, force: bool) -> None:
    """Refuse to write ``path`` when it is a folder, its folder is missing, or (without ``force``) it exists."""
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    if path.exists() and not force:
        raise InputError(f"{path}: exists (use --force to overwrite)")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: no such folder")
