"""What can be wrong with the store a user points at, each said on one line with what to do about it: the checks on
its path made before anything is opened or written, and SQLite's errors put in the user's words.

A user mistake (a folder, a missing folder, another program's database, a damaged or read-only file) is an
`InputError` (exit status 2); a store that another program holds locked is an `AnkletError` (exit status 1): nothing
is wrong with the command, it works once the other program lets go.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from anklet_host.errors import AnkletError, InputError

# How long a read or write waits for another program's transaction before it gives up. A sync's own transactions
# last milliseconds; a program that holds the store longer (a database browser with unsaved changes) will not let
# go by itself.
BUSY_TIMEOUT_S = 2.0
# The tables every anklet store has had since its first schema version (`anklet_host.store.db.MIGRATIONS`).
ANKLET_TABLES = frozenset({"devices", "boots", "minutes", "sessions", "syncs"})


def check_path(path: Path, *, create: bool, make_folder: bool) -> None:
    """Refuse, before SQLite touches anything, a path that cannot be a store: a folder; with ``create`` False, a
    missing file; with ``create`` True, a missing folder (made only when ``make_folder``) or one that cannot be
    written."""
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a store: give a file name such as {path / 'anklet.sqlite3'}")
    if not create:
        if not path.exists():
            raise InputError(f"no anklet store at {path} (run `anklet sync` first, or pass --db)")
        return
    if path.exists():
        # SQLite writes a journal file beside the store: the folder must be writable as well as the file.
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            raise read_only(path)
        return
    folder = path.parent
    if not folder.is_dir():
        if make_folder:
            return
        raise InputError(f"no folder {folder} for the store {path}: create it first, or pass --db a file in a folder")
    if not os.access(folder, os.W_OK):
        raise InputError(f"cannot make the store {path}: {folder} is read-only; pass --db a file in a writable folder")


def check_tables(path: Path, version: int, tables: set[str], *, create: bool, newest: int) -> None:
    """Refuse a database that is not an anklet store before anything is added to it: another program's tables, or
    (for a command that only reads) an empty file. A store newer than ``newest`` (the schema this anklet knows) may
    have other tables: the store's own check says to upgrade."""
    if version > newest:
        return
    if version == 0 and not tables:
        if create:
            return  # a new store: the migrations make it
        raise InputError(f"{path} is empty, not an anklet store (`anklet sync --db {path}` fills it)")
    if version == 0 or not ANKLET_TABLES.issubset(tables):
        others = ", ".join(sorted(tables - ANKLET_TABLES)[:3]) or "none"
        raise InputError(
            f"{path} is not an anklet store (its tables: {others}); pass --db the anklet's store or a new file"
        )


def read_only(path: Path) -> InputError:
    return InputError(f"the store {path} is read-only; make it and its folder writable, or pass --db another file")


def store_error(path: Path, exc: sqlite3.Error) -> AnkletError:
    """SQLite's error ``exc`` on the store at ``path`` as one line that says what to do."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return AnkletError(
            f"the store {path} is locked by another program (another `anklet sync`, or a database browser with"
            " unsaved changes); close it and try again"
        )
    if code.startswith("SQLITE_READONLY"):
        return read_only(path)
    if code.startswith("SQLITE_NOTADB"):
        return InputError(f"{path} is not an anklet store (not an SQLite database); pass --db the anklet's store")
    if code.startswith("SQLITE_CORRUPT"):
        return InputError(
            f"the store {path} is damaged ({exc}); put back a copy from a backup, or pass --db a new file and sync"
        )
    if code.startswith("SQLITE_FULL"):
        return AnkletError(f"the disk holding the store {path} is full; free some space and try again")
    return AnkletError(f"the store {path}: {exc}")
