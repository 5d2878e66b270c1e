"""One walking segment: the instrumented leg's motion, forward or backward, from the joint-angle curves and the ground.

The model, in the sagittal plane of the walker's heading:

- Orientation comes from the joint-angle curves (`anklet_host.synth.gait`): thigh inclination, knee flexion, ankle
  angle, scaled with the step length (speed / (cadence / 60)) against the walker's leg length, and a smooth ramp of
  the amplitude over the first and last stride (a few transition strides out of and back into standing).
- Stance is set by the ground: the foot pivots on its heel while toe-up and on the ball of the foot while heel-up,
  both fixed where the foot was placed (no sliding); its pitch only passes between the two while it lies flat, so
  velocities stay continuous. The ankle joint, then the shank with the sensor, follow up the chain.
- Swing: the ankle travels from its state at toe-off to its state at the next contact on a quintic path (position,
  velocity and acceleration matched at toe-off; position and velocity at contact, where the ground's push makes
  the acceleration jump), lifted by the
  least smooth bump that keeps the sole, pitched by the joint curves, clear of the ground.
- Successive foot placements are one stride (speed x stride time) apart; the pelvis glides over each placement at
  mid-stance, so it moves at the walking speed. Backward, placements go the other way, the joint curves play in
  reverse with the larger backward stance share, and the foot levels off toes-down before landing.
- Around initial contact the foot's attitude is set by the strike (heel: toe up; toe: heel up, the ball lands and the
  heel rolls down; flat: level), then it rolls flat; the landing itself is an impact transient
  (`anklet_host.synth.impacts`), with a second, smaller one when the heel comes down after a toe-first landing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from anklet_host.synth import gait
from anklet_host.synth.body import Body, sensor_pose
from anklet_host.synth.impacts import add_impact
from anklet_host.synth.motion import Contact, FloatArray, Motion, SegmentContext, smoothstep
from anklet_host.synth.spec import Segment

START_PHASE = 0.3  # a walk starts and ends with the instrumented foot flat in mid-stance
TIME_EPS_S = 1e-4
CLEARANCE_M = 0.02  # toe clearance in mid-swing at a normal pace
SWING_BUMP_GAIN = 7.0**7 / (3.0**3 * 4.0**4)  # tau^3 (1 - tau)^4 peaks at 3/7
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class StrikeStyle:
    """Foot pitch at contact (deg, toe up positive, at full amplitude) and the roll to flat (share of the cycle)."""

    pitch_deg: float
    roll_share: float


def strike_style(direction: str, strike: str, scale: float) -> StrikeStyle:
    if direction == "forward":
        if strike == "heel":
            return StrikeStyle(16.0 * min(max(scale, 0.5), 1.2), 0.14)
        if strike == "toe":
            return StrikeStyle(-12.0 * min(max(scale, 0.6), 1.2), 0.07)
        return StrikeStyle(0.0, 0.03)
    if strike == "toe":
        return StrikeStyle(-(12.0 + 12.0 * min(scale, 1.2)), 0.10)
    if strike == "heel":
        return StrikeStyle(10.0 * min(max(scale, 0.6), 1.2), 0.08)
    return StrikeStyle(0.0, 0.03)


@dataclass(frozen=True)
class ImpactStyle:
    """Landing velocity stopped (m/s, at 1.2 m/s forward or 0.6 m/s backward) and how long the ground takes (s)."""

    dv_up_m_s: float
    dv_prog_share: float  # horizontal velocity stopped, as a share of the vertical
    duration_s: float
    approach_s: float  # the foot still falls at dv this long before contact (the path's own braking undone)


HEEL_TRANSIENT_SHARE = 0.3
HEEL_TRANSIENT_S = 0.008
IMPACTS = {
    "heel": ImpactStyle(0.50, 1.2, 0.050, 0.06),
    "flat": ImpactStyle(0.40, 0.8, 0.040, 0.06),
    "toe": ImpactStyle(0.30, 0.6, 0.050, 0.08),
    "heel_drop": ImpactStyle(0.06, 0.0, 0.040, 0.05),  # the calf lowers the heel: a soft touch
}


def _chain(
    body: Body, heel_prog: FloatArray, heel_z: FloatArray, angles: tuple[FloatArray, FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Ankle joint and hip positions (prog, z) from the heel and the (thigh, shank, foot) angles."""
    thigh, shank, foot = angles
    cos_f, sin_f = np.cos(foot), np.sin(foot)
    ankle_prog = heel_prog + body.ankle_forward_m * cos_f - body.ankle_up_m * sin_f
    ankle_z = heel_z + body.ankle_forward_m * sin_f + body.ankle_up_m * cos_f
    hip_prog = ankle_prog - body.shank_m * np.sin(shank) - body.thigh_m * np.sin(thigh)
    hip_z = ankle_z + body.shank_m * np.cos(shank) + body.thigh_m * np.cos(thigh)
    return ankle_prog, ankle_z, hip_prog, hip_z


class WalkModel:
    """The leg's angles and foot placements for one walking segment, as functions of the gait phase."""

    def __init__(self, segment: Segment, body: Body, duration_s: float, rng: np.random.Generator) -> None:
        self.body = body
        self.direction = segment.direction
        self.strike = segment.strike_or_natural
        self.speed_m_s = segment.speed_m_s_or_natural
        self.sign = 1.0 if self.direction == "forward" else -1.0
        stride_s = 120.0 / segment.cadence_spm_or_natural
        self.n_contacts = max(1, round(duration_s / stride_s))
        n = self.n_contacts
        self.stance_share = gait.stance_share(self.direction, self.speed_m_s)
        self.scale = gait.amplitude_scale(segment.step_length_m, body.leg_length_m) * body.amplitude_gain
        style = strike_style(self.direction, self.strike, self.scale)
        self.contact_pitch_rad = math.radians(style.pitch_deg * body.strike_angle_gain)
        self.roll_share = style.roll_share

        # Stride times vary stride to stride; then all are scaled so the walk fills the segment exactly.
        strides = stride_s * np.clip(1.0 + body.stride_cv * rng.standard_normal(n + 1), 0.8, 1.2)
        cumulative = np.concatenate([[0.0], np.cumsum(strides)])
        raw_s = cumulative[n] + START_PHASE * (strides[n] - strides[0])
        strides *= duration_s / raw_s
        self.stride_times_s = strides
        self.knot_t_s = np.concatenate([[0.0], np.cumsum(strides)]) - START_PHASE * strides[0]
        self.knot_phase = np.arange(n + 2, dtype=np.float64)

        # Foot placement k (k = 0: where the walker stood) is one stride beyond the last.
        anchors = np.zeros(n + 1)
        for k in range(1, n + 1):
            anchors[k] = anchors[k - 1] + self.sign * self.speed_m_s * strides[k - 1] * float(self.amplitude(k - 0.5))
        self.anchors_m = anchors
        self.wobble_phase = float(rng.uniform(0, 2 * math.pi))
        self._find_lift()
        # The pelvis passes over each foot placement at mid-stance (foot flat) and glides smoothly between.
        mids = np.arange(n + 1, dtype=np.float64) + START_PHASE
        chain = self.stance_chain(mids, np.arange(n + 1, dtype=np.int64))
        self.pelvis_t_s = np.interp(mids, self.knot_phase, self.knot_t_s)
        self.pelvis_knots = np.stack([chain[4], chain[5]])  # (prog, z) at each knot
        velocity = np.zeros_like(self.pelvis_knots)
        if n >= 2:
            span = self.pelvis_t_s[2:] - self.pelvis_t_s[:-2]
            velocity[:, 1:-1] = (self.pelvis_knots[:, 2:] - self.pelvis_knots[:, :-2]) / span
        self.pelvis_velocity = velocity

    def phase_at(self, t_s: FloatArray) -> FloatArray:
        return np.interp(t_s, self.knot_t_s, self.knot_phase)

    def pelvis(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Hip joint (prog, z): through the mid-stance knots, velocities from the neighbours, no jump in
        acceleration (quintic pieces), at rest at both ends of the walk."""
        knots_t = self.pelvis_t_s
        i = np.clip(np.searchsorted(knots_t, t_s, side="right") - 1, 0, len(knots_t) - 2)
        span = knots_t[i + 1] - knots_t[i]
        tau = np.clip((t_s - knots_t[i]) / span, 0.0, 1.0)
        zero = np.zeros_like(t_s)
        out = []
        for axis in (0, 1):
            start = np.stack([self.pelvis_knots[axis, i], self.pelvis_velocity[axis, i], zero])
            end = np.stack([self.pelvis_knots[axis, i + 1], self.pelvis_velocity[axis, i + 1], zero])
            out.append(_quintic(start, end, span, tau))
        return out[0], out[1]

    def amplitude(self, phase: FloatArray | float) -> FloatArray:
        p = np.asarray(phase, dtype=np.float64)
        start = smoothstep((p - START_PHASE) / 1.2)
        stop = smoothstep((self.n_contacts + START_PHASE - p) / 1.0)
        return start * stop

    def angles(self, phase: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Thigh inclination, shank inclination and foot pitch (rad) at the given phases."""
        canonical = gait.canonical_phase(phase, self.direction, self.stance_share)
        amp = self.amplitude(phase)
        k = self.scale
        thigh_c, knee_c, ankle_c, swing_knee_c = gait.evaluate_many(
            (gait.THIGH_COEFFS, gait.KNEE_COEFFS, gait.ANKLE_COEFFS, gait.SWING_KNEE_COEFFS), canonical
        )
        thigh = amp * k * thigh_c
        knee = amp * (k * knee_c + 0.6 * max(0.0, 1.0 - min(k, 1.0)) * swing_knee_c)
        ankle = amp * k * ankle_c
        shank = thigh - knee
        foot_chain = shank + ankle

        # The foot's pitch follows the strike around contact (approach at the strike angle, land, roll flat with no
        # angular velocity left), lies flat through mid-stance, and follows the joint curves from heel-off (or,
        # backward, toe-off) on: the contact point only ever passes between heel and ball while the foot is flat.
        in_stride = phase - np.floor(phase)
        u = np.clip(in_stride / self.roll_share, 0.0, 1.0)
        # Heel first, the ground pushes behind the ankle and turns the foot at once (angular acceleration from the
        # first instant), fastest a third of the way, settling flat gently: (1 - u)^3 (1 + 3u). Toe first, the calf
        # lowers the heel under control: a smooth start.
        if self.contact_pitch_rad > 0:
            early = amp * self.contact_pitch_rad * (1.0 - u) ** 3 * (1.0 + 3.0 * u)
        else:
            early = amp * self.contact_pitch_rad * (1.0 - smoothstep(u))
        # One-sided, so the foot never rocks back across level while it turns: the pivot switches only when flat.
        knee_rad = math.radians(3.0) * np.maximum(amp, 1e-6)
        lifted = _one_sided(self.lift_sign * foot_chain, knee_rad) * self.lift_sign
        late = lifted * smoothstep((in_stride - self.lift_from) / self.lift_width)
        # Backward, the foot reaches back toes down and levels off to its landing angle over a longer approach.
        approach_from, approach_width = (0.88, 0.09) if self.direction == "forward" else (0.76, 0.18)
        approach = smoothstep((in_stride - approach_from) / approach_width)
        swing = (1.0 - approach) * foot_chain + approach * amp * self.contact_pitch_rad
        foot = np.where(in_stride < self.stance_share, early + late, swing)
        return thigh, shank, foot

    def _find_lift(self) -> None:
        """Where in stance the foot starts to leave flat: past the roll to flat, the last time the joint curves
        give a pitch within 2 deg of level (the blend then takes it there smoothly before toe-off)."""
        s = self.stance_share
        self.lift_from, self.lift_width, self.lift_sign = 0.0, 1.0, -1.0
        grid = np.linspace(self.roll_share, s, 400)
        canonical = gait.canonical_phase(grid, self.direction, s)
        thigh_c, knee_c, ankle_c = gait.evaluate_many(
            (gait.THIGH_COEFFS, gait.KNEE_COEFFS, gait.ANKLE_COEFFS), canonical
        )
        signed = thigh_c - knee_c + ankle_c
        self.lift_sign = 1.0 if signed[-1] > 0 else -1.0  # heel up (forward) or toe up (backward) at lift-off
        pitch = np.abs(signed)
        level = np.nonzero(pitch < math.radians(2.0))[0]
        last_level = float(grid[level[-1]]) if len(level) else self.roll_share
        self.lift_from = max(self.roll_share + 0.02, last_level - 0.05)
        self.lift_width = max(0.02, min(0.12, s - self.lift_from))

    def stance_chain(
        self,
        phase: FloatArray,
        stance_index: IntArray,
        angles: tuple[FloatArray, FloatArray, FloatArray] | None = None,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Heel, ankle and hip (prog, z) with the foot on the ground at placement ``stance_index``."""
        thigh, shank, foot = self.angles(phase) if angles is None else angles
        anchor = self.anchors_m[stance_index]
        lever = self.body.heel_to_ball_m
        on_heel = foot >= 0.0
        heel_prog = np.where(on_heel, anchor, anchor + lever - lever * np.cos(foot))
        heel_z = np.where(on_heel, 0.0, -lever * np.sin(foot))
        ankle_prog, ankle_z, hip_prog, hip_z = _chain(self.body, heel_prog, heel_z, (thigh, shank, foot))
        return heel_prog, heel_z, ankle_prog, ankle_z, hip_prog, hip_z, foot


def _one_sided(x: FloatArray, knee_rad: FloatArray) -> FloatArray:
    """0 for x <= 0, x itself from ``knee_rad`` on, and a cubic with matching slopes between."""
    ramp = (2.0 - x / knee_rad) * x * x / knee_rad
    return np.where(x <= 0.0, 0.0, np.where(x < knee_rad, ramp, x))


def _stance_ankle(model: WalkModel, t_s: FloatArray, stance_index: IntArray) -> tuple[FloatArray, FloatArray]:
    phase = model.phase_at(t_s)
    _, _, ankle_prog, ankle_z, _, _, _ = model.stance_chain(phase, stance_index)
    return ankle_prog, ankle_z


def _ankle_derivatives(
    model: WalkModel, t_s: FloatArray, stance_index: IntArray, step_s: float
) -> tuple[FloatArray, FloatArray]:
    """(position, velocity, acceleration) rows of the stance ankle (prog, z) at ``t_s``, by differences toward
    ``step_s``'s side (staying inside the stance)."""
    samples = [_stance_ankle(model, t_s + i * step_s, stance_index) for i in range(3)]
    out = []
    for axis in (0, 1):
        p0, p1, p2 = (sample[axis] for sample in samples)
        velocity = (p1 - p0) / step_s
        acceleration = (p2 - 2.0 * p1 + p0) / (step_s * step_s)
        out.append(np.stack([p0, velocity, acceleration]))
    return out[0], out[1]


def _clearance_lift(sole_z: FloatArray, tau: FloatArray, stride: IntArray, n: int, clearance_m: float) -> FloatArray:
    """Per stride, the smallest multiple of a smooth bump (zero with its first two derivatives at both ends,
    highest early in swing, as the knee folds) that keeps the sole ``clearance_m`` x bump above the ground."""
    bump = SWING_BUMP_GAIN * tau**3 * (1.0 - tau) ** 4
    deficit = np.where(bump > 0.1, (clearance_m * bump - sole_z) / np.maximum(bump, 0.1), 0.0)
    gain = np.zeros(n)
    np.maximum.at(gain, stride, deficit)
    return gain[stride] * bump


def _quintic(start: FloatArray, end: FloatArray, duration_s: FloatArray, tau: FloatArray) -> FloatArray:
    """Quintic Hermite path from (position, velocity, acceleration) ``start`` to ``end`` over ``duration_s``."""
    t2, t3 = tau * tau, tau * tau * tau
    t4, t5 = t3 * tau, t3 * t2
    d, d2 = duration_s, duration_s * duration_s
    path: FloatArray = (
        (1 - 10 * t3 + 15 * t4 - 6 * t5) * start[0]
        + (tau - 6 * t3 + 8 * t4 - 3 * t5) * start[1] * d
        + 0.5 * (t2 - 3 * t3 + 3 * t4 - t5) * start[2] * d2
        + 0.5 * (t3 - 2 * t4 + t5) * end[2] * d2
        + (-4 * t3 + 7 * t4 - 3 * t5) * end[1] * d
        + (10 * t3 - 15 * t4 + 6 * t5) * end[0]
    )
    return path


def walk_motion(segment: Segment, ctx: SegmentContext) -> tuple[Motion, float]:
    """The sensor's motion over a walking segment (``t_s``: internal sample times from the segment's start) and
    the last foot placement, both relative to the first."""
    body, placement, t_s, duration_s, rng = ctx.body, ctx.placement, ctx.t_s, ctx.duration_s, ctx.rng
    model = WalkModel(segment, body, duration_s, rng)
    phase = model.phase_at(t_s)
    stride_index = np.floor(phase).astype(np.int64)
    in_stride = phase - stride_index
    stance = in_stride < model.stance_share
    s = model.stance_share

    thigh, shank, foot = model.angles(phase)
    heel_prog = np.empty_like(phase)
    heel_z = np.empty_like(phase)
    st_heel_prog, st_heel_z, *_ = model.stance_chain(
        phase[stance], stride_index[stance], (thigh[stance], shank[stance], foot[stance])
    )
    heel_prog[stance], heel_z[stance] = st_heel_prog, st_heel_z

    # Swing of stride k: the ankle travels from its toe-off state to its state at the next contact (position,
    # velocity and acceleration matched at both ends), lifted by just enough clearance for the foot, whose pitch
    # follows the joint angles, to pass over the ground.
    swing = ~stance
    if swing.any():
        n = model.n_contacts
        ks = np.arange(n, dtype=np.int64)
        strides = model.stride_times_s
        t_off = model.knot_t_s[:n] + s * strides[:n]
        t_on = model.knot_t_s[1 : n + 1]
        off_p, off_z = _ankle_derivatives(model, t_off, ks, -TIME_EPS_S)
        on_p, on_z = _ankle_derivatives(model, t_on, ks + 1, TIME_EPS_S)
        # The ground's push starts at contact: acceleration jumps there (the foot turns onto its sole at once), so
        # the swing arrives matching position and velocity only, not the stance's first acceleration.
        on_p[2] = 0.0
        on_z[2] = 0.0
        k = stride_index[swing]
        tau = (in_stride[swing] - s) / (1.0 - s)
        dur = t_on - t_off
        ankle_p = _quintic(off_p[:, k], on_p[:, k], dur[k], tau)
        ankle_z = _quintic(off_z[:, k], on_z[:, k], dur[k], tau)
        ft = foot[swing]
        cos_f, sin_f = np.cos(ft), np.sin(ft)
        swing_heel_p = ankle_p - body.ankle_forward_m * cos_f + body.ankle_up_m * sin_f
        swing_heel_z = ankle_z - body.ankle_forward_m * sin_f - body.ankle_up_m * cos_f
        sole_z = np.minimum(swing_heel_z, swing_heel_z + body.heel_to_ball_m * sin_f)
        lift = _clearance_lift(sole_z, tau, k, n, CLEARANCE_M * min(model.scale, 1.0) + 0.005)
        heel_prog[swing] = swing_heel_p
        heel_z[swing] = swing_heel_z + lift
    hip_prog, _ = model.pelvis(t_s)

    sensor_prog, sensor_z, pitch = sensor_pose(
        body, placement, heel_prog=heel_prog, heel_z=heel_z, foot=foot, shank=shank
    )

    canonical = gait.canonical_phase(phase, model.direction, s)
    amp = model.amplitude(phase) * min(model.scale, 1.0)
    roll = amp * math.radians(3.0) * np.sin(2 * math.pi * canonical + model.wobble_phase)
    wobble_yaw = amp * math.radians(4.0) * np.sin(2 * math.pi * canonical + model.wobble_phase - 1.0)
    turn = _turn_profile(segment.turn_deg, t_s, duration_s, float(np.mean(model.stride_times_s)))

    motion = Motion(
        prog_m=sensor_prog,
        lat_m=np.zeros_like(phase),
        z_m=sensor_z,
        pitch_rad=pitch,
        roll_rad=roll,
        heading_rad=turn,
        yaw_rad=wobble_yaw,
        extra_acc_ms2=np.zeros((len(phase), 3)),
        hip_prog_m=hip_prog,
        sole_z_m=np.minimum(heel_z, heel_z + body.heel_to_ball_m * np.sin(foot)),
    )
    _add_contacts(motion, model, placement, t_s, rng)
    return motion, float(model.anchors_m[-1])


def _turn_profile(turn_deg: float, t_s: FloatArray, duration_s: float, stride_s: float) -> FloatArray:
    """Heading change spread over about three strides in the middle of the segment."""
    if turn_deg == 0.0:
        return np.zeros_like(t_s)
    width_s = min(3.0 * stride_s, 0.6 * duration_s)
    start_s = 0.5 * (duration_s - width_s)
    return math.radians(turn_deg) * smoothstep((t_s - start_s) / width_s)


def _add_contacts(motion: Motion, model: WalkModel, placement: str, t_s: FloatArray, rng: np.random.Generator) -> None:
    """Label each initial contact and add its impact (and, after a toe-first landing, the heel's)."""
    natural_speed = 1.2 if model.direction == "forward" else 0.6
    speed_gain = min(max(model.speed_m_s / natural_speed, 0.2), 1.8) ** 0.7
    # The ankle joint and the soft tissue of the shank absorb and smear what the foot feels.
    gain, stretch, ring_hz = (0.6, 1.4, 18.0) if placement == "ankle" else (1.0, 1.0, 35.0)
    for k in range(1, model.n_contacts + 1):
        t_contact = float(model.knot_t_s[k])
        amp = float(model.amplitude(float(k)))
        motion.contacts.append(Contact(t_contact, model.direction, model.strike))
        style = IMPACTS[model.strike]
        dv = style.dv_up_m_s * speed_gain * amp * model.body.impact_gain * gain * float(rng.uniform(0.8, 1.2))
        add_impact(
            motion.extra_acc_ms2,
            t_s,
            start_s=t_contact,
            dv_up_m_s=dv,
            dv_prog_m_s=-model.sign * style.dv_prog_share * dv,
            duration_s=style.duration_s * stretch * float(rng.uniform(0.85, 1.15)),
            ring_hz=ring_hz,
            ring_share=0.3,
            approach_s=style.approach_s,
        )
        if model.strike == "heel":
            # The heel strike transient: the hard heel meets the ground before its pad compresses, a brief sharp
            # spike ahead of the main deceleration (it carries little of the velocity).
            add_impact(
                motion.extra_acc_ms2,
                t_s,
                start_s=t_contact,
                dv_up_m_s=HEEL_TRANSIENT_SHARE * dv,
                dv_prog_m_s=0.0,
                duration_s=HEEL_TRANSIENT_S,  # carried by bone, not smeared by the soft tissue
                ring_hz=ring_hz,
                ring_share=0.3,
            )
        if model.strike == "toe":
            drop = IMPACTS["heel_drop"]
            t_drop = t_contact + model.roll_share * float(model.stride_times_s[k])
            add_impact(
                motion.extra_acc_ms2,
                t_s,
                start_s=t_drop,
                dv_up_m_s=drop.dv_up_m_s * speed_gain * amp * model.body.impact_gain * gain,
                dv_prog_m_s=0.0,
                duration_s=drop.duration_s * stretch,
                ring_hz=ring_hz,
                ring_share=0.2,
                approach_s=drop.approach_s,
            )
