"""The firmware step detector: contacts of a hand-built walk at every rate, the walking gate, axis mapping, the swing
displacement that calls a stride forward whatever its landing, and no heap allocation per sample (nor in the
worst-case per-stride arithmetic) under the real MicroPython."""

from __future__ import annotations

import random

import pytest

import anklet.detector as detector_module
from anklet.detector import (
    _SWING_FORWARD_ANKLE_MM,
    _SWING_FORWARD_SHOE_MM,
    DIR_BACKWARD,
    DIR_FORWARD,
    PLACEMENT_ANKLE,
    PLACEMENT_SHOE,
    StepDetector,
)
from anklet.packets import STRIKE_FLAT, STRIKE_HEEL, STRIKE_TOE
from anklet_host.analysis.bench import WALK_SOURCE, make_walk_counts
from anklet_host.analysis.detect import ACCEL_LSB_PER_G, feed_trace
from anklet_host.synth import Segment, WalkSpec, generate_walk
from anklet_host.upy import MicroPython
from tests.detector_helpers import stand_walk_stand


def events(det: StepDetector) -> list[tuple[int, int, int]]:
    ring = StepDetector.EVENT_RING
    first = max(0, det.event_count - ring)
    return [
        (det.ev_index[n % ring], det.ev_direction[n % ring], det.ev_strike[n % ring])
        for n in range(first, det.event_count)
    ]


def assert_near(found: list[tuple[int, int, int]], truth: list[int]) -> None:
    """One event per landing, each within 20 ms (2 samples at 100 Hz) of it."""
    assert len(found) == len(truth)
    assert all(abs(index - t) <= 2 for (index, _, _), t in zip(found, truth, strict=True))


def feed_all(det: StepDetector, ax: list[int], ay: list[int], az: list[int]) -> int:
    made = 0
    for x, y, z in zip(ax, ay, az, strict=True):
        made += det.feed(x, y, z)
    return made


@pytest.mark.parametrize("rate_hz", [25, 50, 100, 200, 400])
def test_every_landing_of_a_walk_is_found_at_every_rate(rate_hz: int) -> None:
    ax, ay, az, truth = stand_walk_stand(rate_hz, 14)
    det = StepDetector(rate_hz, 2048, 0.0, PLACEMENT_ANKLE, (1, 2, 3))
    made = feed_all(det, ax, ay, az)
    found = [index for index, _, _ in events(det)]
    assert made == det.event_count == det.contacts == len(truth)
    for index, true_index in zip(found, truth, strict=True):
        assert abs(index - true_index) <= max(1, rate_hz // 50)  # within 20 ms
    assert det.steps_both_feet == 2 * det.contacts
    assert 105 <= det.cadence_spm <= 113  # 1.1 s strides: 109 steps/min
    # The events carry the packets' strike codes, as the app logs and sends them (none unknown: every one classified).
    strikes = [strike for _, _, strike in events(det)]
    assert set(strikes) <= {STRIKE_HEEL, STRIKE_TOE, STRIKE_FLAT}
    assert det.toe_first == strikes.count(STRIKE_TOE)
    assert all(direction == DIR_FORWARD for _, direction, _ in events(det))


def test_first_strides_are_released_with_their_own_indices() -> None:
    ax, ay, az = make_walk_counts(100, 6)
    det = StepDetector(100, 2048)
    released_at = []
    for n, (x, y, z) in enumerate(zip(ax, ay, az, strict=True)):
        if det.feed(x, y, z):
            released_at.append(n)
    found = [index for index, _, _ in events(det)]
    # Within 20 ms of each landing (the impact picker looks 20 ms either side of each sample).
    assert all(abs(f - t) <= 2 for f, t in zip(found[:3], [110, 220, 330], strict=True))
    # Nothing is counted before the third consistent landing; then the first three come at once.
    assert released_at[0] > 330
    assert det.event_count == 4


def test_standing_and_isolated_knocks_count_nothing() -> None:
    rng = random.Random(3)
    det = StepDetector(100, 2048)
    made = 0
    for n in range(100 * 120):
        z = 2048 + rng.randint(-20, 20)
        if n % 347 == 0:  # a knock now and then, no gait around it
            z += 5000
        made += det.feed(rng.randint(-20, 20), rng.randint(-20, 20), z)
    assert made == 0
    assert det.contacts == 0


def test_fewer_than_three_strides_are_not_walking() -> None:
    ax, ay, az, truth = stand_walk_stand(100, 2)
    assert len(truth) == 2
    det = StepDetector(100, 2048)
    assert feed_all(det, ax, ay, az) == 0


@pytest.mark.parametrize("axes", [(-3, 2, 1), (2, -1, 3), (3, 1, 2)])
def test_mounting_axes_map_chip_to_body(axes: tuple[int, int, int]) -> None:
    ax, ay, az, truth = stand_walk_stand(100, 10)
    reference = StepDetector(100, 2048, 0.0, PLACEMENT_SHOE, (1, 2, 3))
    feed_all(reference, ax, ay, az)
    det = StepDetector(100, 2048, 0.0, PLACEMENT_SHOE, axes)
    for body in zip(ax, ay, az, strict=True):
        chip = [0, 0, 0]
        for value, spec in zip(body, axes, strict=True):
            chip[abs(spec) - 1] = value if spec > 0 else -value
        det.feed(*chip)
    assert events(det) == events(reference)
    assert_near(events(det), truth)


@pytest.mark.parametrize("lsb_per_g", [16384, 8192, 4096, 2048])
def test_every_range_sees_the_same_walk(lsb_per_g: int) -> None:
    ax, ay, az, truth = stand_walk_stand(100, 10)
    scale = lsb_per_g / 2048
    # The hand-built walk peaks near 4 g: clip like the chip would at ±2 g.
    limit = 32767

    def chip(values: list[int]) -> list[int]:
        return [max(-limit, min(limit, round(v * scale))) for v in values]

    det = StepDetector(100, lsb_per_g)
    feed_all(det, chip(ax), chip(ay), chip(az))
    assert_near(events(det), truth)


def test_constructor_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="rate_hz"):
        StepDetector(10, 2048)
    with pytest.raises(ValueError, match="accel_lsb_per_g"):
        StepDetector(100, 0)
    with pytest.raises(ValueError, match="axes"):
        StepDetector(100, 2048, axes=(1, 1, 2))
    with pytest.raises(ValueError, match="axes"):
        StepDetector(100, 2048, axes=(1, 2, 5))
    with pytest.raises(ValueError, match="placement"):
        StepDetector(100, 2048, placement=7)


def test_reset_counters_keeps_the_event_stream() -> None:
    ax, ay, az = make_walk_counts(100, 8)
    det = StepDetector(100, 2048)
    feed_all(det, ax, ay, az)
    count = det.event_count
    det.reset_counters()
    assert (det.contacts, det.backward, det.toe_first, det.steps_both_feet) == (0, 0, 0, 0)
    assert det.event_count == count > 0


@pytest.mark.micropython
@pytest.mark.parametrize(
    ("rate_hz", "gyro", "placement"),
    # The shoe without gyro runs the largest network (three fits merged, 72 hidden units) once per stride.
    [
        (100, False, PLACEMENT_ANKLE),
        (400, True, PLACEMENT_ANKLE),
        (25, False, PLACEMENT_ANKLE),
        (100, False, PLACEMENT_SHOE),
    ],
)
def test_no_heap_allocation_per_sample_under_micropython(
    upy: MicroPython, rate_hz: int, gyro: bool, placement: int
) -> None:
    code = (
        WALK_SOURCE
        + """
import gc, micropython
from anklet.detector import StepDetector
ax, ay, az = make_walk(RATE, 40)
det = StepDetector(RATE, 2048, GYRO, PLACEMENT, (1, 2, 3))

def walk(det, ax, ay, az):
    # Locals only: a new module global would grow the globals dict (a heap allocation).
    n = len(ax)
    made = 0
    i = 0
    while i < n:
        made += det.feed(ax[i], ay[i], az[i], 0, ax[i] // 8, 0)
        i += 1
    return made

made = 0
outcome = "allocated"
gc.collect()
micropython.heap_lock()
try:
    made = walk(det, ax, ay, az)
    outcome = "ok"
except MemoryError:
    pass
finally:
    micropython.heap_unlock()
print(outcome, made, det.contacts)
""".replace("RATE", str(rate_hz))
        .replace("GYRO", "16.4" if gyro else "0.0")
        .replace("PLACEMENT", str(placement))
    )
    outcome, made, contacts = upy.run(code).rsplit(" ", 2)
    assert outcome == "ok"
    assert int(made) == int(contacts) >= 38


class _SwingRecorder(StepDetector):
    """The detector, keeping each contact's swing displacement (feature 24) as it reaches the walking gate."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.swing_mm: dict[int, int] = {}

    def _gate(self, index: int, direction: int, strike: int) -> int:
        self.swing_mm[index] = self._feat[24]
        return super()._gate(index, direction, strike)


def swing_mm_of(direction: str, strike: str, speed_m_s: float, placement: str) -> tuple[list[int], list[int]]:
    """Each reported contact's swing displacement and the direction called, on a synthetic walk (accelerometer
    only)."""
    segments = [
        Segment(kind="stand", duration_s=2.0),
        Segment(kind="walk", direction=direction, strike=strike, speed_m_s=speed_m_s, duration_s=16.0),
        Segment(kind="stand", duration_s=2.0),
    ]
    trace = generate_walk(WalkSpec(segments=segments, placement=placement, rate_hz=100.0, seed=31))
    det = _SwingRecorder(100, ACCEL_LSB_PER_G, 0.0, PLACEMENT_SHOE if placement == "shoe" else PLACEMENT_ANKLE)
    found = feed_trace(det, trace)
    return [det.swing_mm[index] for index, _, _ in found], [call for _, call, _ in found]


@pytest.mark.parametrize("placement", ["shoe", "ankle"])
def test_swing_displacement_reads_the_direction_the_foot_moved(placement: str) -> None:
    """The swing carries the foot forward in forward walking and backward in backward walking, whatever the landing:
    flat-footed forward strides read far above the forward threshold (measured: 970-1130 mm on the shoe, 810-890 at
    the ankle, but for the first stride from standing), slow backward ones (0.25 m/s) far below it."""
    limit = _SWING_FORWARD_SHOE_MM if placement == "shoe" else _SWING_FORWARD_ANKLE_MM
    forward_mm, forward_calls = swing_mm_of("forward", "flat", 1.0, placement)
    backward_mm, backward_calls = swing_mm_of("backward", "toe", 0.25, placement)
    assert len(forward_mm) >= 8
    assert len(backward_mm) >= 6
    assert sorted(forward_mm)[len(forward_mm) // 2] > limit  # median
    # Below half the threshold even at 0.25 m/s; on the shoe the slow backward swing reads backward outright (the
    # shank's own rotation blurs it at the ankle, hence that placement's higher threshold).
    assert max(backward_mm) < limit // 2
    if placement == "shoe":
        assert sorted(backward_mm)[len(backward_mm) // 2] < -200
    # Beyond the threshold the stride is forward, whatever the network reads from its landing.
    assert all(call == DIR_FORWARD for call, mm in zip(forward_calls, forward_mm, strict=True) if mm > limit)
    assert all(call == DIR_BACKWARD for call in backward_calls)


def test_forward_swing_overrides_a_backward_landing(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a network that calls every stride backward, only the strides whose swing went clearly forward are
    forward: the rule sits after the network, in the detector."""
    forward_mm, _ = swing_mm_of("forward", "flat", 1.0, "shoe")

    def always_backward(model: object, feat: object, hidden: object, out: list[int]) -> None:
        out[0], out[1], out[2], out[3] = 1 << 14, 0, 0, 0

    monkeypatch.setattr(detector_module, "scores", always_backward)
    mm, calls = swing_mm_of("forward", "flat", 1.0, "shoe")
    assert mm == forward_mm
    assert calls == [DIR_FORWARD if v > _SWING_FORWARD_SHOE_MM else DIR_BACKWARD for v in mm]
    assert calls.count(DIR_FORWARD) >= len(calls) // 2


@pytest.mark.parametrize("rate_hz", [25, 50, 149, 174, 400])
def test_swing_displacement_sums_stay_small_ints(rate_hz: int) -> None:
    """The worst swing (8 g all the way through the ring) keeps every partial sum under 2**30 (a MicroPython small
    int on the ESP32): the weights are in Q6 and x is clipped to 8191 mg."""
    det = StepDetector(rate_hz, 2048)
    ring = det._ring_n
    assert 8191 * 64 * ring < 1 << 30
    for sign in (1, -1):
        for k in range(ring):
            det._r_x[k] = sign * 32767 if k < ring // 2 else -sign * 32767
            det._r_z[k] = 0
        det._t = 3 * ring
        det._move_start = 0
        mm = det._swing_displacement(det._t - 1)
        assert mm * sign > 0
        assert abs(mm) < 1 << 30


@pytest.mark.micropython
def test_worst_case_swing_displacement_allocates_nothing_under_micropython(upy: MicroPython) -> None:
    """The real MicroPython runs the swing displacement over a full ring of 8 g swings with the heap locked: a
    partial sum beyond a small int would need a heap object and fail."""
    code = """
import gc, micropython
from anklet.detector import StepDetector
det = StepDetector(174, 2048)
ring = det._ring_n
k = 0
while k < ring:
    det._r_x[k] = 32767 if k < ring // 2 else -32767
    det._r_z[k] = -32767
    k += 1
det._t = 3 * ring
det._move_start = 0
det._tilt_s = -(1 << 11)
mm = 0
outcome = "allocated"
gc.collect()
micropython.heap_lock()
try:
    mm = det._swing_displacement(det._t - 1)
    outcome = "ok"
except MemoryError:
    pass
finally:
    micropython.heap_unlock()
print(outcome, ring, mm)
"""
    outcome, ring, mm = upy.run(code).split()
    assert outcome == "ok"
    assert int(ring) == 34 * 174 // 10 + 1  # 3.4 s at 174 Hz, the longest ring
    assert int(mm) > 0
