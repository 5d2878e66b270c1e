"""The chip models on their own: datasheet register behaviour, FIFO rules, timing, conversion and clipping, the bus's
fault injection, and the sources. The drivers against them: tests/test_drivers.py."""

from __future__ import annotations

import pytest

from anklet_host.sim.chips import (
    ADXL345Model,
    ArraySource,
    ConstantSource,
    LIS3DHModel,
    LSM6DS3Model,
    LSM6DSOXModel,
    MPU6050Model,
    MPU6886Model,
    model_for,
)
from anklet_host.sim.clock import VirtualClock
from anklet_host.sim.i2c import EIO, ENODEV, I2C
from anklet_host.upy import MicroPython
from tests.drivers_helpers import run_both


def on_bus(model_cls: type, source: ConstantSource | None = None) -> tuple[VirtualClock, I2C, object]:
    clock = VirtualClock()
    bus = I2C(0)
    model = bus.attach(model_cls(clock, source))
    return clock, bus, model


def read(bus: I2C, addr: int, reg: int, n: int) -> list[int]:
    return list(bus.readfrom_mem(addr, reg, n))


@pytest.mark.parametrize(
    ("cls", "reg", "identity"),
    [
        (LIS3DHModel, 0x0F, 0x33), (MPU6050Model, 0x75, 0x68), (MPU6886Model, 0x75, 0x19),
        (ADXL345Model, 0x00, 0xE5), (LSM6DS3Model, 0x0F, 0x69), (LSM6DSOXModel, 0x0F, 0x6C),
    ],
)  # fmt: skip
def test_identity_register_and_it_is_read_only(cls: type, reg: int, identity: int) -> None:
    _clock, bus, model = on_bus(cls)
    addr = model.address  # type: ignore[attr-defined]
    assert read(bus, addr, reg, 1) == [identity]
    bus.writeto_mem(addr, reg, b"\x00")
    assert read(bus, addr, reg, 1) == [identity]


def test_lis3dh_auto_increment_needs_the_sub_address_msb_and_rolls_over_only_with_the_fifo() -> None:
    clock, bus, _m = on_bus(LIS3DHModel, ConstantSource((4, 8, 12)))
    bus.writeto_mem(0x18, 0x23, b"\x08")  # HR, 2 g: 1 mg/digit, 12-bit left-justified
    bus.writeto_mem(0x18, 0x20, b"\x57")
    clock.advance_ms(20)
    # Without bit 7 the address stays: three reads of OUT_X_L.
    assert read(bus, 0x18, 0x28, 3) == [0x40, 0x40, 0x40]
    # FIFO off: 0x28..0x2E in order (OUT_Z_H then FIFO_CTRL_REG).
    assert read(bus, 0x18, 0xA8, 7) == [0x40, 0, 0x80, 0, 0xC0, 0, 0]
    bus.writeto_mem(0x18, 0x24, b"\x40")
    bus.writeto_mem(0x18, 0x2E, b"\x80")
    clock.advance_ms(30)  # 3 samples at 100 Hz
    assert read(bus, 0x18, 0x2F, 1)[0] & 0x1F == 3
    # FIFO on: a 12-byte burst rolls over from OUT_Z_H to OUT_X_L and takes two samples out.
    assert read(bus, 0x18, 0xA8, 12) == [0x40, 0, 0x80, 0, 0xC0, 0] * 2
    assert read(bus, 0x18, 0x2F, 1)[0] & 0x1F == 1


def test_lis3dh_fifo_mode_stops_when_full_and_stream_mode_overwrites() -> None:
    for mode, expect_first in ((0x40, 1), (0x80, 9)):
        rows = [(k, 0, 0, 0, 0, 0) for k in range(100)]
        clock = VirtualClock()
        bus = I2C(0)
        model = bus.attach(LIS3DHModel(clock, ArraySource.at_rate(100, rows)))
        bus.writeto_mem(0x18, 0x23, b"\x08")
        bus.writeto_mem(0x18, 0x24, b"\x40")
        bus.writeto_mem(0x18, 0x2E, bytes([mode]))
        bus.writeto_mem(0x18, 0x20, b"\x57")
        clock.advance_ms(400)  # 40 samples into a 32-deep FIFO
        src = read(bus, 0x18, 0x2F, 1)[0]
        assert src & 0x40  # OVRN_FIFO
        assert src & 0x1F == 31
        first = read(bus, 0x18, 0xA8, 6)
        assert (first[0] | first[1] << 8) >> 4 == expect_first  # FIFO keeps sample 1, stream keeps the newest 32
        assert model.dropped == 8  # type: ignore[attr-defined]


def test_mpu_fifo_r_w_does_not_increment_and_an_empty_fifo_repeats_the_last_byte() -> None:
    clock, bus, model = on_bus(MPU6050Model, ConstantSource((0, 0, 1000)))
    bus.writeto_mem(0x68, 0x6B, b"\x01")
    bus.writeto_mem(0x68, 0x1A, b"\x03")
    bus.writeto_mem(0x68, 0x19, b"\x09")
    bus.writeto_mem(0x68, 0x1C, b"\x00")  # 2 g: 16384 LSB/g
    bus.writeto_mem(0x68, 0x6A, b"\x40")
    bus.writeto_mem(0x68, 0x23, b"\x08")
    clock.advance_ms(20)
    assert read(bus, 0x68, 0x72, 2) == [0, 12]  # two 6-byte packets
    assert read(bus, 0x68, 0x74, 14) == [0, 0, 0, 0, 0x40, 0] * 2 + [0, 0]
    assert model.pending_samples() == 0  # type: ignore[attr-defined]
    # Burst from ACCEL_XOUT_H does increment: accel, temperature, gyro.
    assert read(bus, 0x68, 0x3B, 8)[4:6] == [0x40, 0]


def test_mpu6886_watermark_and_keep_oldest_on_full() -> None:
    clock, bus, model = on_bus(MPU6886Model, ConstantSource((0, 0, 1000)))
    for reg, value in ((0x6B, 0x01), (0x1A, 0x43), (0x19, 0x09), (0x37, 0x30), (0x61, 80), (0x6A, 0x40), (0x23, 0x08)):
        bus.writeto_mem(0x68, reg, bytes([value]))
    clock.advance_ms(90)  # 9 packets of 8 bytes: below the 80-byte watermark
    assert model.int_level(1) == 0  # type: ignore[attr-defined]
    clock.advance_ms(10)
    assert model.int_level(1) == 1  # type: ignore[attr-defined]
    assert read(bus, 0x68, 0x39, 1) == [0x40]
    clock.advance_ms(2000)  # 1024 bytes hold 128 packets; FIFO_MODE=1 keeps them and refuses the rest
    assert read(bus, 0x68, 0x3A, 1)[0] & 0x10  # FIFO_OFLOW_INT
    assert read(bus, 0x68, 0x3A, 1)[0] == 0  # INT_RD_CLEAR: that read cleared it
    assert read(bus, 0x68, 0x72, 2) == [4, 0]


def test_adxl345_one_entry_per_data_read_and_the_watermark_bit() -> None:
    clock, bus, model = on_bus(ADXL345Model, ConstantSource((1000, 0, -1000)))
    for reg, value in ((0x31, 0x0B), (0x2C, 0x0A), (0x38, 0x85), (0x2E, 0x03), (0x2D, 0x08)):
        bus.writeto_mem(0x53, reg, bytes([value]))
    clock.advance_ms(40)
    assert read(bus, 0x53, 0x39, 1) == [4]
    assert read(bus, 0x53, 0x30, 1)[0] & 0x02 == 0  # 4 < 5 samples
    clock.advance_ms(10)
    assert read(bus, 0x53, 0x30, 1)[0] & 0x02
    assert read(bus, 0x53, 0x32, 6) == [0x00, 0x01, 0, 0, 0x00, 0xFF]  # +256, 0, -256 (full res)
    assert read(bus, 0x53, 0x39, 1) == [4]
    assert model.int_level(1) == 0  # type: ignore[attr-defined]


def test_lsm6dsox_tags_count_and_parity_and_the_address_rolls_back() -> None:
    clock, bus, _m = on_bus(LSM6DSOXModel, ConstantSource((0, 0, 1000), (0, 0, 0)))
    for reg, value in ((0x12, 0x44), (0x09, 0x44), (0x0A, 0x06), (0x10, 0x40), (0x11, 0x40)):
        bus.writeto_mem(0x6A, reg, bytes([value]))
    clock.advance_us(3 * 1_000_000 // 104)
    status = read(bus, 0x6A, 0x3A, 2)
    assert status[0] == 6  # 3 instants x (gyro + accel) words
    words = read(bus, 0x6A, 0x78, 42)
    tags = words[0::7]
    assert [t >> 3 for t in tags] == [1, 2, 1, 2, 1, 2]
    assert [(t >> 1) & 3 for t in tags] == [0, 0, 1, 1, 2, 2]
    assert all(t.bit_count() % 2 == 0 for t in tags)
    assert words[1 + 7 + 4 : 1 + 7 + 6] == [0x00, 0x40]  # accel z: 16384 at 2 g


def test_lsm6ds3_pattern_says_which_word_comes_next() -> None:
    clock, bus, _m = on_bus(LSM6DS3Model, ConstantSource((0, 0, 1000), (0, 0, 0)))
    for reg, value in ((0x12, 0x44), (0x08, 0x09), (0x0A, 0x26), (0x10, 0x40), (0x11, 0x40)):
        bus.writeto_mem(0x6A, reg, bytes([value]))
    clock.advance_us(2 * 1_000_000 // 104)
    assert read(bus, 0x6A, 0x3A, 4)[0] == 12
    read(bus, 0x6A, 0x3E, 4)  # two words: Gx, Gy
    assert read(bus, 0x6A, 0x3A, 4)[2] == 2  # Gz next


@pytest.mark.parametrize(
    ("chip", "fs_reg", "fs_value", "out_reg", "big_endian", "hi", "lo"),
    [
        ("lis3dh", 0x23, 0x28, 0x28 | 0x80, False, 2047 << 4, -2048 << 4),  # 8 g HR: 12 bits
        ("mpu6050", 0x1C, 0x10, 0x3B, True, 32767, -32768),
        ("adxl345", 0x31, 0x0A, 0x32, False, 2047, -2048),  # 8 g full resolution: 12 bits
        ("lsm6dsox", 0x10, 0x4C, 0x28, False, 32767, -32768),
    ],
)
def test_values_beyond_full_scale_clip(  # noqa: PLR0917 - one parameter per table column
    chip: str, fs_reg: int, fs_value: int, out_reg: int, big_endian: bool, hi: int, lo: int
) -> None:
    clock = VirtualClock()
    bus = I2C(0)
    model = bus.attach(model_for(chip, clock, ConstantSource((20000, -20000, 0))))
    bus.writeto_mem(model.address, fs_reg, bytes([fs_value]))
    start = {"lis3dh": (0x20, 0x57), "mpu6050": (0x6B, 0x01), "adxl345": (0x2D, 0x08), "lsm6dsox": (0x10, 0x4C)}
    reg, value = start[chip]
    bus.writeto_mem(model.address, reg, bytes([value]))
    clock.advance_ms(50)
    raw = bus.readfrom_mem(model.address, out_reg, 4)
    order = "big" if big_endian else "little"
    assert int.from_bytes(raw[0:2], order, signed=True) == hi
    assert int.from_bytes(raw[2:4], order, signed=True) == lo


def test_bus_faults_hit_the_chosen_transfers_and_nack_is_enodev() -> None:
    _clock, bus, _m = on_bus(LIS3DHModel)
    bus.fail_transfers(nth=2, count=2)
    assert read(bus, 0x18, 0x0F, 1) == [0x33]
    for _ in range(2):
        with pytest.raises(OSError, match=str(EIO)) as info:
            read(bus, 0x18, 0x0F, 1)
        assert info.value.args[0] == EIO
    assert read(bus, 0x18, 0x0F, 1) == [0x33]
    assert bus.scan() == [0x18]
    bus.nack(0x18)
    assert bus.scan() == []
    with pytest.raises(OSError, match=str(ENODEV)) as info:
        read(bus, 0x18, 0x0F, 1)
    assert info.value.args[0] == ENODEV
    with pytest.raises(OSError, match=str(ENODEV)):
        read(bus, 0x19, 0x0F, 1)
    assert (bus.transfers, bus.failed) == (6, 4)


def test_sources_hold_values_and_the_clock_never_runs_backwards() -> None:
    src = ArraySource([0, 1000, 5000], [(1, 0, 0, 0, 0, 0), (2, 0, 0, 0, 0, 0), (3, 0, 0, 0, 0, 0)])
    seen = []
    for t in (0, 999, 1000, 4999, 5000, 9999, 10):
        src.sample(t)
        seen.append(src.values[0])
    assert seen == [1, 1, 2, 2, 3, 3, 1]
    with pytest.raises(ValueError, match=r"each row holds ax, ay, az"):
        ArraySource([0], [(1, 2, 3)])
    clock = VirtualClock(5)
    assert clock.advance_ms(2) == 2005
    with pytest.raises(ValueError, match="backwards"):
        clock.advance_us(-1)


@pytest.mark.micropython
def test_models_behave_the_same_under_micropython(upy: MicroPython) -> None:
    code = """
from anklet_host.sim.chips import model_for, ArraySource
from anklet_host.sim.clock import VirtualClock
from anklet_host.sim.i2c import I2C
rows = [(37 * k - 900, 11 * k, 1000 - 5 * k, 1000 * k, -700 * k, 300 * k) for k in range(64)]
setup = {
    "lis3dh": ((0x23, 0x88), (0x24, 0x40), (0x2E, 0x8A), (0x20, 0x57)),
    "mpu6886": ((0x6B, 0x01), (0x1A, 0x43), (0x19, 0x09), (0x6A, 0x40), (0x23, 0x18)),
    "adxl345": ((0x31, 0x0B), (0x38, 0x8A), (0x2D, 0x08)),
    "lsm6dsox": ((0x12, 0x44), (0x09, 0x44), (0x0A, 0x06), (0x10, 0x4C), (0x11, 0x44)),
}
for chip in ("lis3dh", "mpu6886", "adxl345", "lsm6dsox"):
    clock = VirtualClock()
    bus = I2C(0)
    m = bus.attach(model_for(chip, clock, ArraySource.at_rate(100, rows)))
    for reg, value in setup[chip]:
        bus.writeto_mem(m.address, reg, bytes([value]))
    clock.advance_ms(123)
    regs = list(range(0x28, 0x30)) if chip == "lis3dh" else list(range(0x30, 0x3C)) + list(range(0x72, 0x7F))
    print(chip, m.produced, m.pending_samples(), m.int_level(1), [bus.readfrom_mem(m.address, r, 1)[0] for r in regs])
"""
    cpython, micropython = run_both(upy, code)
    assert micropython == cpython
    assert len(cpython.splitlines()) == 4
