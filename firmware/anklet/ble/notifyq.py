"""A bounded queue of notifications in preallocated buffers, drained into ``BLE.gatts_notify`` as the stack allows.

The radio stack can refuse a notification (NimBLE raises ``OSError(ENOMEM)`` when its buffers are full); the queue
keeps the packet and retries on the next drain, in order. Packets are packed in place into a reserved slot
(``reserve`` then ``commit``) or copied in (``put``): queueing allocates nothing, so the sampler's path can feed it.

``gatts_notify`` needs a buffer of the packet's exact length. Draining (in the BLE task, not the sampler's path) keeps
a memoryview per (slot, length) for the first ``VIEWS_PER_SLOT`` lengths a slot sees: the fixed-size packets (live
counters, RSC, full batches of raw samples or records) then go out without allocating. A rarer length (a step batch
flushed part-full) gets a short-lived view, so memory stays bounded. When the queue is full, ``reserve`` returns None
and the caller decides (live data: drop and count it; records: send them later).
"""

from array import array

from anklet.compat import const

VIEWS_PER_SLOT = const(4)


class NotifyQueue:
    def __init__(self, slots, slot_bytes):
        self.slot_bytes = slot_bytes
        self._bufs = [bytearray(slot_bytes) for _ in range(slots)]
        self._views = [{} for _ in range(slots)]
        self._lengths = array("H", bytes(2 * slots))
        self._handles = array("H", bytes(2 * slots))
        self._slots = slots
        self._head = 0
        self._count = 0
        self.sent = 0
        self.sent_bytes = 0
        self.dropped = 0

    def __len__(self):
        return self._count

    def free(self):
        return self._slots - self._count

    def reserve(self):
        """The next free slot's buffer to pack a packet into (then ``commit``), or None when the queue is full."""
        if self._count == self._slots:
            return None
        return self._bufs[(self._head + self._count) % self._slots]

    def commit(self, value_handle, length):
        """Queue the packet just packed into the reserved slot."""
        tail = (self._head + self._count) % self._slots
        self._handles[tail] = value_handle
        self._lengths[tail] = length
        self._count += 1

    def put(self, value_handle, data, length):
        """Copy ``data[:length]`` into a slot; False (and counted as dropped) when the queue is full."""
        buf = self.reserve()
        if buf is None:
            self.dropped += 1
            return False
        for i in range(length):
            buf[i] = data[i]
        self.commit(value_handle, length)
        return True

    def clear(self):
        self._head = 0
        self._count = 0

    def _view(self, slot, length):
        views = self._views[slot]
        view = views.get(length)
        if view is None:
            view = memoryview(self._bufs[slot])[:length]
            if len(views) < VIEWS_PER_SLOT:
                views[length] = view
        return view

    def drain(self, ble, conn_handle):
        """Send queued packets in order until empty or the stack refuses one; returns how many went out."""
        sent = 0
        while self._count:
            slot = self._head
            length = self._lengths[slot]
            try:
                ble.gatts_notify(conn_handle, self._handles[slot], self._view(slot, length))
            except OSError:
                break  # stack buffers full: keep the packet, retry on the next drain
            self._head = (slot + 1) % self._slots
            self._count -= 1
            self.sent_bytes += length
            sent += 1
        self.sent += sent
        return sent
