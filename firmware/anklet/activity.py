"""Turns the detector's contacts into today's live counters, a record per minute of walking and one per walk session.

Feed it every contact (``contact(t_ms, backward, strike)``, ``t_ms`` the device's uptime in ms) and call ``tick(t_ms)``
now and then (once a second is plenty): it closes minutes and sessions that are over and hands each record, the
15 bytes of ``anklet.packets``, to ``sink.append(buf)`` (a ``FlashLog``).

- Minutes are minutes of uptime; a record's time is the wall-clock minute when the clock is set
  (``set_wall_offset``), else the uptime minute with the boot id, and the host places it in time.
- Active time: the gap between two contacts counts as walking when it is at most ``stride_gap_ms`` (3.5 s: slow
  backward walking at 40 steps/min has 3 s between contacts of one foot); cadence is
  steps of both feet per minute of active time (two steps per contact interval of this foot).
- Sessions (when ``auto_start``) begin at a contact and end after ``session_gap_ms`` without one; a session with fewer
  than ``min_session_contacts`` contacts is dropped (a few steps across a room is not a walk). Without ``auto_start``
  sessions run between ``start_session`` and ``stop_session`` (the button).

Per contact it allocates nothing while ``t_ms`` is a small int (uptime under 2**30 ms, about 12 days on the board).
"""

from array import array

from anklet import packets
from anklet.compat import const

_MINUTE_MS = const(60000)
# The detector hands a contact over once its stance is over: up to a slow stride (3 s) plus a stance after it
# happened. A minute is closed only this long after it ended, so its late contacts still land in it.
_LATE_MS = const(8000)
_DAY_S = const(86400)
# Index into the per-minute counts: direction * 3 + the strike's column (heel, toe, flat: packets.STRIKE_* order).
_BACKWARD_BASE = const(3)


class Activity:
    """Counters, minute records and session records from contacts; see the module docstring."""

    def __init__(
        self,
        sink: object,
        boot_id: int,
        auto_start: bool = True,
        stride_gap_ms: int = 3500,
        session_gap_ms: int = 300000,
        min_session_contacts: int = 10,
    ) -> None:
        self.sink = sink
        self.boot_id = boot_id
        self.auto_start = auto_start
        self.stride_gap_ms = stride_gap_ms
        self.session_gap_ms = session_gap_ms
        self.min_session_contacts = min_session_contacts
        self.wall_offset_s = 0
        self.wall_clock = False
        self.tz_offset_s = 0
        self._record = bytearray(packets.RECORD_SIZE)
        # This minute: counts by direction and strike, active time, strides.
        self._minute = -1  # the open minute, -1 when none
        self._closed_minute = -1  # the newest minute already written: never reopened
        self._counts = array("H", [0, 0, 0, 0, 0, 0])
        self._active_ms = 0
        self._strides = 0
        self._last_ms = -1
        # Today (live counters).
        self.contacts = 0
        self.backward = 0
        self.toe_first = 0
        self.active_ms_today = 0
        self.cadence_spm = 0
        self._day = -1
        # The current session.
        self.in_session = False
        self._session_start_ms = 0
        self._session_last_ms = 0
        self._session_counts = array("H", [0, 0, 0])  # forward, backward, backward toe-first

    # ------------------------------------------------------------------------------------------------------- clock

    def set_wall_offset(self, offset_s: int, tz_offset_s: int = 0) -> None:
        """The wall clock is now known: Unix time = uptime seconds + ``offset_s``; local = UTC + ``tz_offset_s``."""
        self.wall_offset_s = offset_s
        self.tz_offset_s = tz_offset_s
        self.wall_clock = True

    def _roll_day(self, t_ms: int) -> None:
        # "Today" is the local calendar day once the clock is set, else the current 24 h of uptime.
        if self.wall_clock:
            day = (t_ms // 1000 + self.wall_offset_s + self.tz_offset_s) // _DAY_S
        else:
            day = t_ms // 1000 // _DAY_S
        if day != self._day:
            self._day = day
            self.contacts = 0
            self.backward = 0
            self.toe_first = 0
            self.active_ms_today = 0

    def restore_today(self, t_ms: int, contacts: int, backward: int, toe_first: int, active_ms: int) -> None:
        """Carry today's counters over a reset (from ``anklet.app.persist``): they count as today's at ``t_ms``."""
        self._roll_day(t_ms)
        self.contacts = contacts
        self.backward = backward
        self.toe_first = toe_first
        self.active_ms_today = active_ms

    def reset_today(self) -> None:
        """Zero today's counters (the button's long press); records already written stay in the log."""
        self.contacts = 0
        self.backward = 0
        self.toe_first = 0
        self.active_ms_today = 0
        self.cadence_spm = 0

    # ---------------------------------------------------------------------------------------------------- contacts

    def contact(self, t_ms: int, backward: int, strike: int) -> None:
        """One initial contact of this foot at uptime ``t_ms``: direction (1 backward) and ``packets.STRIKE_*``."""
        self.tick(t_ms)
        self._roll_day(t_ms)
        minute = t_ms // _MINUTE_MS
        if minute <= self._closed_minute:
            minute = self._closed_minute + 1  # later than the grace: it counts in the next minute
        if minute < self._minute:
            minute = self._minute  # late, but its minute is still open: keep one record per minute
        if minute != self._minute:
            if self._minute >= 0:
                self._close_minute()
            self._minute = minute
        index = (strike if strike != packets.STRIKE_UNKNOWN else packets.STRIKE_FLAT) - packets.STRIKE_HEEL
        if backward:
            index += _BACKWARD_BASE
        counts = self._counts
        if counts[index] < 0xFFFF:
            counts[index] += 1
        self.contacts += 1
        if backward:
            self.backward += 1
        # Every toe-first contact, as the detector counts them (the report takes the backward share from records).
        if strike == packets.STRIKE_TOE:
            self.toe_first += 1
        last = self._last_ms
        if last >= 0 and 0 < t_ms - last <= self.stride_gap_ms:
            gap = t_ms - last
            self._active_ms += gap
            self._strides += 1
            self.active_ms_today += gap
            self.cadence_spm = 120000 // gap  # two steps (both feet) per interval of this foot
        self._last_ms = t_ms
        if not self.in_session and self.auto_start:
            self._begin_session(t_ms)
        if self.in_session:
            self._session_last_ms = t_ms
            session = self._session_counts
            if session[1] < 0xFFFF and session[0] < 0xFFFF:  # uint16 totals in the record; saturate
                if backward:
                    session[1] += 1
                    if index == _BACKWARD_BASE + 1:
                        session[2] += 1
                else:
                    session[0] += 1

    def tick(self, t_ms: int) -> None:
        """Close the minute (once its late contacts can no longer come) and the session if they are over by ``t_ms``."""
        if self._minute >= 0 and t_ms >= (self._minute + 1) * _MINUTE_MS + _LATE_MS:
            self._close_minute()
        if self._last_ms >= 0 and t_ms - self._last_ms > self.stride_gap_ms:
            self.cadence_spm = 0
        if self.in_session and self.auto_start and t_ms - self._session_last_ms > self.session_gap_ms:
            self._end_session()

    def flush(self) -> None:
        """Write out the open minute and session now (before a planned power-off)."""
        if self._minute >= 0:
            self._close_minute()
        if self.in_session:
            self._end_session()

    # ------------------------------------------------------------------------------------------------ minute records

    def _close_minute(self) -> None:
        counts = self._counts
        strides = self._strides
        active_ms = self._active_ms
        cadence = 120000 * strides // active_ms if active_ms else 0
        active_s = active_ms // 1000
        if active_s > 60:
            active_s = 60  # an interval spanning the minute's start is credited to the minute it ends in
        if self.wall_clock:
            t_min = (self._minute * 60 + self.wall_offset_s) // 60
        else:
            t_min = self._minute
        packets.pack_minute_into(
            self._record,
            0,
            1 if self.wall_clock else 0,
            self.boot_id,
            t_min,
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts[4],
            counts[5],
            cadence,
            active_s,
        )
        self.sink.append(self._record)  # type: ignore[attr-defined]
        self._closed_minute = self._minute
        for i in range(6):
            counts[i] = 0
        self._active_ms = 0
        self._strides = 0
        self._minute = -1

    # ----------------------------------------------------------------------------------------------------- sessions

    def _begin_session(self, t_ms: int) -> None:
        self.in_session = True
        self._session_start_ms = t_ms
        self._session_last_ms = t_ms
        session = self._session_counts
        session[0] = 0
        session[1] = 0
        session[2] = 0

    def start_session(self, t_ms: int) -> None:
        """Start a session now (the button); ends any open one first."""
        if self.in_session:
            self._end_session()
        self._begin_session(t_ms)

    def stop_session(self, t_ms: int) -> None:
        """Stop the session now (the button)."""
        if self.in_session:
            self._session_last_ms = t_ms
            self._end_session()

    def _end_session(self) -> None:
        self.in_session = False
        session = self._session_counts
        if session[0] + session[1] < self.min_session_contacts:
            return
        start_s = self._session_start_ms // 1000
        duration_s = (self._session_last_ms - self._session_start_ms) // 1000
        if self.wall_clock:
            start_s += self.wall_offset_s
        packets.pack_session_into(
            self._record,
            0,
            1 if self.wall_clock else 0,
            self.boot_id,
            start_s,
            duration_s,
            session[0],
            session[1],
            session[2],
        )
        self.sink.append(self._record)  # type: ignore[attr-defined]

    # --------------------------------------------------------------------------------------------------------- live

    def state(self) -> int:
        return packets.SESSION_WALKING if self.in_session else packets.SESSION_IDLE

    def steps(self) -> int:
        """Steps of both feet today, estimated as two per contact of this foot."""
        return 2 * self.contacts
