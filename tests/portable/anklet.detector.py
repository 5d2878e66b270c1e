# The detector gives the same events and counters under CPython and MicroPython: a hand-built integer walk at three
# rates, both placements, remapped axes and a gyro channel; the last stride's swing displacement (integer arithmetic on
# both runtimes).
from array import array

from anklet.detector import PLACEMENT_ANKLE, PLACEMENT_SHOE, StepDetector


def walk(rate_hz, strides):
    stride_n = rate_hz * 11 // 10
    stance_n = rate_hz * 6 // 10
    n = stride_n * strides
    ax = array("h", bytes(2 * n))
    az = array("h", bytes(2 * n))
    seed = 7
    i = 0
    while i < n:
        k = i % stride_n
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        noise = (seed >> 16) % 31 - 15
        x = noise
        z = 2048 + noise
        if k >= stance_n:
            s = k - stance_n
            half = (stride_n - stance_n) // 2
            x += 3000 * s // half if s < half else 3000 - 6000 * (s - half) // half
        elif k < rate_hz // 25:
            z += 6000 - 6000 * k // (rate_hz // 25)
        ax[i] = x
        az[i] = z
        i += 1
    return ax, az


def run(rate_hz, placement, axes, gyro):
    ax, az = walk(rate_hz, 12)
    det = StepDetector(rate_hz, 2048, 16.4 if gyro else 0.0, placement, axes)
    i = 0
    while i < len(ax):
        # Body x forward, z up; the chip reports them on the axes named by `axes`.
        chip = [0, 0, 0]
        for body, spec in enumerate(axes):
            value = (ax[i], 0, az[i])[body]
            chip[abs(spec) - 1] = value if spec > 0 else -value
        det.feed(chip[0], chip[1], chip[2], 0, 30 if gyro else 0, 0)
        i += 1
    events = []
    for n in range(det.event_count):
        slot = n % StepDetector.EVENT_RING
        events.append((det.ev_index[slot], det.ev_direction[slot], det.ev_strike[slot]))
    print(rate_hz, placement, axes, gyro, det.contacts, det.backward, det.toe_first, det.cadence_spm)
    print(det.steps_both_feet, det.state_bytes() > 0, events, det._feat[24])


run(100, PLACEMENT_ANKLE, (1, 2, 3), False)
run(50, PLACEMENT_SHOE, (-3, 2, 1), False)
run(200, PLACEMENT_ANKLE, (2, -1, 3), True)
det = StepDetector(100, 2048)
det.contacts = 5
det.reset_counters()
print(det.contacts, det.event_count)
for bad in ((10, 2048, (1, 2, 3)), (100, 0, (1, 2, 3)), (100, 2048, (1, 1, 3)), (100, 2048, (1, 2, 4))):
    try:
        StepDetector(bad[0], bad[1], 0.0, PLACEMENT_ANKLE, bad[2])
        print("accepted", bad)
    except ValueError:
        print("refused", bad)
