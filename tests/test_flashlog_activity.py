"""Activity (firmware/anklet/activity.py): contacts to minute and session records in the flash log, live counters,
and no allocation per contact under MicroPython."""

from __future__ import annotations

from pathlib import Path

import pytest

from anklet.activity import Activity
from anklet.flashlog import FlashLog
from anklet_host import packets
from anklet_host.upy import MicroPython
from tests.flashlog_helpers import read_all


def records(log: FlashLog) -> list[packets.MinuteRecord | packets.SessionRecord]:
    return [packets.decode_record(body) for _, body in read_all(log)]


def walk(act: Activity, start_ms: int, n: int, every_ms: int, backward: int, strike: int) -> int:  # noqa: PLR0917
    t = start_ms
    for _ in range(n):
        act.contact(t, backward, strike)
        t += every_ms
    return t


def test_a_walk_becomes_minute_records_and_a_session_in_the_log(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path))
    act = Activity(log, boot_id=2)
    t = walk(act, 0, 100, 1200, 1, packets.STRIKE_TOE)  # 120 s backward, 50 contacts a minute
    act.tick(t + 301_000)
    got = records(log)
    minutes = [r for r in got if isinstance(r, packets.MinuteRecord)]
    sessions = [r for r in got if isinstance(r, packets.SessionRecord)]
    assert [m.t_min for m in minutes] == [0, 1]
    assert [m.backward_toe for m in minutes] == [50, 50]
    assert [m.cadence_spm for m in minutes] == [100, 100]  # 2 steps per 1.2 s
    assert [m.active_s for m in minutes] == [58, 60]
    assert len(sessions) == 1
    assert (sessions[0].start_s, sessions[0].duration_s, sessions[0].backward, sessions[0].backward_toe) == (
        0,
        118,
        100,
        100,
    )
    assert act.state() == packets.SESSION_IDLE


def test_a_few_steps_make_minutes_but_no_session(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path))
    act = Activity(log, boot_id=1, min_session_contacts=10)
    walk(act, 5_000, 6, 1000, 0, packets.STRIKE_HEEL)
    act.tick(1_000_000)
    assert [type(r).__name__ for r in records(log)] == ["MinuteRecord"]


def test_without_auto_start_sessions_follow_the_button(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path))
    act = Activity(log, boot_id=1, auto_start=False)
    walk(act, 0, 20, 1000, 1, packets.STRIKE_TOE)
    assert act.state() == packets.SESSION_IDLE
    act.start_session(30_000)
    t = walk(act, 30_000, 20, 1000, 1, packets.STRIKE_HEEL)
    act.tick(t + 600_000)  # a long pause does not end a button session
    assert act.state() == packets.SESSION_WALKING
    act.stop_session(t + 600_000)
    sessions = [r for r in records(log) if isinstance(r, packets.SessionRecord)]
    assert [(s.start_s, s.backward, s.backward_toe) for s in sessions] == [(30, 20, 0)]


def test_records_after_the_clock_is_set_carry_wall_time(tmp_path: Path) -> None:
    log = FlashLog(str(tmp_path))
    act = Activity(log, boot_id=1)
    act.set_wall_offset(1_767_225_600)  # uptime 0 is midnight UTC, 2026-01-01
    t = walk(act, 120_000, 15, 1000, 1, packets.STRIKE_TOE)
    act.flush()
    minute, session = records(log)
    assert isinstance(minute, packets.MinuteRecord)
    assert isinstance(session, packets.SessionRecord)
    assert (minute.wall_clock, minute.t_min) == (True, 1_767_225_600 // 60 + 2)
    assert (session.wall_clock, session.start_s, session.duration_s) == (True, 1_767_225_720, (t - 121_000) // 1000)


def test_live_counters_reset_each_local_day(tmp_path: Path) -> None:
    act = Activity(FlashLog(str(tmp_path)), boot_id=1)
    act.set_wall_offset(1_767_225_600 - 7200, tz_offset_s=3600)  # uptime 0 is 22:00 UTC, 23:00 local
    walk(act, 0, 10, 1000, 1, packets.STRIKE_TOE)
    assert (act.contacts, act.backward, act.toe_first, act.steps()) == (10, 10, 10, 20)
    walk(act, 3_601_000, 3, 1000, 0, packets.STRIKE_HEEL)  # past local midnight
    assert (act.contacts, act.backward, act.toe_first, act.active_ms_today) == (3, 0, 0, 2000)


@pytest.mark.micropython
def test_a_contact_allocates_nothing_under_micropython(upy: MicroPython) -> None:
    code = """
import gc, micropython
from anklet.activity import Activity

class Sink:
    def __init__(self):
        self.n = 0
    def append(self, body):
        self.n += 1

def contacts(act, t, n):
    i = 0
    while i < n:
        act.contact(t, i & 1, i & 3)
        t += 1100
        i += 1
    return t

sink = Sink()
act = Activity(sink, boot_id=3)
t = contacts(act, 0, 2)
before = after = 0
gc.collect()
before = gc.mem_alloc()
micropython.heap_lock()
try:
    t = contacts(act, t, 50)  # 55 s: all within the first minute
    after = gc.mem_alloc()
finally:
    micropython.heap_unlock()
print(after - before, act.contacts, sink.n, act.cadence_spm)
"""
    assert upy.run(code).split() == ["0", "52", "0", "109"]
