"""The firmware's BLE layer under the real MicroPython: the notify path allocates nothing once warm, and the GATT
server registers, advertises and answers with a stand-in ``bluetooth`` module (the VM has no radio)."""

from __future__ import annotations

import pytest

from anklet_host.upy import MicroPython

# A minimal `bluetooth` for the VM: records what the firmware does, allocates nothing in gatts_notify.
FAKE_BLUETOOTH = """
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010


class _Uuid(bytes):
    pass


def UUID(value):
    return _Uuid(str(value).encode())


class BLE:
    def __init__(self):
        self.values = {}
        self.handler = None
        self.notified = 0
        self.notified_bytes = 0
        self.adv = None
        self.next_handle = 1

    def active(self, *a):
        return True

    def config(self, **kw):
        self.cfg = kw

    def irq(self, handler):
        self.handler = handler

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        self.adv = (interval_us, adv_data, resp_data)

    def gatts_register_services(self, defs):
        out = []
        for _uuid, chars in defs:
            handles = []
            for _c in chars:
                self.next_handle += 2
                handles.append(self.next_handle)
                self.values[self.next_handle] = b""
            out.append(tuple(handles))
        return tuple(out)

    def gatts_write(self, handle, data, send_update=False):
        self.values[handle] = bytes(data)

    def gatts_read(self, handle):
        return self.values[handle]

    def gatts_set_buffer(self, handle, n, append=False):
        pass

    def gatts_notify(self, conn, handle, data=None):
        self.notified += 1
        self.notified_bytes += len(data)

    def fire(self, event, data):
        self.handler(event, data)
"""

SETUP = """
import bluetooth, micropython
from anklet.ble.peripheral import Peripheral

class Log:
    next_seq = 1
    acked_seq = 0
    evicted = 0
    def oldest_seq(self): return 1
    def newest_seq(self): return 0
    def read_into(self, seq, buf, offset): return 0
    def ack(self, seq): pass

ble = bluetooth.BLE()
p = Peripheral(ble, "anklet", ("a", "b", "c", "d", "e"), Log(), (52, 0, 10, True))
ble.fire(1, (5, 0, memoryview(b"abcdef")))
ble.fire(21, (5, MTU))
ble.values[p._h_raw] = b"\\x01"
ble.fire(3, (5, p._h_raw))

def walk(n, t):
    i = 0
    while i < n:
        p.send_live(i, i, i, i, 100, i, 1)
        p.add_step(t, i & 1, 2)
        p.add_raw(i, -i, 1000, 976)
        p.service()
        t += 600
        i += 1
    return t


def produce_locked(n, t):
    # What the sampler and detector call, under a locked heap; the BLE task's service() runs unlocked in between.
    i = 0
    failures = 0
    while i < n:
        micropython.heap_lock()
        try:
            p.add_raw(i, -i, 1000, 976)
            p.add_raw(i, i, 1000, 976)
            p.add_step(t, i & 1, 2)
            p.send_live(i, i, i, i, 100, i, 1)
        except MemoryError:
            failures += 1
        finally:
            micropython.heap_unlock()
        p.service()
        t += 600
        i += 1
    return failures
"""


@pytest.mark.micropython
@pytest.mark.parametrize("mtu", [23, 247])
def test_what_the_sampler_calls_allocates_nothing_under_micropython(upy: MicroPython, mtu: int) -> None:
    code = (
        SETUP.replace("MTU", str(mtu))
        + """
before = ble.notified
print(produce_locked(1500, 0), ble.notified - before > 1500, p.payload_limit)
"""
    )
    out = upy.run(code, files={"/lib/bluetooth.py": FAKE_BLUETOOTH})
    assert out.split() == ["0", "True", str(mtu - 3)]


@pytest.mark.micropython
def test_the_whole_notify_path_allocates_nothing_once_warm_at_mtu_23(upy: MicroPython) -> None:
    # At MTU 23 every packet kind has one length, so after a warm-up draining needs no new memoryview either.
    code = (
        SETUP.replace("MTU", "23")
        + """
t = walk(300, 0)
before = ble.notified


def locked(n, t):
    # Inside a function: module-level stores under a locked heap may allocate (globals dict).
    micropython.heap_lock()
    try:
        walk(n, t)
        result = "ok"
    except MemoryError:
        result = "allocated"
    finally:
        micropython.heap_unlock()
    return result


result = locked(2000, t)
print(result, ble.notified - before > 2000, p.live_dropped)
"""
    )
    out = upy.run(code, files={"/lib/bluetooth.py": FAKE_BLUETOOTH})
    assert out.split() == ["ok", "True", "0"]


@pytest.mark.micropython
def test_the_gatt_server_registers_and_advertises_under_micropython(upy: MicroPython) -> None:
    code = (
        SETUP.replace("MTU", "23")
        + """
print(ble.cfg["gap_name"], ble.cfg["mtu"])
print(ble.adv[0], len(ble.adv[1]) <= 31, len(ble.adv[2]) <= 31)
print(ble.gatts_read(p._h_settings).hex(), ble.gatts_read(p._h_rsc_feature).hex())
ble.fire(2, (5, 0, memoryview(b"abcdef")))
print(p.connected, p.raw_enabled, ble.adv is not None)
"""
    )
    out = upy.run(code, files={"/lib/bluetooth.py": FAKE_BLUETOOTH})
    assert out.splitlines() == ["anklet 247", "250000 True True", "163400000a0001 0400", "False False True"]
