"""Non-walking segments: movement that must not be counted as steps.

Each starts and ends in the standing pose over the same foot placement, so segments join without a jump.

- ``stand``: quiet standing; the body sways over the ankles (about 1 deg at 0.1-0.5 Hz, fore-aft and sideways).
- ``shift``: shifting weight while standing: larger sway (3-8 deg) and, now and then, a slow heel raise onto the
  ball of the foot and back down (no impact: it is lowered, not dropped).
- ``tap``: seated foot tapping. With the foot on the floor the shank is near vertical (knee at about a right angle):
  heel taps (the heel rises 1.5-3 cm on the ball of the foot and drops, a small impact each time) or toe taps (the
  forefoot rises about the heel and slaps down); with the legs crossed the shank of the top leg hangs at 35-60 deg
  and bobs without touching anything. The knee stays put while seated, so the shank pivots about it.
- ``vehicle``: seated in a moving vehicle, feet on the floor: broadband vibration (5-30 Hz), road bumps (a jolt and
  the suspension's 1-2.5 Hz bounce), the vehicle's own speeding up, braking and turning.
"""

from __future__ import annotations

import math

import numpy as np

from anklet_host.synth.body import sensor_pose
from anklet_host.synth.impacts import add_impact
from anklet_host.synth.motion import FloatArray, Motion, SegmentContext, smoothstep

G_MS2 = 9.80665


def _envelope(t_s: FloatArray, duration_s: float, ramp_s: float) -> FloatArray:
    ramp_s = min(ramp_s, 0.45 * duration_s)
    return smoothstep(t_s / ramp_s) * smoothstep((duration_s - t_s) / ramp_s)


def _sway(t_s: FloatArray, rng: np.random.Generator, amplitude_rad: float, low_hz: float, high_hz: float) -> FloatArray:
    """A sum of three slow sines with random frequencies and phases: an irregular sway."""
    out = np.zeros_like(t_s)
    for _ in range(3):
        freq = rng.uniform(low_hz, high_hz)
        out += rng.uniform(0.5, 1.0) * np.sin(2 * math.pi * freq * t_s + rng.uniform(0, 2 * math.pi))
    return amplitude_rad * out / 2.0


def _standing_motion(ctx: SegmentContext, *, shank: FloatArray, roll: FloatArray, foot: FloatArray) -> Motion:
    """The leg over a planted foot: heel or ball on the ground as the foot's pitch says, shank pivoting above it."""
    body, placement, anchor_m, t_s = ctx.body, ctx.placement, ctx.anchor_m, ctx.t_s
    lever = body.heel_to_ball_m
    on_heel = foot >= 0.0
    heel_prog = np.where(on_heel, anchor_m, anchor_m + lever - lever * np.cos(foot))
    heel_z = np.where(on_heel, 0.0, -lever * np.sin(foot))
    prog, z, pitch = sensor_pose(body, placement, heel_prog=heel_prog, heel_z=heel_z, foot=foot, shank=shank)
    height = body.ankle_up_m + body.sensor_on_shank_m if placement == "ankle" else body.shoe_sensor_up_m
    motion = Motion.still(len(t_s), anchor_m, 0.0)
    motion.prog_m, motion.z_m, motion.pitch_rad, motion.roll_rad = prog, z, pitch, roll
    motion.lat_m = -height * np.sin(roll)
    motion.hip_prog_m = np.full(len(t_s), anchor_m + body.ankle_forward_m)
    motion.sole_z_m = np.minimum(heel_z, heel_z + lever * np.sin(foot))
    return motion


def stand_motion(ctx: SegmentContext) -> Motion:
    t_s, duration_s, rng = ctx.t_s, ctx.duration_s, ctx.rng
    env = _envelope(t_s, duration_s, 1.0)
    shank = env * _sway(t_s, rng, math.radians(rng.uniform(0.4, 1.2)), 0.1, 0.5)
    roll = env * _sway(t_s, rng, math.radians(rng.uniform(0.3, 0.8)), 0.1, 0.5)
    return _standing_motion(ctx, shank=shank, roll=roll, foot=np.zeros_like(t_s))


def shift_motion(ctx: SegmentContext) -> Motion:
    t_s, duration_s, rng = ctx.t_s, ctx.duration_s, ctx.rng
    env = _envelope(t_s, duration_s, 1.5)
    shank = env * _sway(t_s, rng, math.radians(rng.uniform(3.0, 6.0)), 0.15, 0.5)
    roll = env * _sway(t_s, rng, math.radians(rng.uniform(4.0, 8.0)), 0.15, 0.4)
    foot = np.zeros_like(t_s)
    t_raise = rng.uniform(2.0, 6.0)
    while t_raise < duration_s - 4.0:
        length_s = rng.uniform(1.5, 3.0)
        u = np.clip((t_s - t_raise) / length_s, 0.0, 1.0)
        foot -= math.radians(rng.uniform(4.0, 12.0)) * np.sin(math.pi * u) ** 2
        t_raise += length_s + rng.uniform(3.0, 10.0)
    # On the ball of the foot the shank leans forward with it rather than staying upright.
    shank = shank + 0.5 * foot
    return _standing_motion(ctx, shank=shank, roll=roll, foot=foot)


def tap_motion(ctx: SegmentContext) -> Motion:
    body, placement, anchor_m = ctx.body, ctx.placement, ctx.anchor_m
    t_s, duration_s, rng = ctx.t_s, ctx.duration_s, ctx.rng
    mode = str(rng.choice(["heel", "toe", "crossed"]))
    settle = _envelope(t_s, duration_s, 2.0)  # sitting down and standing up again
    tapping = _envelope(t_s - 2.0, duration_s - 4.0, 0.5) if duration_s > 5.0 else np.zeros_like(t_s)
    if mode == "crossed":
        rate_hz = rng.uniform(1.0, 2.5)
        seat = math.radians(rng.uniform(35.0, 60.0))
        bob = math.radians(rng.uniform(2.0, 6.0)) * np.sin(2 * math.pi * rate_hz * t_s)
        shank = settle * seat + tapping * bob
        foot = settle * math.radians(rng.uniform(-25.0, -10.0)) + tapping * 0.8 * bob
        # The leg is lifted over the other knee: the heel leaves the floor, carried by the shank about a fixed knee.
        knee_prog = anchor_m + body.ankle_forward_m
        knee_z = body.ankle_up_m + body.shank_m + settle * rng.uniform(0.08, 0.14)
        ankle_prog = knee_prog + body.shank_m * np.sin(shank)
        ankle_z = knee_z - body.shank_m * np.cos(shank)
        cos_f, sin_f = np.cos(foot), np.sin(foot)
        heel_prog = ankle_prog - body.ankle_forward_m * cos_f + body.ankle_up_m * sin_f
        heel_z = ankle_z - body.ankle_forward_m * sin_f - body.ankle_up_m * cos_f
        prog, z, pitch = sensor_pose(body, placement, heel_prog=heel_prog, heel_z=heel_z, foot=foot, shank=shank)
        motion = Motion.still(len(t_s), anchor_m, 0.0)
        motion.prog_m, motion.z_m, motion.pitch_rad = prog, z, pitch
        motion.hip_prog_m = np.full(len(t_s), anchor_m + body.ankle_forward_m)
        motion.sole_z_m = np.minimum(heel_z, heel_z + body.heel_to_ball_m * np.sin(foot))
        return motion

    rate_hz = rng.uniform(1.5, 3.5)
    seat = math.radians(rng.uniform(-5.0, 15.0))
    lift = math.radians(rng.uniform(5.0, 10.0) if mode == "heel" else rng.uniform(8.0, 16.0))
    period_s = 1.0 / rate_hz
    foot = np.zeros_like(t_s)
    taps: list[float] = []
    t_tap = 2.5
    while t_tap + period_s < duration_s - 2.5:
        up_s = 0.65 * period_s
        u = np.clip((t_s - t_tap) / up_s, 0.0, 1.0)
        foot += np.sin(math.pi * u) ** 2
        taps.append(t_tap + up_s)
        t_tap += period_s * rng.uniform(0.9, 1.1)
    foot *= -lift if mode == "heel" else lift
    shank = settle * seat
    # A heel tap lifts the ankle, and the shank, hanging from the knee, tips back a little.
    lever = body.heel_to_ball_m
    ankle_rise = np.where(foot < 0, -lever * np.sin(foot), 0.0)
    shank = shank + ankle_rise * math.sin(seat) / body.shank_m
    motion = _standing_motion(ctx, shank=shank, roll=np.zeros_like(t_s), foot=foot)
    gain, stretch = (0.6, 1.4) if placement == "ankle" else (1.0, 1.0)
    tap_dv = rng.uniform(0.12, 0.3) if mode == "heel" else rng.uniform(0.06, 0.18)
    for landing_s in taps:
        add_impact(
            motion.extra_acc_ms2,
            t_s,
            start_s=landing_s,
            dv_up_m_s=tap_dv * gain * rng.uniform(0.8, 1.2),
            dv_prog_m_s=0.0,
            duration_s=0.018 * stretch,
            ring_hz=18.0 if placement == "ankle" else 35.0,
            ring_share=0.3,
        )
    return motion


def _band_noise(n: int, rate_hz: float, low_hz: float, high_hz: float, rng: np.random.Generator) -> FloatArray:
    """White noise kept between ``low_hz`` and ``high_hz``, scaled to unit RMS."""
    if n < 4:
        return np.zeros(n)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate_hz)
    spectrum[(freqs < low_hz) | (freqs > high_hz)] = 0.0
    out = np.fft.irfft(spectrum, n)
    rms = float(np.sqrt(np.mean(out * out)))
    return out / rms if rms > 0 else out


def vehicle_motion(ctx: SegmentContext) -> Motion:
    t_s, duration_s, rng, internal_rate_hz = ctx.t_s, ctx.duration_s, ctx.rng, ctx.internal_rate_hz
    n = len(t_s)
    settle = _envelope(t_s, duration_s, 2.0)
    riding = _envelope(t_s - 2.0, duration_s - 4.0, 1.0) if duration_s > 5.0 else np.zeros_like(t_s)
    shank = settle * math.radians(rng.uniform(15.0, 40.0))
    shank = shank + riding * math.radians(0.05) * _band_noise(n, internal_rate_hz, 5.0, 15.0, rng)
    motion = _standing_motion(ctx, shank=shank, roll=np.zeros_like(t_s), foot=np.zeros_like(t_s))

    vibration = rng.uniform(0.2, 1.0) * _band_noise(n, internal_rate_hz, 5.0, 30.0, rng)
    motion.extra_acc_ms2[:, 2] += riding * vibration
    motion.extra_acc_ms2[:, 0] += riding * 0.4 * vibration[::-1]
    surge = rng.uniform(0.5, 1.5) * _band_noise(n, internal_rate_hz, 0.02, 0.2, rng)
    motion.extra_acc_ms2[:, 0] += riding * surge
    speed_m_s = rng.uniform(8.0, 20.0)
    yaw_rate = riding * rng.uniform(0.03, 0.12) * _band_noise(n, internal_rate_hz, 0.02, 0.15, rng)
    motion.heading_rad = np.cumsum(yaw_rate) / internal_rate_hz
    motion.extra_acc_ms2[:, 1] += speed_m_s * yaw_rate  # the centripetal pull of a turn

    t_bump = rng.exponential(1.0 / rng.uniform(0.05, 0.3))
    while t_bump < duration_s - 3.0:
        if t_bump > 2.0:
            jolt_ms2 = rng.uniform(0.2, 0.8) * G_MS2
            jolt_s = rng.uniform(0.03, 0.08)
            add_impact(
                motion.extra_acc_ms2,
                t_s,
                start_s=t_bump,
                dv_up_m_s=jolt_ms2 * 2.0 * jolt_s / math.pi,
                dv_prog_m_s=0.0,
                duration_s=jolt_s,
                ring_hz=0.0,
                ring_share=0.0,
            )
            bounce_hz = rng.uniform(1.2, 2.5)
            lo, hi = np.searchsorted(t_s, [t_bump, t_bump + 3.0])
            local = t_s[lo:hi] - t_bump
            omega = 2 * math.pi * bounce_hz
            motion.extra_acc_ms2[lo:hi, 2] += (
                rng.uniform(0.5, 2.0) * np.sin(omega * local) * np.exp(-0.3 * omega * local)
            )
        t_bump += rng.exponential(1.0 / rng.uniform(0.05, 0.3))
    return motion
