"""The sampling loop's body: drain the sensor FIFO in one burst and feed every sample to the step detector.

The sensor's own data rate and FIFO set the sample timing (pin interrupts on the ESP32 are soft and can be late by
milliseconds; a batch read absorbs that). `drain()` allocates nothing: the driver decodes into a preallocated
``array('h')`` of interleaved samples and the detector works in integers, which `tests/test_sampler.py` proves under
MicroPython with ``micropython.heap_lock()``. While the laptop records (`anklet record`), every sample also goes, in
the body frame, to the BLE raw stream (`stream_raw`), allocation-free too.
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
        self._raw = None

    def stream_raw(self, sink, axes, accel_lsb_per_g):
        """Also hand every sample to ``sink.add_raw(x, y, z, scale_ug)`` (body frame, counts) while
        ``sink.raw_enabled``; ``axes`` maps body x, y, z to signed 1-based chip axes (the board file's mounting)."""
        self._raw_ix = abs(axes[0]) - 1
        self._raw_iy = abs(axes[1]) - 1
        self._raw_iz = abs(axes[2]) - 1
        self._raw_nx = axes[0] < 0
        self._raw_ny = axes[1] < 0
        self._raw_nz = axes[2] < 0
        self._raw_scale_ug = int(1000000 / accel_lsb_per_g + 0.5)
        self._raw = sink

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
        raw = self._raw
        if raw is not None and raw.raw_enabled:
            self._send_raw(raw, buf, end, end // n)
        self.samples_total += n
        self.batches += 1
        return n

    def _send_raw(self, raw, buf, end, stride):
        scale_ug = self._raw_scale_ug
        i = 0
        while i < end:
            x = buf[i + self._raw_ix]
            if self._raw_nx:
                x = -x if x > -32768 else 32767  # int16: -(-32768) does not fit
            y = buf[i + self._raw_iy]
            if self._raw_ny:
                y = -y if y > -32768 else 32767
            z = buf[i + self._raw_iz]
            if self._raw_nz:
                z = -z if z > -32768 else 32767
            raw.add_raw(x, y, z, scale_ug)
            i += stride

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
