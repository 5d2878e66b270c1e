"""The laptop's store: synced anklet records in SQLite; versioned schema, idempotent ingestion, placing in time.

Records are keyed by (device id, sequence number), so storing the same records again changes nothing. A record made
before the anklet's clock was set carries (boot id, uptime); it is placed in time with the offset between that boot's
uptime and wall time, which the host learns when it syncs during that boot (``note_device_time``). Records of a boot
the host never saw stay unplaced (``start_utc_s`` NULL) and reports say how many.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

from anklet_host import packets
from anklet_host.errors import AnkletError, InputError
from anklet_host.store.checks import BUSY_TIMEOUT_S, check_path, check_tables, store_error

DB_FILENAME = "anklet.sqlite3"

_V1 = """
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL DEFAULT 0,
    evicted_total INTEGER NOT NULL DEFAULT 0,
    last_sync_utc_s INTEGER
);
CREATE TABLE boots (
    device_id TEXT NOT NULL,
    boot_id INTEGER NOT NULL,
    offset_s INTEGER NOT NULL,          -- Unix seconds = uptime seconds + offset_s
    learned_utc_s INTEGER NOT NULL,
    PRIMARY KEY (device_id, boot_id)
);
CREATE TABLE minutes (
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    boot_id INTEGER NOT NULL,
    wall_clock INTEGER NOT NULL,        -- 1: t_min is Unix minutes, 0: uptime minutes of boot_id
    t_min INTEGER NOT NULL,
    start_utc_s INTEGER,                -- placed in time, NULL while the boot's offset is unknown
    forward_heel INTEGER NOT NULL,
    forward_toe INTEGER NOT NULL,
    forward_flat INTEGER NOT NULL,
    backward_heel INTEGER NOT NULL,
    backward_toe INTEGER NOT NULL,
    backward_flat INTEGER NOT NULL,
    cadence_spm INTEGER NOT NULL,
    active_s INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE TABLE sessions (
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    boot_id INTEGER NOT NULL,
    wall_clock INTEGER NOT NULL,
    start_raw_s INTEGER NOT NULL,
    start_utc_s INTEGER,
    duration_s INTEGER NOT NULL,
    forward INTEGER NOT NULL,
    backward INTEGER NOT NULL,
    backward_toe INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE TABLE syncs (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    finished_utc_s INTEGER NOT NULL,
    first_seq INTEGER,
    last_seq INTEGER,
    stored INTEGER NOT NULL,
    evicted_total INTEGER NOT NULL
);
"""

_V2 = """
CREATE INDEX minutes_by_time ON minutes (start_utc_s);
CREATE INDEX sessions_by_time ON sessions (start_utc_s);
"""

_V3 = """
ALTER TABLE devices ADD COLUMN goal_min INTEGER
"""

# Migration N takes a database from user_version N to N + 1. Append, never edit. Statements are split at ';',
# so comments in them must not contain one.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)

MINUTE_COLUMNS = (
    "forward_heel",
    "forward_toe",
    "forward_flat",
    "backward_heel",
    "backward_toe",
    "backward_flat",
    "cadence_spm",
    "active_s",
)


def default_db_path() -> Path:
    """The store in the user's data folder (e.g. ~/.local/share/anklet/anklet.sqlite3)."""
    return Path(user_data_dir("anklet", appauthor=False)) / DB_FILENAME


def check_store(path: Path | str | None) -> None:
    """Check that a sync can write the store at ``path`` (default: the user's data folder) without making it: an
    existing store is opened and closed, so a locked, damaged, read-only or foreign file is refused now."""
    resolved = Path(path) if path is not None else default_db_path()
    if resolved.exists():
        Store(resolved).close()
    else:
        check_path(resolved, create=True, make_folder=path is None)


@dataclass(frozen=True)
class IngestResult:
    """What one ingested batch did: records new to the store, and records already there."""

    stored: int
    duplicates: int


class Store:
    """An open store. Use as a context manager, or call ``close``."""

    def __init__(self, path: Path | str | None = None, *, create: bool = True) -> None:
        """Open the store at ``path`` (default: the user's data folder); with ``create`` (a sync) make it if it is
        missing, and check it can be written before anything is; without (a report), refuse a missing one."""
        self.path = Path(path) if path is not None else default_db_path()
        check_path(self.path, create=create, make_folder=path is None)
        if create:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)  # only the default folder can be missing here
            except OSError as exc:
                raise InputError(f"cannot make the folder {self.path.parent}: {exc.strerror or exc}") from None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc
        self._db.row_factory = sqlite3.Row
        try:
            with self._sqlite_errors():
                self._db.execute("PRAGMA foreign_keys = ON")
                check_tables(self.path, self.schema_version, self._tables(), create=create, newest=SCHEMA_VERSION)
                if create:
                    # Take the write lock once and let go: a store another program holds is refused now, before
                    # the anklet is contacted, not in the middle of a sync.
                    self._db.execute("BEGIN IMMEDIATE")
                    self._db.execute("ROLLBACK")
                self._migrate()
        except BaseException:
            self._db.close()
            raise

    # -------------------------------------------------------------------------------------------------- plumbing

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _sqlite_errors(self) -> Iterator[None]:
        """SQLite's errors as one line for the user (`anklet_host.store.checks.store_error`)."""
        try:
            yield
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._sqlite_errors():
            return self._db.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction: everything inside is stored, or (on any exception) nothing."""
        with self._sqlite_errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
                    self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return int(self._rows("PRAGMA user_version")[0][0])

    def _tables(self) -> set[str]:
        return {str(r[0]) for r in self._rows("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise AnkletError(
                f"the store {self.path} has schema version {version}, newer than this anklet ({SCHEMA_VERSION});"
                " upgrade anklet"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction() as db:
                for statement in MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query, addressable by column name."""
        return self._rows(sql, params)

    # ---------------------------------------------------------------------------------------------------- devices

    def _ensure_device(self, db: sqlite3.Connection, device_id: str) -> None:
        db.execute("INSERT OR IGNORE INTO devices (device_id) VALUES (?)", (device_id,))

    def last_seq(self, device_id: str) -> int:
        """The highest sequence number stored from this device (0: none)."""
        rows = self._rows("SELECT last_seq FROM devices WHERE device_id = ?", (device_id,))
        return int(rows[0][0]) if rows else 0

    def evicted_total(self, device_id: str) -> int:
        rows = self._rows("SELECT evicted_total FROM devices WHERE device_id = ?", (device_id,))
        return int(rows[0][0]) if rows else 0

    def set_goal(self, device_id: str, goal_min: int) -> None:
        """The daily goal the anklet holds (its settings), learned at a sync."""
        with self.transaction() as db:
            self._ensure_device(db, device_id)
            db.execute("UPDATE devices SET goal_min = ? WHERE device_id = ?", (goal_min, device_id))

    def goal_min(self) -> int | None:
        """The daily goal of the anklet synced most recently (None before any sync learned one)."""
        rows = self._rows(
            "SELECT goal_min FROM devices WHERE goal_min IS NOT NULL"
            " ORDER BY last_sync_utc_s IS NULL, last_sync_utc_s DESC LIMIT 1"
        )
        return int(rows[0][0]) if rows else None

    def devices(self) -> list[str]:
        return [str(r[0]) for r in self._rows("SELECT device_id FROM devices ORDER BY device_id")]

    # ------------------------------------------------------------------------------------------------------- time

    def note_device_time(self, device_id: str, boot_id: int, uptime_s: int, now_utc_s: int) -> int:
        """Learn the offset of this boot's uptime from wall time at a sync, place the boot's records; returns how
        many records it placed."""
        offset_s = now_utc_s - uptime_s
        with self.transaction() as db:
            self._ensure_device(db, device_id)
            db.execute(
                "INSERT INTO boots (device_id, boot_id, offset_s, learned_utc_s) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (device_id, boot_id) DO UPDATE SET offset_s = excluded.offset_s,"
                " learned_utc_s = excluded.learned_utc_s",
                (device_id, boot_id, offset_s, now_utc_s),
            )
            return self._place(db, device_id)

    def _place(self, db: sqlite3.Connection, device_id: str) -> int:
        placed = db.execute(
            "UPDATE minutes SET start_utc_s = t_min * 60 + (SELECT offset_s FROM boots b"
            " WHERE b.device_id = minutes.device_id AND b.boot_id = minutes.boot_id)"
            " WHERE device_id = ? AND wall_clock = 0 AND start_utc_s IS NULL"
            " AND EXISTS (SELECT 1 FROM boots b"
            " WHERE b.device_id = minutes.device_id AND b.boot_id = minutes.boot_id)",
            (device_id,),
        ).rowcount
        placed += db.execute(
            "UPDATE sessions SET start_utc_s = start_raw_s + (SELECT offset_s FROM boots b"
            " WHERE b.device_id = sessions.device_id AND b.boot_id = sessions.boot_id)"
            " WHERE device_id = ? AND wall_clock = 0 AND start_utc_s IS NULL"
            " AND EXISTS (SELECT 1 FROM boots b"
            " WHERE b.device_id = sessions.device_id AND b.boot_id = sessions.boot_id)",
            (device_id,),
        ).rowcount
        return int(placed)

    # ---------------------------------------------------------------------------------------------------- records

    def ingest(
        self,
        device_id: str,
        first_seq: int,
        records: Sequence[packets.MinuteRecord | packets.SessionRecord],
        *,
        seqs: Sequence[int] | None = None,
    ) -> IngestResult:
        """Store records (consecutive from ``first_seq``, or numbered by ``seqs``) in one transaction; records
        already stored are left as they are."""
        numbers = list(seqs) if seqs is not None else list(range(first_seq, first_seq + len(records)))
        if len(numbers) != len(records):
            raise ValueError("one sequence number per record")
        stored = 0
        with self.transaction() as db:
            self._ensure_device(db, device_id)
            for seq, record in zip(numbers, records, strict=True):
                if isinstance(record, packets.MinuteRecord):
                    cursor = db.execute(
                        "INSERT OR IGNORE INTO minutes (device_id, seq, boot_id, wall_clock, t_min, start_utc_s,"
                        " forward_heel, forward_toe, forward_flat, backward_heel, backward_toe, backward_flat,"
                        " cadence_spm, active_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            device_id,
                            seq,
                            record.boot_id,
                            int(record.wall_clock),
                            record.t_min,
                            record.t_min * 60 if record.wall_clock else None,
                            *(getattr(record, name) for name in MINUTE_COLUMNS),
                        ),
                    )
                else:
                    cursor = db.execute(
                        "INSERT OR IGNORE INTO sessions (device_id, seq, boot_id, wall_clock, start_raw_s,"
                        " start_utc_s, duration_s, forward, backward, backward_toe)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            device_id,
                            seq,
                            record.boot_id,
                            int(record.wall_clock),
                            record.start_s,
                            record.start_s if record.wall_clock else None,
                            record.duration_s,
                            record.forward,
                            record.backward,
                            record.backward_toe,
                        ),
                    )
                stored += cursor.rowcount
            if numbers:
                db.execute(
                    "UPDATE devices SET last_seq = MAX(last_seq, ?) WHERE device_id = ?", (max(numbers), device_id)
                )
            self._place(db, device_id)
        return IngestResult(stored=stored, duplicates=len(records) - stored)

    def note_status(self, device_id: str, evicted_total: int) -> int:
        """Record the device's evicted count; returns how many were evicted since the last sync."""
        with self.transaction() as db:
            self._ensure_device(db, device_id)
            before = db.execute("SELECT evicted_total FROM devices WHERE device_id = ?", (device_id,)).fetchone()[0]
            db.execute("UPDATE devices SET evicted_total = ? WHERE device_id = ?", (evicted_total, device_id))
        return max(0, evicted_total - int(before))

    def note_sync(
        self, device_id: str, finished_utc_s: int, first_seq: int | None, last_seq: int | None, stored: int
    ) -> None:
        with self.transaction() as db:
            self._ensure_device(db, device_id)
            db.execute(
                "INSERT INTO syncs (device_id, finished_utc_s, first_seq, last_seq, stored, evicted_total)"
                " SELECT ?, ?, ?, ?, ?, evicted_total FROM devices WHERE device_id = ?",
                (device_id, finished_utc_s, first_seq, last_seq, stored, device_id),
            )
            db.execute("UPDATE devices SET last_sync_utc_s = ? WHERE device_id = ?", (finished_utc_s, device_id))

    def count(self, table: str) -> int:
        if table not in ("minutes", "sessions", "boots", "syncs", "devices"):
            raise ValueError(f"unknown table {table}")
        return int(self._rows(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608 - fixed names
