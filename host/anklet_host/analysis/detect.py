"""Feed a Trace to the firmware step detector, exactly as the board would see it (raw chip counts)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anklet.detector import DIR_BACKWARD, PLACEMENT_ANKLE, PLACEMENT_SHOE, StepDetector
from anklet.packets import STRIKE_FLAT, STRIKE_HEEL, STRIKE_TOE
from anklet_host.analysis.resample import MAX_DETECTOR_RATE_HZ, resample_trace
from anklet_host.errors import InputError
from anklet_host.trace import Trace

# The chip scale traces are converted to, the firmware's default (anklet.app.settings): ±16 g accelerometer,
# ±2000 dps gyroscope (16-bit: 2048 LSB/g, 16.4 LSB/dps).
ACCEL_LSB_PER_G = 2048
GYRO_LSB_PER_DPS = 16.4
_ACCEL_COUNTS_PER_MG = (ACCEL_LSB_PER_G, 1000)
_GYRO_COUNTS_PER_MDPS = (164, 10000)
STANDARD_GRAVITY_MS2 = 9.80665
MIN_DETECTOR_RATE_HZ = 25.0
PLACEMENTS = {"ankle": PLACEMENT_ANKLE, "shoe": PLACEMENT_SHOE}
STRIKE_NAMES = {STRIKE_HEEL: "heel", STRIKE_TOE: "toe", STRIKE_FLAT: "flat"}  # anklet.packets.STRIKE_* -> trace label
STRIKE_CODES = {name: code for code, name in STRIKE_NAMES.items()}
_COUNT_LIMIT = 32767


@dataclass(frozen=True)
class DetectedStep:
    """One contact of the instrumented foot as the detector reported it."""

    t_s: float
    direction: str
    strike: str


@dataclass(frozen=True)
class Detection:
    rate_hz: float  # the rate the detector ran at
    steps: list[DetectedStep]
    contacts: int
    backward: int
    toe_first: int
    steps_both_feet: int
    cadence_spm: int
    placement: str = "ankle"
    resampled_from_hz: float | None = None  # the trace's own rate, when it was resampled to ``rate_hz``

    def as_json(self) -> dict[str, object]:
        return {
            # Rounded: a rate found from t_s reads 100.00000000009095 for 100 Hz (the float seconds' error).
            "rate_hz": round(self.rate_hz, 3),
            "resampled_from_hz": None if self.resampled_from_hz is None else round(self.resampled_from_hz, 3),
            "placement": self.placement,
            "steps": [{"t_s": s.t_s, "direction": s.direction, "strike": s.strike} for s in self.steps],
            "counts": {"contacts": self.contacts, "backward": self.backward, "toe_first": self.toe_first},
        }


def to_counts(values: np.ndarray, per_unit: float, counts_per_milli: tuple[int, int]) -> list[list[int]]:
    """Chip counts as the anklet's sensor makes them: the motion resolved to whole mg (or mdps), then scaled by the
    exact fraction ``counts_per_milli`` and rounded half away from zero, clipped to int16 (as the chip models in
    ``anklet_host.sim.chips`` do). ``per_unit`` turns ``values`` into mg or mdps. The same walk felt by the virtual
    anklet's chip reaches the detector as the very same integers."""
    milli = np.rint(values * per_unit).astype(np.int64)
    num, den = counts_per_milli
    counts = np.sign(milli) * ((2 * np.abs(milli) * num + den) // (2 * den))
    return np.clip(counts, -_COUNT_LIMIT, _COUNT_LIMIT).tolist()  # type: ignore[no-any-return]


def feed_trace(det: StepDetector, trace: Trace) -> list[tuple[int, int, int]]:
    """Feed every sample of ``trace`` to ``det`` as the anklet's sensor delivers them (`to_counts`), then finish it:
    every event it made, in order, as (sample index, DIR_*, STRIKE_*). ``det`` is fed a gyro if ``trace`` has one."""
    events: list[tuple[int, int, int]] = []
    ring = StepDetector.EVENT_RING

    def collect(made: int) -> None:
        for n in range(det.event_count - made, det.event_count):
            slot = n % ring
            events.append((int(det.ev_index[slot]), int(det.ev_direction[slot]), int(det.ev_strike[slot])))

    accel = to_counts(trace.accel_ms2, 1000.0 / STANDARD_GRAVITY_MS2, _ACCEL_COUNTS_PER_MG)
    feed = det.feed
    if trace.gyro_rads is not None:
        gyro = to_counts(trace.gyro_rads, 180_000.0 / np.pi, _GYRO_COUNTS_PER_MDPS)
        for (ax, ay, az), (gx, gy, gz) in zip(accel, gyro, strict=True):
            made = feed(ax, ay, az, gx, gy, gz)
            if made:
                collect(made)
    else:
        for ax, ay, az in accel:
            made = feed(ax, ay, az)
            if made:
                collect(made)
    # The recording ended: its last contact is classified now, as a board worn on would do once the wearer stood.
    made = det.finish()
    if made:
        collect(made)
    return events


def retimed(trace: Trace, rate_hz: float) -> Trace:
    """The trace's samples taken at ``rate_hz`` from its first ``t_s`` (a rate given overrides the time column)."""
    t_s = trace.t_s[0] + np.arange(len(trace), dtype=np.float64) / rate_hz
    return Trace(t_s, trace.accel_ms2, trace.gyro_rads, trace.labels)


def detect(trace: Trace, placement: str = "ankle", *, use_gyro: bool = True, rate_hz: float | None = None) -> Detection:
    """Run the firmware detector over a trace. ``rate_hz`` is the rate the samples were taken at, overriding
    ``t_s`` (contact times follow it); traces above 400 Hz (found or given) are resampled (anti-aliased) first."""
    if placement not in PLACEMENTS:
        raise InputError(f"placement must be one of {', '.join(PLACEMENTS)}, not {placement!r}")
    if not use_gyro:
        trace = trace.without_gyro()
    if rate_hz is not None:
        trace = retimed(trace, rate_hz)
    rate = rate_hz if rate_hz is not None else trace.rate_hz()
    resampled_from_hz = None
    if rate > MAX_DETECTOR_RATE_HZ:
        trace = resample_trace(trace)
        resampled_from_hz, rate = rate, trace.rate_hz()
    if rate < MIN_DETECTOR_RATE_HZ:
        raise InputError(f"sample rate {rate:g} Hz is below the detector's lowest rate, 25 Hz")
    has_gyro = trace.gyro_rads is not None
    det = StepDetector(
        rate_hz=rate,
        accel_lsb_per_g=ACCEL_LSB_PER_G,
        gyro_lsb_per_dps=GYRO_LSB_PER_DPS if has_gyro else 0.0,
        placement=PLACEMENTS[placement],
        axes=(1, 2, 3),
    )
    events = feed_trace(det, trace)
    t_s = trace.t_s
    steps = [
        DetectedStep(
            t_s=float(t_s[min(i, len(t_s) - 1)]),
            direction="backward" if d == DIR_BACKWARD else "forward",
            strike=STRIKE_NAMES[s],
        )
        for i, d, s in events
    ]
    return Detection(
        rate_hz=rate,
        steps=steps,
        contacts=det.contacts,
        backward=det.backward,
        toe_first=det.toe_first,
        steps_both_feet=det.steps_both_feet,
        cadence_spm=det.cadence_spm,
        placement=placement,
        resampled_from_hz=resampled_from_hz,
    )
