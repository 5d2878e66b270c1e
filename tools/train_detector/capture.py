"""Run the firmware step detector over a trace and keep each contact's stride features.

The detector measures its features, classifies them and passes the contact to its walking gate; the features
depend on the signal only, never on the classifier's weights. A subclass records them at the gate (the one place
that sees the contact's sample index and the features together), with every contact the gate holds back too (the
walker's strike style, `anklet.detector.StepDetector._blend_style`, runs through them all), so every figure of a new
set of weights follows from one run of the unchanged firmware code. Samples reach it exactly as in `anklet analyze`
(`anklet_host.analysis.detect.feed_trace`): whole mg and mdps turned into the chip's counts, resampled above
400 Hz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from anklet.detector import (
    _N_FEATURES,
    _SWING_FORWARD_ANKLE_MM,
    _SWING_FORWARD_SHOE_MM,
    PLACEMENT_ANKLE,
    PLACEMENT_SHOE,
    StepDetector,
)
from anklet_host.analysis.detect import ACCEL_LSB_PER_G, GYRO_LSB_PER_DPS, feed_trace
from anklet_host.analysis.resample import MAX_DETECTOR_RATE_HZ, resample_trace
from anklet_host.trace import Trace

N_FEATURES = int(_N_FEATURES)
PLACEMENT_CODES = {"ankle": PLACEMENT_ANKLE, "shoe": PLACEMENT_SHOE}
# The swing displacement feature (mm) and, per placement, the one beyond which the detector calls a stride forward.
SWING_MM_FEATURE = 24
SWING_FORWARD_MM = {"ankle": int(_SWING_FORWARD_ANKLE_MM), "shoe": int(_SWING_FORWARD_SHOE_MM)}


def swung_forward(features: npt.NDArray[np.int16], placements: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """Rows whose swing carried the foot clearly forward: the detector calls them forward whatever the network says."""
    limit = np.where(placements == "shoe", SWING_FORWARD_MM["shoe"], SWING_FORWARD_MM["ankle"])
    moved: npt.NDArray[np.bool_] = features[:, SWING_MM_FEATURE].astype(np.int64) > limit
    return moved


class FeatureCapturingDetector(StepDetector):
    """The firmware detector, unchanged, that also keeps the features of every contact it hands to its gate."""

    def __init__(self, rate_hz: float, placement: str, *, has_gyro: bool) -> None:
        super().__init__(
            rate_hz=rate_hz,
            accel_lsb_per_g=ACCEL_LSB_PER_G,
            gyro_lsb_per_dps=GYRO_LSB_PER_DPS if has_gyro else 0.0,
            placement=PLACEMENT_CODES[placement],
            axes=(1, 2, 3),
        )
        # Every contact the detector classified, in order: (sample index, features, direction, strike, fresh).
        self.classified: list[tuple[int, list[int], int, int, bool]] = []

    def _gate(self, index: int, direction: int, strike: int) -> int:
        # Fresh: the first contact of a walk, where the strike style starts anew.
        self.classified.append((index, list(self._feat), direction, strike, self._starts_walk(index)))
        return int(super()._gate(index, direction, strike))


@dataclass(frozen=True)
class Captured:
    """Every contact the detector classified over one trace, in order, and which of them it reported (the walking
    gate holds back the rest); the strike style runs through all of them."""

    t_s: npt.NDArray[np.float64]  # time of each contact (s, on the input trace's clock)
    direction: npt.NDArray[np.int8]  # DIR_* as the shipped weights call it
    strike: npt.NDArray[np.int8]  # STRIKE_* as the shipped weights call it
    features: npt.NDArray[np.int16]  # (contacts, N_FEATURES)
    fresh: npt.NDArray[np.bool_]  # the first contact of a walk: the strike style starts anew
    reported: npt.NDArray[np.bool_]  # an event of the detector's (through the walking gate)


def run_detector(trace: Trace, placement: str, *, use_gyro: bool) -> Captured:
    """Feed ``trace`` to a capturing detector as `anklet analyze` feeds it; ``use_gyro`` False drops the gyro."""
    if not use_gyro:
        trace = trace.without_gyro()
    if trace.rate_hz() > MAX_DETECTOR_RATE_HZ:
        trace = resample_trace(trace)
    det = FeatureCapturingDetector(trace.rate_hz(), placement, has_gyro=trace.gyro_rads is not None)
    events = feed_trace(det, trace)  # (sample index, DIR_*, STRIKE_*) of every event, in order
    reported = {e[0] for e in events}
    last_row = len(trace.t_s) - 1
    rows = det.classified
    return Captured(
        t_s=np.array([trace.t_s[min(r[0], last_row)] for r in rows], dtype=np.float64),
        direction=np.array([r[2] for r in rows], dtype=np.int8),
        strike=np.array([r[3] for r in rows], dtype=np.int8),
        features=np.array([r[1] for r in rows], dtype=np.int16).reshape(-1, N_FEATURES),
        fresh=np.array([r[4] for r in rows], dtype=bool),
        reported=np.array([r[0] in reported for r in rows], dtype=bool),
    )
