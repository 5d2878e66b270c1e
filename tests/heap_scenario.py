"""A walk and a sync through the firmware's portable modules: the MicroPython program of tests/test_fixed_heap.py.

MicroPython code, compiled to ``.mpy`` and run by the unix port (fixed heap, real garbage collector) and by the
WebAssembly port (32-bit words, as on the ESP32); not meant for CPython. ``main(...)`` is a coroutine: the WebAssembly
port collects garbage only once control is back in JavaScript, so every checkpoint awaits ``asyncio.sleep(0)``
before ``gc.collect()`` and reads ``gc.mem_alloc()`` (the live heap). Both ports run exactly the same code.

What the board would hold, built as ``anklet.app.main`` and ``anklet.ble.peripheral`` build it: the detector (shoe,
no gyro: the largest network), the day's activity writing to the flash log (the firmware's default size), the notify
queue and the sync server. It then

1. walks: int16 (x, y, z) chip counts read from ``samples_path`` in FIFO-sized chunks into one preallocated array,
   fed to the detector; every contact goes to the activity as the application hands it over, ``tick`` once a
   second;
2. fills the log past its bound (older segments evicted): hour after hour of fifty walking minutes, each replaying
   the walk's first contacts, and ten idle ones (the session closes);
3. reopens the log as after a reset (every segment scanned);
4. syncs the whole log into a fake BLE stack (status, device time, every record at a 244-byte payload, the stack
   refusing notifications now and then as NimBLE does when its buffers are full), then acknowledges it.

It prints a deterministic summary, one ``<what> <key> <value> <key> <value>...`` line at a time: what was detected,
logged and synced, the live heap of each phase (``live <phase> <bytes>``: its largest reading at that phase's
checkpoints) and the peak over all checkpoints (``peak <bytes> at <phase>``).
"""

import asyncio
import gc
import struct
from array import array
from binascii import crc32

FIRMWARE_MODULES = (
    "anklet.packets",
    "anklet.detector",
    "anklet.activity",
    "anklet.flashlog",
    "anklet.ble.notifyq",
    "anklet.ble.sync",
)
CHUNK = 32  # samples per read: one FIFO burst
REPLAY_MAX = 3  # contacts of the walk replayed in every walking minute of the fill (the time goes there)
MINUTE_MS = 60000
HOUR_WALK_MIN = 50  # walking minutes per hour of the fill; the other ten are idle
PAYLOAD = 244  # anklet.ble.peripheral: DEFAULT_MTU 247 - 3
QUEUE_SLOTS = 8  # anklet.ble.peripheral.QUEUE_SLOTS
SYNC_HANDLE = 42
STACK_BUFFERS = 5  # notifications the fake stack takes per drain before it refuses (OSError, as NimBLE's ENOMEM)
CHECK_EVERY_MIN = 600  # minutes of fill between checkpoints
CHECK_EVERY_PACKETS = 100  # records packets between checkpoints during the sync


class Meter:
    """Live heap at checkpoints: the largest reading per phase and over the whole run."""

    def __init__(self):
        self.phase = 0
        self.peak = 0
        self.peak_phase = ""

    async def check(self, phase):
        await asyncio.sleep(0)  # the WebAssembly port collects only with control back in JavaScript
        gc.collect()
        live = gc.mem_alloc()
        self.phase = max(self.phase, live)
        if live > self.peak:
            self.peak = live
            self.peak_phase = phase

    async def end(self, phase):
        await self.check(phase)
        print("live", phase, self.phase)
        self.phase = 0


class Stack:
    """The radio stack's ``gatts_notify``: takes ``STACK_BUFFERS`` notifications per drain, then refuses; checks
    and counts the records packets (consecutive sequence numbers, CRC of every record body)."""

    def __init__(self, records_header):
        self.records_header = records_header
        self.room = 0
        self.refused = 0
        self.packets = 0
        self.other = 0
        self.records = 0
        self.first = 0
        self.next = 0
        self.crc = 0
        self.done = False
        self.errors = 0

    def gatts_notify(self, _conn, _handle, data):
        if self.room == 0:
            self.refused += 1
            raise OSError(12)
        self.room -= 1
        if data[0] != self.records_header:
            self.other += 1
            return
        self.packets += 1
        seq = struct.unpack_from("<I", data, 1)[0]
        count = (len(data) - 5) // 15
        if count == 0:
            self.done = True
            if seq != self.next:
                self.errors += 1
            return
        if self.records == 0:
            self.first = seq
        elif seq != self.next:
            self.errors += 1
        self.records += count
        self.next = seq + count
        self.crc = crc32(data[5:], self.crc)


class Replay:
    """The walk's first contacts (uptime ms, backward, strike), replayed in every walking minute of the fill."""

    def __init__(self):
        self.t_ms = array("i", bytes(4 * REPLAY_MAX))
        self.backward = array("b", bytes(REPLAY_MAX))
        self.strike = array("b", bytes(REPLAY_MAX))
        self.n = 0

    def add(self, t_ms, backward, strike):
        n = self.n
        if n < REPLAY_MAX:
            self.t_ms[n] = t_ms
            self.backward[n] = backward
            self.strike[n] = strike
            self.n = n + 1


class Anklet:
    """What the board holds while it walks and syncs, built as ``anklet.app.main`` and ``anklet.ble.peripheral``
    build it."""

    def __init__(self, meter, log_dir, rate_hz):
        from anklet import packets
        from anklet.activity import Activity
        from anklet.ble.notifyq import NotifyQueue
        from anklet.detector import PLACEMENT_SHOE, StepDetector
        from anklet.flashlog import FlashLog

        self.meter = meter
        self.packets = packets
        self.log_dir = log_dir
        self.rate_hz = rate_hz
        self.det = StepDetector(rate_hz, 2048, 0.0, PLACEMENT_SHOE, (1, 2, 3))
        self.log = FlashLog(log_dir)
        self.activity = Activity(self.log, 1)
        self.queue = NotifyQueue(QUEUE_SLOTS, PAYLOAD)
        self.server = self._sync_server()
        self.replay = Replay()

    def _sync_server(self):
        from anklet.ble.sync import SyncServer

        return SyncServer(self.log, self.queue, SYNC_HANDLE, lambda: (1, 0, 0))

    def hand_over(self, made):
        """The ``made`` newest events to the activity, as ``anklet.app.main`` hands them over."""
        det = self.det
        ring = det.EVENT_RING
        while made:
            slot = (det.event_count - made) % ring
            t_ms = det.ev_index[slot] * 1000 // self.rate_hz
            backward = det.ev_direction[slot]  # DIR_FORWARD 0, DIR_BACKWARD 1
            strike = det.ev_strike[slot]
            self.activity.contact(t_ms, backward, strike)
            self.replay.add(t_ms, backward, strike)
            made -= 1

    async def walk(self, samples_path):
        """Feed the recorded samples; hand contacts to the activity, ``tick`` once a second. Returns when the walk's
        minute and session were closed (uptime ms) and how many samples it had."""
        det = self.det
        rate_hz = self.rate_hz
        buf = array("h", bytes(6 * CHUNK))
        n = 0
        next_tick = rate_hz
        check_every = 20 * rate_hz
        next_check = check_every
        with open(samples_path, "rb") as f:
            while True:
                got = f.readinto(buf) // 6
                if got == 0:
                    break
                k = 0
                while k < got:
                    made = det.feed(buf[3 * k], buf[3 * k + 1], buf[3 * k + 2])
                    n += 1
                    if made:
                        self.hand_over(made)
                    if n == next_tick:
                        self.activity.tick(n * 1000 // rate_hz)
                        next_tick += rate_hz
                    k += 1
                if n >= next_check:
                    next_check += check_every
                    await self.meter.check("walk")
        # The recording ended: the last contact becomes final now (a board streaming on finalizes it once its stance
        # has lasted a second).
        self.hand_over(det.finish())
        end_ms = n * 1000 // rate_hz + 10 * MINUTE_MS
        self.activity.tick(end_ms)  # the last minute and the session close
        return end_ms, n

    async def fill(self, start_ms, target_seq):
        """Hours of fifty walking minutes (the walk's first contacts replayed in each) and ten idle ones, until the
        log has handed out sequence number ``target_seq``; then the activity is flushed. Returns the minutes walked."""
        activity = self.activity
        replay = self.replay
        minute = start_ms // MINUTE_MS + 1
        t0 = replay.t_ms[0]
        walked = 0
        k = 0
        while self.log.next_seq <= target_seq:
            base = minute * MINUTE_MS - t0
            if k % 60 < HOUR_WALK_MIN:
                j = 0
                while j < replay.n:
                    activity.contact(base + replay.t_ms[j], replay.backward[j], replay.strike[j])
                    j += 1
                walked += 1
            activity.tick(base + 30000)
            minute += 1
            k += 1
            if k % CHECK_EVERY_MIN == 0:
                await self.meter.check("fill")
        activity.flush()
        return walked

    def reset(self):
        """A reset: the log is opened again from flash (every segment scanned), and the sync server with it."""
        from anklet.flashlog import FlashLog

        self.log.close()
        self.log = None
        self.server = None
        self.log = FlashLog(self.log_dir)
        self.activity.sink = self.log
        self.server = self._sync_server()

    def command(self, op, argument):
        """The host writes a command to the sync control point."""
        cmd = bytearray(self.packets.CONTROL_SIZE)
        self.packets.pack_control_into(cmd, op, argument)
        self.server.command(cmd, PAYLOAD)

    async def sync(self, stack):
        """The host's full sync: status, device time, every record from the oldest, then the acknowledgement."""
        packets = self.packets
        server = self.server
        queue = self.queue
        self.command(packets.OP_STATUS, 0)
        self.command(packets.OP_TIME, 0)
        self.command(packets.OP_REQUEST, 0)
        seen = 0
        while server.busy() or len(queue):
            server.pump()
            stack.room = STACK_BUFFERS
            queue.drain(stack, 0)
            if stack.packets - seen >= CHECK_EVERY_PACKETS:
                seen = stack.packets
                await self.meter.check("sync")
        await self.meter.end("sync")
        self.command(packets.OP_ACK, stack.next - 1)
        while server.busy():  # the log takes an acknowledgement a segment per pump (anklet.ble.sync)
            server.pump()


async def main(samples_path, log_dir, rate_hz):
    meter = Meter()
    await meter.end("start")
    for name in FIRMWARE_MODULES:
        __import__(name)
    await meter.end("imported")
    board = Anklet(meter, log_dir, rate_hz)
    await meter.end("built")

    end_ms, samples = await board.walk(samples_path)
    await meter.end("walk")
    det = board.det
    log = board.log
    activity = board.activity
    print("walk samples", samples, "contacts", det.contacts, "backward", det.backward, "toe_first", det.toe_first)
    print("walk records", log.newest_seq(), "today_contacts", activity.contacts, "today_backward", activity.backward)

    # A full log: every segment its bound allows and two more, so the oldest two were evicted unacknowledged (less
    # the two records the flush may add).
    per_segment = log.segment_bytes // 24  # anklet.flashlog.FRAME_SIZE
    capacity = log.max_segments * per_segment
    walked = await board.fill(end_ms, capacity + 2 * per_segment - 2)
    await meter.end("fill")
    print("fill minutes", walked, "records", log.newest_seq(), "evicted", log.evicted, "capacity", capacity)

    board.reset()
    log = None
    await meter.end("reopened")
    print("log oldest", board.log.oldest_seq(), "newest", board.log.newest_seq(), "evicted", board.log.evicted)

    packets = board.packets
    stack = Stack(packets.header(packets.KIND_RECORDS))
    await board.sync(stack)
    await meter.end("acked")
    print("sync records", stack.records, "first", stack.first, "next", stack.next, "crc", hex(stack.crc))
    print("sync packets", stack.packets, "other", stack.other, "refused", stack.refused, "errors", stack.errors)
    print("sync sent", board.server.records_sent, "acked", board.log.acked_seq, "done", stack.done)
    print("peak", meter.peak, "at", meter.peak_phase)
