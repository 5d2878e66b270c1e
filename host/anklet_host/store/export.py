"""The store's records as CSV (one table) or JSON (everything), for spreadsheets and other tools."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from anklet_host.store.db import MINUTE_COLUMNS, Store

FORMATS = ("csv", "json")
TABLES = ("minutes", "sessions")

# The record's identity and time, then its counts as the store keeps them (one list: `MINUTE_COLUMNS`).
_MINUTE_FIELDS = ("device_id", "seq", "start_utc", "boot_id", "wall_clock", "t_min", *MINUTE_COLUMNS)
_SESSION_FIELDS = (
    "device_id",
    "seq",
    "start_utc",
    "boot_id",
    "wall_clock",
    "start_raw_s",
    "duration_s",
    "forward",
    "backward",
    "backward_toe",
)


def _iso(start_utc_s: int | None) -> str | None:
    """ISO 8601 UTC time, or None for a record not yet placed in time."""
    if start_utc_s is None:
        return None
    return datetime.fromtimestamp(start_utc_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(store: Store, table: str) -> list[dict[str, Any]]:
    """Every record of ``table`` ("minutes" or "sessions") in (device, sequence) order."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table}")
    fields = _MINUTE_FIELDS if table == "minutes" else _SESSION_FIELDS
    columns = ", ".join("start_utc_s" if f == "start_utc" else f for f in fields)
    out = []
    for row in store.query(f"SELECT {columns} FROM {table} ORDER BY device_id, seq"):  # noqa: S608 - fixed names
        record = {f: row["start_utc_s" if f == "start_utc" else f] for f in fields}
        record["start_utc"] = _iso(record["start_utc"])
        record["wall_clock"] = bool(record["wall_clock"])
        out.append(record)
    return out


def to_csv(store: Store, table: str = "minutes") -> str:
    """One table as CSV with a header row; unplaced times are empty."""
    fields = _MINUTE_FIELDS if table == "minutes" else _SESSION_FIELDS
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in rows(store, table):
        record["wall_clock"] = int(record["wall_clock"])
        writer.writerow({k: ("" if v is None else v) for k, v in record.items()})
    return buffer.getvalue()


def to_json(store: Store) -> str:
    """Devices, minutes and sessions as one JSON document."""
    devices = [
        {
            "device_id": str(r["device_id"]),
            "last_seq": int(r["last_seq"]),
            "evicted_total": int(r["evicted_total"]),
            "last_sync_utc": _iso(r["last_sync_utc_s"]),
        }
        for r in store.query("SELECT * FROM devices ORDER BY device_id")
    ]
    document = {
        "format": "anklet-export",
        "schema_version": store.schema_version,
        "devices": devices,
        "minutes": rows(store, "minutes"),
        "sessions": rows(store, "sessions"),
    }
    return json.dumps(document, indent=1) + "\n"
