"""Run the firmware step detector over a trace and keep each contact's stride features.

The detector measures its features, classifies them and passes the contact to its walking gate; the features
depend on the signal only, never on the classifier's weights. A subclass records them at the gate (the one place
that sees the contact's sample index and the features together), so every figure of a new set of weights follows
from one run of the unchanged firmware code. Samples reach it exactly as in `anklet analyze`
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
        self.captured: dict[int, list[int]] = {}

    def _gate(self, index: int, direction: int, strike: int) -> int:
        self.captured[index] = list(self._feat)
        return int(super()._gate(index, direction, strike))

    @property
    def toe_margin(self) -> int:
        """The margin a forward stride's toe score must clear (Q14 logits; 0 where the detector sets none)."""
        return int(self._toe_margin)


@dataclass(frozen=True)
class Captured:
    """What the detector reported over one trace: its events and each one's features."""

    t_s: npt.NDArray[np.float64]  # time of each event's contact (s, on the input trace's clock)
    direction: npt.NDArray[np.int8]  # DIR_* as the shipped weights call it
    strike: npt.NDArray[np.int8]  # STRIKE_* as the shipped weights call it
    features: npt.NDArray[np.int16]  # (events, N_FEATURES)
    toe_margin: int


def run_detector(trace: Trace, placement: str, *, use_gyro: bool) -> Captured:
    """Feed ``trace`` to a capturing detector as `anklet analyze` feeds it; ``use_gyro`` False drops the gyro."""
    if not use_gyro:
        trace = trace.without_gyro()
    if trace.rate_hz() > MAX_DETECTOR_RATE_HZ:
        trace = resample_trace(trace)
    det = FeatureCapturingDetector(trace.rate_hz(), placement, has_gyro=trace.gyro_rads is not None)
    events = feed_trace(det, trace)  # (sample index, DIR_*, STRIKE_*) of every event, in order
    last_row = len(trace.t_s) - 1
    index = [e[0] for e in events]
    return Captured(
        t_s=np.array([trace.t_s[min(i, last_row)] for i in index], dtype=np.float64),
        direction=np.array([e[1] for e in events], dtype=np.int8),
        strike=np.array([e[2] for e in events], dtype=np.int8),
        features=np.array([det.captured[i] for i in index], dtype=np.int16).reshape(-1, N_FEATURES),
        toe_margin=det.toe_margin,
    )
