"""Reports: per-day and per-week numbers against the goal, the terminal table, the HTML chart and `anklet report`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from anklet_host import packets
from anklet_host.cli import main
from anklet_host.store.db import Store
from anklet_host.store.report import build_report, chart_html, format_table

MONDAY = int(datetime(2026, 1, 5, 9, 0, tzinfo=UTC).timestamp())


def wall_minute(  # noqa: PLR0917 - one row of a table of minutes
    utc_s: int, fwd_heel: int, bwd_heel: int, bwd_toe: int, cadence: int, active_s: int
) -> packets.MinuteRecord:
    return packets.MinuteRecord(True, 1, utc_s // 60, fwd_heel, 0, 0, bwd_heel, bwd_toe, 0, cadence, active_s)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "a.db") as s:
        records: list[packets.MinuteRecord | packets.SessionRecord] = [
            wall_minute(MONDAY, 0, 5, 15, 80, 60),  # all backward: 60 s
            wall_minute(MONDAY + 60, 30, 0, 10, 100, 40),  # 10 of 40 contacts backward: 10 s backward, 30 s forward
        ]
        records += [wall_minute(MONDAY + 86400 + 60 * i, 0, 0, 30, 90, 60) for i in range(11)]  # Tuesday: 11 min
        records.append(wall_minute(MONDAY + 7 * 86400, 0, 10, 10, 70, 30))  # next Monday
        records.append(packets.MinuteRecord(False, 9, 5, 1, 1, 1, 1, 1, 1, 90, 30))  # boot 9: never placed
        s.ingest("dev", 1, records)
        yield s


@pytest.fixture
def utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_days_add_up_backward_time_steps_toe_share_and_cadence(store: Store) -> None:
    report = build_report(store, goal_min=10, tz=UTC)
    assert [d.start for d in report.days] == [date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 12)]
    monday = report.days[0]
    assert monday.backward_min == pytest.approx(70 / 60)
    assert monday.forward_min == pytest.approx(30 / 60)
    assert (monday.backward_steps, monday.forward_steps) == (60, 60)
    assert monday.toe_first_share == pytest.approx(25 / 30)
    assert monday.cadence_spm == pytest.approx((80 * 60 + 100 * 40) / 100)
    assert not monday.goal_met
    tuesday = report.days[1]
    assert (tuesday.backward_min, tuesday.goal_met, tuesday.toe_first_share) == (11, True, 1.0)
    assert report.unplaced_minutes == 1


def test_weeks_are_iso_weeks_with_the_goal_times_seven(store: Store) -> None:
    report = build_report(store, goal_min=5, tz=UTC)
    assert [w.label for w in report.weeks] == ["2026-W02", "2026-W03"]
    first = report.weeks[0]
    assert first.goal_min == 35
    assert first.backward_min == pytest.approx(70 / 60 + 11)
    assert first.days_goal_met == 1
    assert first.backward_steps == 60 + 11 * 60


def test_days_follow_the_local_time_zone(store: Store) -> None:
    from datetime import timedelta, timezone

    # 09:00 UTC on Monday is 00:00 on Tuesday at UTC+15.
    report = build_report(store, tz=timezone(timedelta(hours=15)))
    assert report.days[0].start == date(2026, 1, 6)


def test_the_table_shows_one_row_per_day_with_the_goal(store: Store) -> None:
    table = format_table(build_report(store, goal_min=10, tz=UTC).days)
    lines = table.splitlines()
    assert lines[0].split() == [
        "Day",
        "Backward",
        "min",
        "Goal",
        "Backward",
        "steps",
        "Forward",
        "steps",
        "Toe-first",
        "Cadence",
        "spm",
    ]
    assert lines[1].split() == ["2026-01-05", "1.2", "/", "10", "8.8", "to", "go", "60", "60", "83%", "88"]
    assert lines[2].split() == ["2026-01-06", "11.0", "/", "10", "met", "660", "0", "100%", "90"]
    assert len({len(line) for line in lines}) == 1  # aligned columns


def test_the_chart_is_a_self_contained_html_page_with_one_bar_per_day(store: Store) -> None:
    page = chart_html(build_report(store, goal_min=10, tz=UTC))
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('class="bar"') == 3
    assert page.count('class="goal"') == 1
    assert "<script" not in page
    assert "src=" not in page
    assert "2026-01-06: 11.0 min backward" in page
    assert "1 minute records could not be placed" in page


def test_report_command_prints_the_table_and_writes_the_chart(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], utc_local_time: None
) -> None:
    chart = tmp_path / "chart.html"
    assert main(["report", "--db", str(store.path), "--goal-min", "1", "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert "2026-01-05" in out
    assert " met " in out
    assert "1 minute record(s) could not be placed in time" in out
    assert chart.read_text().count('class="bar"') == 3
    assert main(["report", "--db", str(store.path), "--week"]) == 0
    assert "2026-W03" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--goal-min", "ten"], "argument --goal-min: must be a whole number of minutes from 1 to 600, not 'ten'"),
        (["--goal-min", "0"], "argument --goal-min: must be a whole number of minutes from 1 to 600, not '0'"),
        (["--chart", "."], "is a folder"),
    ],
)
def test_report_command_bad_input_is_one_line(
    store: Store, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["report", "--db", str(store.path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_report_without_a_store_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", str(tmp_path / "none.db")]) == 2
    assert "no anklet store at" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
