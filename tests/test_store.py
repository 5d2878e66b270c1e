"""The SQLite store: schema migrations, idempotent ingestion in one transaction, placing records in time."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anklet_host import packets
from anklet_host.errors import AnkletError, InputError
from anklet_host.store import db as store_db
from anklet_host.store.db import SCHEMA_VERSION, Store, default_db_path

NOW_S = 1_767_225_600


def minute(boot_id: int = 1, t_min: int = 100, wall: bool = False, backward: int = 10) -> packets.MinuteRecord:
    return packets.MinuteRecord(wall, boot_id, t_min, 20, 1, 0, 2, backward, 0, 100, 50)


def session(boot_id: int = 1, start_s: int = 600, wall: bool = False) -> packets.SessionRecord:
    return packets.SessionRecord(wall, boot_id, start_s, 900, 300, 200, 150)


def test_the_default_store_is_in_the_users_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "anklet" / "anklet.sqlite3"
    with Store() as store:
        assert store.path == default_db_path()
    assert default_db_path().is_file()


def test_a_new_store_has_the_current_schema(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        names = {r["name"] for r in store.query("SELECT name FROM sqlite_master")}
        assert {"devices", "boots", "minutes", "sessions", "syncs", "minutes_by_time"} <= names


def test_an_old_store_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as raw:
        raw.executescript(store_db.MIGRATIONS[0])
        raw.execute("PRAGMA user_version = 1")
        raw.execute("INSERT INTO devices (device_id, last_seq) VALUES ('x', 7)")
    raw.close()
    with Store(path) as store:
        assert store.schema_version == 3
        assert store.last_seq("x") == 7
        assert "minutes_by_time" in {r["name"] for r in store.query("SELECT name FROM sqlite_master")}
        assert store.goal_min() is None  # no sync has said the anklet's goal yet
        store.set_goal("x", 15)
        assert store.goal_min() == 15


def test_a_store_from_a_newer_anklet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(AnkletError, match="schema version 99, newer than this anklet"):
        Store(path)


def test_a_file_that_is_not_a_database_is_a_clear_input_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not SQLite\n" * 100)
    with pytest.raises(InputError, match="is not an anklet store"):
        Store(path)
    assert path.read_text().startswith("hello")  # untouched
    with pytest.raises(InputError, match="is a folder"):
        Store(tmp_path)
    with pytest.raises(InputError, match="no anklet store at"):
        Store(tmp_path / "missing.db", create=False)


def test_ingesting_twice_stores_once(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        records: list[packets.MinuteRecord | packets.SessionRecord] = [minute(t_min=i) for i in range(5)]
        records.append(session())
        first = store.ingest("dev", 1, records)
        again = store.ingest("dev", 1, records)
        assert (first.stored, first.duplicates, again.stored, again.duplicates) == (6, 0, 0, 6)
        assert (store.count("minutes"), store.count("sessions"), store.last_seq("dev")) == (5, 1, 6)
        # The same sequence numbers from another device are other records.
        assert store.ingest("other", 1, records).stored == 6


def test_a_failing_batch_stores_nothing(tmp_path: Path) -> None:
    class Broken(packets.MinuteRecord):
        @property
        def active_s(self) -> int:  # type: ignore[override]
            raise RuntimeError("disk full, say")

        @active_s.setter
        def active_s(self, value: int) -> None:
            pass

    with Store(tmp_path / "a.db") as store:
        bad = Broken(False, 1, 5, 1, 1, 1, 1, 1, 1, 90, 30)
        with pytest.raises(RuntimeError):
            store.ingest("dev", 1, [minute(), minute(t_min=2), bad])
        assert (store.count("minutes"), store.last_seq("dev")) == (0, 0)


def test_records_are_placed_by_wall_clock_or_by_their_boots_offset(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        store.ingest(
            "dev",
            1,
            [
                minute(wall=True, t_min=NOW_S // 60),
                minute(boot_id=2, t_min=30),
                minute(boot_id=3, t_min=30),
                session(boot_id=2, start_s=1000),
            ],
        )
        placed = {int(r["seq"]): r["start_utc_s"] for r in store.query("SELECT seq, start_utc_s FROM minutes")}
        assert placed == {1: NOW_S, 2: None, 3: None}
        # A sync during boot 2 learns its offset (uptime 3600 s at NOW_S) and places its records.
        assert store.note_device_time("dev", 2, 3600, NOW_S) == 2
        placed = {int(r["seq"]): r["start_utc_s"] for r in store.query("SELECT seq, start_utc_s FROM minutes")}
        assert placed == {1: NOW_S, 2: NOW_S - 3600 + 1800, 3: None}
        assert store.query("SELECT start_utc_s FROM sessions")[0]["start_utc_s"] == NOW_S - 3600 + 1000
        # Records of a known boot that arrive later are placed as they are stored.
        store.ingest("dev", 5, [minute(boot_id=2, t_min=31)])
        assert store.query("SELECT start_utc_s FROM minutes WHERE seq = 5")[0]["start_utc_s"] == NOW_S - 1800 + 60


def test_evicted_counts_are_differences_between_syncs(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        assert store.note_status("dev", 0) == 0
        assert store.note_status("dev", 40) == 40
        assert store.note_status("dev", 40) == 0
        assert store.note_status("dev", 55) == 15
        assert store.evicted_total("dev") == 55


records_strategy = st.lists(
    st.one_of(
        st.builds(
            packets.MinuteRecord,
            st.booleans(),
            st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFFFFFF),
            *[st.integers(0, 255)] * 7,
            st.integers(0, 60),
        ),
        st.builds(
            packets.SessionRecord,
            st.booleans(),
            st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFFFFFF),
            st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFF),
            st.just(0),
        ),
    ),
    max_size=20,
)


@settings(max_examples=30, deadline=None)
@given(records_strategy, st.integers(1, 1000))
def test_stored_records_read_back_exactly(
    records: list[packets.MinuteRecord | packets.SessionRecord], first: int
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "a.db") as store:
        store.ingest("dev", first, records)
        back: dict[int, packets.MinuteRecord | packets.SessionRecord] = {}
        for r in store.query("SELECT * FROM minutes"):
            back[int(r["seq"])] = packets.MinuteRecord(
                bool(r["wall_clock"]),
                r["boot_id"],
                r["t_min"],
                r["forward_heel"],
                r["forward_toe"],
                r["forward_flat"],
                r["backward_heel"],
                r["backward_toe"],
                r["backward_flat"],
                r["cadence_spm"],
                r["active_s"],
            )
        for r in store.query("SELECT * FROM sessions"):
            back[int(r["seq"])] = packets.SessionRecord(
                bool(r["wall_clock"]),
                r["boot_id"],
                r["start_raw_s"],
                r["duration_s"],
                r["forward"],
                r["backward"],
                r["backward_toe"],
            )
        assert back == {first + i: record for i, record in enumerate(records)}


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other-app.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE notes (text TEXT)")
        other.commit()
    before = path.read_bytes()
    for create in (True, False):
        with pytest.raises(InputError, match=r"is not an anklet store \(its tables: notes\)"):
            Store(path, create=create)
    assert path.read_bytes() == before


def test_a_store_another_program_holds_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Store(path).close()
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # a writer's lock: reading still works, writing waits
        Store(path, create=False).close()
        with pytest.raises(AnkletError, match="is locked by another program") as refused:
            Store(path)
        assert not isinstance(refused.value, InputError)  # exit status 1: nothing wrong with the command
        other.execute("ROLLBACK")


def test_a_new_store_needs_its_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no folder .*missing for the store"):
        Store(tmp_path / "missing" / "a.db")
    assert not (tmp_path / "missing").exists()
