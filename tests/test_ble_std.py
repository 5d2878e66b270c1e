"""The standard characteristics' formats (``anklet.ble.std``): round trips, and decoders that only raise ValueError."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from anklet.ble import std
from anklet_host.ble.client import unix_from_current_time

optional_u16 = st.one_of(st.just(-1), st.integers(0, 0xFFFF))
optional_u32 = st.one_of(st.just(-1), st.integers(0, 0xFFFFFFFF))


@given(st.integers(0, 0xFFFF), st.integers(0, 255), st.booleans(), optional_u16, optional_u32)
def test_rsc_measurement_round_trips(speed: int, cadence: int, running: bool, stride: int, distance: int) -> None:
    buf = bytearray(std.RSC_MAX_BYTES)
    n = std.pack_rsc_into(buf, speed, cadence, running, stride, distance)
    assert n == 4 + (2 if stride >= 0 else 0) + (4 if distance >= 0 else 0)
    assert std.unpack_rsc(bytes(buf[:n])) == (running, speed, cadence, stride, distance)
    assert buf[0] & std.RSC_FLAG_RUNNING == (std.RSC_FLAG_RUNNING if running else 0)  # 0 = walking


@given(st.datetimes(datetime(2000, 1, 1), datetime(2199, 12, 31, 23, 59, 59)), st.integers(0, 255))  # noqa: DTZ001
def test_current_time_round_trips_and_counts_seconds_like_the_host(when: datetime, reason: int) -> None:
    buf = bytearray(std.CURRENT_TIME_BYTES)
    fraction = when.microsecond * 256 // 1_000_000
    std.pack_current_time_into(
        buf, when.year, when.month, when.day, when.hour, when.minute, when.second, when.isoweekday(), fraction, reason
    )
    fields = std.unpack_current_time(bytes(buf))
    assert fields == (
        when.year, when.month, when.day, when.hour, when.minute, when.second, when.isoweekday(), fraction, reason
    )  # fmt: skip
    assert unix_from_current_time(fields) == int(when.replace(microsecond=0, tzinfo=UTC).timestamp())


@given(st.binary(max_size=16))
def test_decoders_raise_only_value_error(data: bytes) -> None:
    for decode in (std.unpack_rsc, std.unpack_current_time):
        message = ""
        try:
            decode(data)
        except ValueError as exc:
            message = str(exc)
            assert message
