"""The movement of the sensor over the whole walk, at the internal simulation rate, before it becomes IMU readings.

Positions are kept in the walker's heading frame (``prog``: along the way the walker faces, ``lat``: to the left,
``z``: up) plus a heading angle; orientation is yaw-pitch-roll of the sensor (pitch about the left axis, positive
tilting the sensor's z axis forward). ``extra_acc`` holds accelerations that are modelled directly rather than
through positions (impact transients, vehicle vibration), in the heading frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anklet_host.synth.body import Body, FloatArray

__all__ = ["Contact", "FloatArray", "Motion", "SegmentContext", "smoothstep"]


@dataclass(frozen=True)
class SegmentContext:
    """What every segment's motion model is given: who walks, where the sensor is, where the foot stands, the
    internal sample times from the segment's start, the segment's length and its own random stream."""

    body: Body
    placement: str
    anchor_m: float
    t_s: FloatArray
    duration_s: float
    rng: np.random.Generator
    internal_rate_hz: float


@dataclass(frozen=True)
class Contact:
    """A labelled initial contact of the instrumented foot."""

    t_s: float
    direction: str
    strike: str


@dataclass
class Motion:
    """Sensor motion over a stretch of time (one segment, or the whole walk once joined)."""

    prog_m: FloatArray
    lat_m: FloatArray
    z_m: FloatArray
    pitch_rad: FloatArray
    roll_rad: FloatArray
    heading_rad: FloatArray  # turn of the walker's heading since this stretch's start (left positive)
    yaw_rad: FloatArray  # the sensor's own yaw wobble about the heading
    extra_acc_ms2: FloatArray  # shape (n, 3), heading frame
    hip_prog_m: FloatArray  # where the walker's hip is along the way: the kinematic ground truth of progression
    sole_z_m: FloatArray  # height of the lowest of heel and ball of the foot above the ground
    contacts: list[Contact] = field(default_factory=list)

    @classmethod
    def still(cls, n: int, prog_m: float, z_m: float) -> Motion:
        zeros = np.zeros(n)
        return cls(
            prog_m=np.full(n, prog_m),
            lat_m=zeros.copy(),
            z_m=np.full(n, z_m),
            pitch_rad=zeros.copy(),
            roll_rad=zeros.copy(),
            heading_rad=zeros.copy(),
            yaw_rad=zeros.copy(),
            extra_acc_ms2=np.zeros((n, 3)),
            hip_prog_m=np.full(n, prog_m),
            sole_z_m=zeros.copy(),
        )


def smoothstep(x: FloatArray) -> FloatArray:
    """0 below 0, 1 above 1, a smooth (C2) ramp between."""
    u = np.clip(x, 0.0, 1.0)
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))
