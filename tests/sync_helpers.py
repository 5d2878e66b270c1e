"""An anklet in this process: the firmware's flash log, sync server and notify queue running under CPython, and a
``SyncTransport`` that talks to it and can drop the link at any chosen step."""

from __future__ import annotations

from anklet.ble.notifyq import NotifyQueue
from anklet.ble.sync import SyncServer
from anklet.devclock import DeviceClock
from anklet.flashlog import FlashLog
from anklet_host import packets
from tests.flashlog_helpers import minute_body

_SYNC_HANDLE = 42


class FakeTicks:
    """A millisecond tick counter the test moves by hand."""

    def __init__(self, ms: int = 0) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


OPEN_ANKLETS: list[InProcessAnklet] = []


class InProcessAnklet:
    """The device side: real firmware objects, with the radio replaced by a list of sent notifications."""

    def __init__(self, folder: str, *, boot_id: int = 1, uptime_ms: int = 0, max_bytes: int = 262144) -> None:
        self.ticks = FakeTicks(uptime_ms)
        self.clock = DeviceClock(boot_id, ticks=self.ticks, diff=lambda a, b: a - b)
        self.log = FlashLog(folder, max_bytes=max_bytes, segment_bytes=4096)
        self.queue = NotifyQueue(8, packets.MAX_PAYLOAD)
        self.server = SyncServer(self.log, self.queue, _SYNC_HANDLE, device_time=self.clock.device_time)
        self.sent: list[bytes] = []
        self.notifications = 0
        OPEN_ANKLETS.append(self)

    def close(self) -> None:
        self.log.close()

    def add_minutes(self, n: int, start: int | None = None) -> None:
        first = self.log.next_seq if start is None else start
        for i in range(first, first + n):
            self.log.append(minute_body(i))

    # The slice of bluetooth.BLE that NotifyQueue.drain uses.
    def gatts_notify(self, conn_handle: int, value_handle: int, data: memoryview) -> None:  # noqa: ARG002
        assert value_handle == _SYNC_HANDLE
        self.sent.append(bytes(data))
        self.notifications += 1

    def run(self) -> None:
        """What the device's BLE task does after a write: pump the server and drain the queue until idle."""
        while True:
            self.server.pump()
            wall_s = self.server.take_clock()
            if wall_s:
                self.clock.set_wall(wall_s)
            if not self.queue.drain(self, 0) and not self.server.busy():
                return

    def disconnect(self) -> None:
        self.log.close()
        self.queue.clear()
        self.server.reset()
        self.sent.clear()


class LinkDroppedError(ConnectionError):
    pass


class InProcessTransport:
    """A ``SyncTransport`` to an ``InProcessAnklet``. ``drop_at``: the link drops at that step (each write and each
    receive is one step), before the step happens."""

    def __init__(self, anklet: InProcessAnklet, payload_limit: int = packets.DEFAULT_PAYLOAD, drop_at: int = -1):
        self.anklet = anklet
        self.payload_limit = payload_limit
        self.drop_at = drop_at
        self.steps = 0
        self.closed = False
        self.written: list[bytes] = []

    def _step(self) -> None:
        if self.closed:
            raise LinkDroppedError("link already dropped")
        if self.steps == self.drop_at:
            self.closed = True
            self.anklet.disconnect()
            raise LinkDroppedError(f"link dropped at step {self.steps}")
        self.steps += 1

    async def write_control(self, data: bytes) -> None:
        self._step()
        self.written.append(data)
        self.anklet.server.command(data, self.payload_limit)
        self.anklet.run()

    async def receive(self, timeout_s: float) -> bytes:  # noqa: ARG002 - never waits
        self._step()
        self.anklet.run()
        if not self.anklet.sent:
            raise TimeoutError("no notification")
        return self.anklet.sent.pop(0)
