"""Synthetic gait: physically modelled walks (and things that are not walks) as labelled IMU traces.

Usage::

    from anklet_host.synth import Segment, WalkSpec, generate_walk, random_spec

    spec = WalkSpec(placement="ankle", rate_hz=100.0, seed=1, segments=[
        Segment(kind="walk", direction="forward", duration_s=60, speed_m_s=1.2),
        Segment(kind="stand", duration_s=10),
        Segment(kind="walk", direction="backward", duration_s=120, speed_m_s=0.22),
    ])
    trace = generate_walk(spec)  # an anklet_host.trace.Trace with contact/direction/strike/activity labels

The physical model, in brief (details in each module's docstring):

- ``gait``: sagittal joint-angle curves (thigh, knee, ankle) over the gait cycle, low-order Fourier fits to
  normative key values, scaled with the step length (speed / (cadence / 60)) against the walker's leg length, warped
  to the stance share (larger when slow and when walking backward), played in reverse for backward walking.
- ``walking``: the leg as a chain foot -> ankle joint -> shank (~0.40 m) -> thigh. In stance the foot pivots on
  the heel or the ball of the foot at a fixed placement (no sliding); in swing the ankle follows a smooth path
  (position, velocity and acceleration continuous at toe-off and contact) with just enough clearance for the
  pitched foot. Placements are one stride (speed x stride time) apart and the pelvis glides over each at
  mid-stance, so it moves at the walking speed. The strike sets the foot's attitude at contact (heel: toe up;
  toe: heel up, then the heel rolls down; flat: level).
- ``impacts``: each landing adds a deceleration pulse whose area is the landing velocity stopped (heel: a brief
  heel-strike transient, then the heel pad and sole compress over ~50 ms while the foot turns down at once; toe:
  softer, then the calf lowers the heel with a soft touch; flat: between), upward and against the walking
  direction, turned into the sensor's frame with everything else; the foot arrives still falling (the swing path's
  own braking just before contact is undone), so the ground, not the swing, stops it. Checked against real heel
  strikes (tests/test_synth_landing.py).
- ``imu``: specific force ``f = R^T (a - g)`` and angular rate in the sensor frame from the sensor's position
  (second difference at >= 500 Hz) and orientation (yaw, pitch, roll), then the chip: averaging to the output rate,
  mounting tilt, bias, white noise, clipping at the range, quantisation.
- ``idle``: standing sway, weight shifting, seated foot tapping and vehicle vibration: no labelled contacts.
- ``body``: per-walker sizes and style drawn from the seed; stride-to-stride variability of stride time.
"""

from anklet_host.synth.generate import Simulation, generate_walk, simulate
from anklet_host.synth.random_spec import random_spec
from anklet_host.synth.spec import Segment, WalkSpec, parse_walk_shorthand

__all__ = ["Segment", "Simulation", "WalkSpec", "generate_walk", "parse_walk_shorthand", "random_spec", "simulate"]
