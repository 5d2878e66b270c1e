"""Export: the stored records as CSV and JSON, through the API and `anklet export`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from anklet_host import packets
from anklet_host.cli import main
from anklet_host.store.db import Store
from anklet_host.store.export import to_csv, to_json

NOW_S = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "a.db") as s:
        s.ingest(
            "dev",
            1,
            [
                packets.MinuteRecord(True, 2, NOW_S // 60, 1, 2, 3, 4, 5, 6, 97, 58),
                packets.MinuteRecord(False, 7, 12, 0, 0, 0, 9, 9, 0, 80, 30),
                packets.SessionRecord(True, 2, NOW_S + 30, 1200, 300, 250, 200),
            ],
        )
        yield s


def test_csv_has_one_row_per_minute_with_times_in_utc(store: Store) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(store))))
    assert len(rows) == 2
    assert rows[0]["start_utc"] == "2026-01-01T00:00:00Z"
    assert (rows[0]["seq"], rows[0]["backward_toe"], rows[0]["cadence_spm"], rows[0]["wall_clock"]) == (
        "1",
        "5",
        "97",
        "1",
    )
    assert rows[1]["start_utc"] == ""  # not placed in time yet
    sessions = list(csv.DictReader(io.StringIO(to_csv(store, "sessions"))))
    assert (sessions[0]["seq"], sessions[0]["start_utc"], sessions[0]["duration_s"]) == (
        "3",
        "2026-01-01T00:00:30Z",
        "1200",
    )


def test_json_holds_devices_minutes_and_sessions(store: Store) -> None:
    document = json.loads(to_json(store))
    assert document["format"] == "anklet-export"
    assert document["devices"] == [{"device_id": "dev", "last_seq": 3, "evicted_total": 0, "last_sync_utc": None}]
    assert [m["seq"] for m in document["minutes"]] == [1, 2]
    assert document["minutes"][1]["start_utc"] is None
    assert document["minutes"][0]["wall_clock"] is True
    assert document["sessions"][0]["backward_toe"] == 200


def test_export_command_writes_stdout_or_a_file(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--format", "csv", "--db", str(store.path)]) == 0
    assert capsys.readouterr().out == to_csv(store)
    out = tmp_path / "all.json"
    assert main(["export", "--format", "json", "--db", str(store.path), "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(to_json(store))
    assert main(["export", "--format", "csv", "--table", "sessions", "--db", str(store.path)]) == 0
    assert capsys.readouterr().out.startswith("device_id,seq,start_utc,boot_id,wall_clock,start_raw_s")


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["-o", "."], "is a folder"), (["-o", "/nonexistent-dir/x.csv"], "/nonexistent-dir: no such folder")],
)
def test_export_command_bad_output_is_one_line(
    store: Store, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["export", "--format", "csv", "--db", str(store.path), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_export_without_a_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "json", "--db", str(tmp_path / "none.db")]) == 2
    assert "no anklet store at" in capsys.readouterr().err
