"""The walker: per-subject body sizes and movement style, drawn from the walk's seed.

Segment lengths follow adult anthropometry (shank about 0.40 m, thigh slightly longer, heel to ball of the foot
about 0.17 m); the sensor sits on the shank 8-10 cm above the ankle joint (``ankle``) or on the shoe (``shoe``: on
the laces or clipped to its side, from beside the heel to mid-foot).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Body:
    shank_m: float
    thigh_m: float
    heel_to_ball_m: float
    ankle_forward_m: float  # ankle joint from the heel's ground point, along the sole
    ankle_up_m: float  # ... and up from the sole
    sensor_on_shank_m: float  # ankle placement: sensor distance above the ankle joint
    shoe_sensor_forward_m: float  # shoe placement: sensor on the laces or side, from the heel along the sole
    shoe_sensor_up_m: float
    stride_cv: float  # stride-to-stride variability of stride time (coefficient of variation)
    amplitude_gain: float  # this walker's joint excursions against the reference
    strike_angle_gain: float  # how steeply the foot meets the ground
    impact_gain: float  # how hard the foot lands

    @property
    def leg_length_m(self) -> float:
        return self.thigh_m + self.shank_m + self.ankle_up_m


def draw_body(rng: np.random.Generator) -> Body:
    shank_m = float(rng.uniform(0.36, 0.46))
    size = shank_m / 0.40
    return Body(
        shank_m=shank_m,
        thigh_m=float(shank_m * rng.uniform(1.02, 1.12)),
        heel_to_ball_m=float(0.17 * size * rng.uniform(0.95, 1.05)),
        ankle_forward_m=float(0.05 * size),
        ankle_up_m=float(0.075 * size),
        sensor_on_shank_m=float(rng.uniform(0.08, 0.10)),
        # Clipped to the laces (about 12 cm ahead of the heel, 6-8 cm up) or to the side of the shoe, anywhere from
        # beside the heel to mid-foot and lower down: real shoe recordings come from both.
        shoe_sensor_forward_m=float(size * rng.uniform(0.05, 0.14)),
        shoe_sensor_up_m=float(rng.uniform(0.03, 0.08)),
        stride_cv=float(rng.uniform(0.012, 0.03)),
        amplitude_gain=float(rng.uniform(0.9, 1.1)),
        strike_angle_gain=float(rng.uniform(0.85, 1.15)),
        impact_gain=float(rng.uniform(0.75, 1.3)),
    )


def sensor_pose(
    body: Body,
    placement: str,
    *,
    heel_prog: FloatArray,
    heel_z: FloatArray,
    foot: FloatArray,
    shank: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Sensor position (prog, z) and pitch from the heel's ground point, the foot's pitch and the shank's inclination.

    ``ankle``: on the shank, ``sensor_on_shank_m`` above the ankle joint, its z axis along the shank;
    ``shoe``: on the laces or the side of the shoe, its z axis normal to the sole. Pitch is the rotation about the
    left axis, so a toe-up foot (positive ``foot``) or a shank with the ankle ahead of the knee (positive ``shank``)
    has negative pitch.
    """
    cos_f, sin_f = np.cos(foot), np.sin(foot)
    if placement == "ankle":
        ankle_prog = heel_prog + body.ankle_forward_m * cos_f - body.ankle_up_m * sin_f
        ankle_z = heel_z + body.ankle_forward_m * sin_f + body.ankle_up_m * cos_f
        prog = ankle_prog - body.sensor_on_shank_m * np.sin(shank)
        z = ankle_z + body.sensor_on_shank_m * np.cos(shank)
        return prog, z, -shank
    prog = heel_prog + body.shoe_sensor_forward_m * cos_f - body.shoe_sensor_up_m * sin_f
    z = heel_z + body.shoe_sensor_forward_m * sin_f + body.shoe_sensor_up_m * cos_f
    return prog, z, -foot
