# A sampler over a FIFO that hands out batches of a synthetic stride pattern: samples counted, events taken in order.
from array import array

from anklet.app.sampler import Sampler
from anklet.detector import StepDetector


class Batches:
    """A FIFO stand-in: each read returns the next 25 samples (x, y, z) of a 1 g signal with a landing spike."""

    has_gyro = False

    def __init__(self):
        self.samples = array("h", [0] * 75)
        self.t = 0

    def read_fifo(self):
        for k in range(25):
            phase = self.t % 110
            # Swing: a forward push then a brake (a triangle wave of +-1.5 g), then a 4 g landing spike.
            tri = (phase - 40) % 25
            swing = (tri * 120 if tri < 13 else (25 - tri) * 120) - 750 if 40 <= phase < 90 else 0
            if phase >= 65 and 40 <= phase < 90:
                swing = -swing
            spike = 4000 if phase == 90 else (-1500 if phase == 91 else 0)
            self.samples[3 * k] = swing
            self.samples[3 * k + 1] = 0
            self.samples[3 * k + 2] = 1000 + spike - swing
            self.t += 1
        return 25


det = StepDetector(rate_hz=100, accel_lsb_per_g=1000)
s = Sampler(Batches(), det)
taken = []
for _ in range(80):
    s.drain()
    slot = s.take_event()
    while slot >= 0:
        taken.append(det.ev_index[slot])
        slot = s.take_event()
print(s.samples_total, s.batches, det.contacts, len(taken), taken == sorted(taken), s.pending_events())


class Raw:
    """The raw stream's consumer: what `anklet record` receives (body frame, counts, micro-g per count)."""

    def __init__(self):
        self.raw_enabled = False
        self.got = []

    def add_raw(self, x, y, z, scale_ug):
        self.got.append((x, y, z, scale_ug))


class Extremes(Batches):
    def read_fifo(self):
        for k, (x, y, z) in enumerate(((1, 2, 3), (-32768, 32767, 0), (100, -100, -32768))):
            self.samples[3 * k] = x
            self.samples[3 * k + 1] = y
            self.samples[3 * k + 2] = z
        return 3


raw = Raw()
s = Sampler(Extremes(), StepDetector(rate_hz=100, accel_lsb_per_g=2048))
# Chip -y forward, chip +z left, chip -x up (the board file's mounting): int16 -32768 flipped saturates at 32767.
s.stream_raw(raw, (-2, 3, -1), 2048)
s.drain()
raw.raw_enabled = True
s.drain()
raw.raw_enabled = False
s.drain()
print(s.samples_total, raw.got)
