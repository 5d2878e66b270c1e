"""The device side of history sync: control-point commands in, records/status/device-time packets out.

The host writes ``packets.Control`` commands to the sync control point; answers go out as notifications on the sync
data characteristic, packed in place into the notify queue:

- ``OP_STATUS``: one ``Status`` packet (oldest and newest stored sequence numbers, acknowledged, evicted count).
- ``OP_REQUEST n``: ``Records`` packets from sequence ``max(n, oldest)`` on, as many records per packet as the
  negotiated MTU allows up to 8 (one packet's flash reads stay a short step), then an empty ``Records`` packet whose
  ``first_seq`` is the next sequence number to come (the end marker). A new request replaces one in progress (the
  host asks again after a reconnection).
- ``OP_ACK n``: the host has stored every record up to ``n``; the log may free them (only now: records leave the
  device only after the host has them), a flash segment's worth of records per pump: acknowledging a whole synced log
  at once deleted up to 64 segment files in one step (a flash write each on the chip, 6 ms of the port's time here).
- ``OP_SET_CLOCK t``: wall time (Unix seconds), handed to the application. ``OP_TIME``: one ``DeviceTime`` packet.

``command()`` is called from the BLE IRQ handler and only records what was asked; ``pump()`` (from the BLE task) does
the flash reads (one records packet per call, so that other tasks run in between) and the acknowledgement write.
Malformed commands are counted and ignored.

The log is an ``anklet.flashlog.FlashLog``: records are read straight from it into the queue slot (``read_into``
skips records lost to eviction or damage; a gap ends the packet, since a packet's records are consecutive).
"""

from anklet import packets
from anklet.compat import const
from anklet.flashlog import DEFAULT_SEGMENT_BYTES, FRAME_SIZE

_RECORDS_PER_PUMP = const(8)
# Records acknowledged into the log per pump: one segment's worth, so that one step frees at most a segment or two.
ACK_RECORDS_PER_PUMP = DEFAULT_SEGMENT_BYTES // FRAME_SIZE


def records_per_packet(payload_limit):
    """Records in one ``Records`` packet at this payload limit: what fits, at most ``_RECORDS_PER_PUMP``."""
    n = packets.records_capacity(payload_limit)
    return n if n < _RECORDS_PER_PUMP else _RECORDS_PER_PUMP


class SyncServer:
    def __init__(self, log, queue, value_handle, device_time=None, ack_step=ACK_RECORDS_PER_PUMP):
        self._log = log
        self._queue = queue
        self._handle = value_handle
        self._device_time = device_time  # () -> (boot_id, uptime_s, wall_s), for OP_TIME
        self._ack_step = ack_step
        self.bad_commands = 0
        self.records_sent = 0
        # Commands whose effect must outlive the link: an acknowledgement or a clock the host sent just before the
        # link dropped is still applied (the host counts it done), so `reset` keeps them.
        self._ack_to = -1
        self._clock = 0
        self.reset()

    def reset(self):
        """Forget a transfer in progress (the link dropped); acknowledged records stay acknowledged."""
        self._sending = False
        self._next = 0
        self._limit = packets.DEFAULT_PAYLOAD
        self._want_status = False
        self._want_time = False

    def busy(self):
        return self._sending or self._want_status or self._want_time or self._ack_to >= 0

    def command(self, data, payload_limit):
        try:
            op, argument = packets.unpack_control(data)
        except packets.PacketError:
            self.bad_commands += 1
            return
        if op == packets.OP_STATUS:
            self._want_status = True
        elif op == packets.OP_REQUEST:
            self._next = argument
            self._limit = payload_limit
            self._sending = True
        elif op == packets.OP_ACK:
            if argument > self._ack_to:
                self._ack_to = argument
        elif op == packets.OP_SET_CLOCK:
            self._clock = argument
        elif op == packets.OP_TIME:
            self._want_time = True

    def take_clock(self):
        """Wall time the host set through the control point (Unix seconds), once; 0 if none."""
        clock = self._clock
        self._clock = 0
        return clock

    def apply_ack(self):
        """Record in the flash log the acknowledgement received (connected or not: the host has stored them), up to
        ``ack_step`` records past what it holds acknowledged (its oldest record, if later) per call; `busy` until all
        of it is (the BLE task calls again)."""
        if self._ack_to < 0:
            return
        log = self._log
        base = log.acked_seq
        oldest = log.oldest_seq() - 1
        if oldest > base:
            base = oldest  # evicted records need no acknowledging: start from the oldest stored
        to = base + self._ack_step
        if to >= self._ack_to or to >= log.newest_seq():
            to = self._ack_to
            self._ack_to = -1
        log.ack(to)

    def pump(self):
        """Queue what was asked, as far as the notify queue has room."""
        log = self._log
        q = self._queue
        self.apply_ack()
        if self._want_status:
            buf = q.reserve()
            if buf is None:
                return
            n = packets.pack_status_into(buf, log.oldest_seq(), log.newest_seq(), log.acked_seq, log.evicted)
            q.commit(self._handle, n)
            self._want_status = False
        if self._want_time:
            buf = q.reserve()
            if buf is None:
                return
            boot_id, uptime_s, wall_s = self._device_time() if self._device_time is not None else (0, 0, 0)
            q.commit(self._handle, packets.pack_device_time_into(buf, boot_id, uptime_s, wall_s))
            self._want_time = False
        # One records packet per call, of at most _RECORDS_PER_PUMP records: reading a record from flash takes some
        # milliseconds on the chip, and the sampler must get its turn before the sensor's FIFO fills (`make budget`:
        # FIFO headroom).
        per_packet = records_per_packet(self._limit)
        if self._sending:
            buf = q.reserve()
            if buf is None:
                return
            end = log.next_seq
            at = packets.RECORDS_HEAD_SIZE
            first = 0
            count = 0
            while count < per_packet and self._next < end:
                seq = log.read_into(self._next, buf, at)
                if seq == 0:
                    self._next = end
                    break
                if count and seq != first + count:
                    self._next = seq  # a gap (evicted or damaged records): the next packet starts after it
                    break
                if count == 0:
                    first = seq
                at += packets.RECORD_SIZE
                count += 1
                self._next = seq + 1
            if count == 0:
                first = end  # the end marker says which sequence number comes next
                self._sending = False
            packets.pack_records_head_into(buf, first)
            q.commit(self._handle, at)
            self.records_sent += count
