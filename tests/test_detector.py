"""The firmware step detector: contacts of a hand-built walk at every rate, the walking gate, axis mapping, and no
heap allocation per sample under the real MicroPython."""

from __future__ import annotations

import random

import pytest

from anklet.detector import DIR_FORWARD, PLACEMENT_ANKLE, PLACEMENT_SHOE, StepDetector
from anklet_host.analysis.bench import WALK_SOURCE, make_walk_counts
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
@pytest.mark.parametrize(("rate_hz", "gyro"), [(100, False), (400, True), (25, False)])
def test_no_heap_allocation_per_sample_under_micropython(upy: MicroPython, rate_hz: int, gyro: bool) -> None:
    code = (
        WALK_SOURCE
        + """
import gc, micropython
from anklet.detector import StepDetector
ax, ay, az = make_walk(RATE, 40)
det = StepDetector(RATE, 2048, GYRO, 0, (1, 2, 3))

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
""".replace("RATE", str(rate_hz)).replace("GYRO", "16.4" if gyro else "0.0")
    )
    outcome, made, contacts = upy.run(code).rsplit(" ", 2)
    assert outcome == "ok"
    assert int(made) == int(contacts) >= 38
