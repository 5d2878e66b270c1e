"""The sampling loop's body: drain the sensor FIFO in one burst and feed every sample to the step detector.

The sensor's own data rate and FIFO set the sample timing (pin interrupts on the ESP32 are soft and can be late by
milliseconds; a batch read absorbs that). `drain()` allocates nothing: the driver decodes into a preallocated
``array('h')`` of interleaved samples and the detector works in integers, which `tests/test_sampler.py` proves under
MicroPython with ``micropython.heap_lock()``.
"""


class Sampler:
    """Moves samples from a FIFO driver into a detector and hands out the detector's new contact events.

    ``sensor`` is any driver from ``anklet.drivers`` (``read_fifo() -> n``, ``samples``, ``has_gyro``);
    ``detector`` is an ``anklet.detector.StepDetector``.
    """

    def __init__(self, sensor, detector):
        self.sensor = sensor
        self.detector = detector
        self.samples_total = 0
        self.batches = 0
        self._events_seen = detector.event_count

    def drain(self):
        """Read one FIFO batch and feed it; returns how many samples were processed."""
        n = self.sensor.read_fifo()
        if n <= 0:
            return 0
        buf = self.sensor.samples
        # Call det.feed(...) in place: storing the bound method would allocate one per batch.
        det = self.detector
        i = 0
        if self.sensor.has_gyro:
            end = n * 6
            while i < end:
                det.feed(buf[i], buf[i + 1], buf[i + 2], buf[i + 3], buf[i + 4], buf[i + 5])
                i += 6
        else:
            end = n * 3
            while i < end:
                det.feed(buf[i], buf[i + 1], buf[i + 2], 0, 0, 0)
                i += 3
        self.samples_total += n
        self.batches += 1
        return n

    def pending_events(self):
        """How many contact events the detector has finalised since the last `take_event`."""
        return self.detector.event_count - self._events_seen

    def take_event(self):
        """Ring slot of the oldest unconsumed event (read ``ev_index/ev_direction/ev_strike`` there), or -1.

        A consumer slower than the ring loses the oldest events; they stay counted in the detector's counters.
        """
        det = self.detector
        ring = det.EVENT_RING
        if det.event_count - self._events_seen > ring:
            self._events_seen = det.event_count - ring
        if self._events_seen >= det.event_count:
            return -1
        slot = self._events_seen % ring
        self._events_seen += 1
        return slot
