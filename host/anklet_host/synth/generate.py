"""Turn a walk description into a labelled trace: segments joined end to end, then through the IMU and chip models.

Everything random is drawn from ``spec.seed`` through independent streams (the walker's body, the chip, one per
segment), so the same spec always gives the same trace, and editing one segment does not reshuffle the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from anklet_host.synth import idle
from anklet_host.synth.body import Body, draw_body
from anklet_host.synth.imu import ImuReadings, chip_readings, decimate, ideal_imu, mounting_rotation
from anklet_host.synth.motion import Contact, FloatArray, Motion, SegmentContext
from anklet_host.synth.spec import WALK, Segment, WalkSpec
from anklet_host.synth.walking import walk_motion
from anklet_host.trace import LABEL_ACTIVITY, LABEL_CONTACT, LABEL_DIRECTION, LABEL_STRIKE, Trace

MIN_INTERNAL_RATE_HZ = 500.0


@dataclass
class Simulation:
    """A generated trace and the ground truth behind it (for tests and for checking the model)."""

    trace: Trace
    body: Body
    ideal: ImuReadings  # body-frame readings before tilt, noise, clipping and quantisation, at the output rate
    hip_prog_m: FloatArray  # the hip's progression along the heading, at the output rate
    sole_z_m: FloatArray  # the foot's lowest point above the ground, at the output rate
    heading_rad: FloatArray
    contacts: list[Contact]
    segment_rows: list[tuple[int, int]]  # output rows [start, stop) of each segment


def internal_factor(rate_hz: float) -> int:
    """How many internal samples make one output sample: fine enough for impacts lasting ~10 ms."""
    return max(1, math.ceil(MIN_INTERNAL_RATE_HZ / rate_hz))


IDLE_MODELS = {
    "stand": idle.stand_motion,
    "shift": idle.shift_motion,
    "tap": idle.tap_motion,
    "vehicle": idle.vehicle_motion,
}


def _segment_motion(segment: Segment, ctx: SegmentContext) -> tuple[Motion, float]:
    """The segment's motion and the foot placement it ends on."""
    if segment.kind == WALK:
        motion, last_placement_m = walk_motion(segment, ctx)
        motion.prog_m += ctx.anchor_m
        motion.hip_prog_m += ctx.anchor_m
        return motion, ctx.anchor_m + last_placement_m
    return IDLE_MODELS[segment.kind](ctx), ctx.anchor_m


def simulate(spec: WalkSpec) -> Simulation:
    seeds = np.random.SeedSequence(spec.seed).spawn(2 + len(spec.segments))
    body = draw_body(np.random.default_rng(seeds[0]))
    chip_rng = np.random.default_rng(seeds[1])

    rate_hz = spec.rate_hz
    factor = internal_factor(rate_hz)
    internal_rate_hz = rate_hz * factor
    starts_s = np.concatenate([[0.0], np.cumsum([s.duration_s for s in spec.segments])])
    rows = np.round(starts_s * rate_hz).astype(np.int64)
    n_out = int(rows[-1])
    n_int = n_out * factor
    t_internal: FloatArray = (np.arange(n_int, dtype=np.float64) - (factor - 1) / 2.0) / internal_rate_hz

    parts: list[Motion] = []
    heading_parts: list[FloatArray] = []
    contacts: list[Contact] = []
    activity: list[str] = []
    segment_rows: list[tuple[int, int]] = []
    anchor_m = 0.0
    heading0 = 0.0
    for index, segment in enumerate(spec.segments):
        row0, row1 = int(rows[index]), int(rows[index + 1])
        segment_rows.append((row0, row1))
        if row1 <= row0:
            continue
        start_s = row0 / rate_hz
        t_local = t_internal[row0 * factor : row1 * factor] - start_s
        rng = np.random.default_rng(seeds[2 + index])
        ctx = SegmentContext(body, spec.placement, anchor_m, t_local, (row1 - row0) / rate_hz, rng, internal_rate_hz)
        motion, anchor_m = _segment_motion(segment, ctx)
        parts.append(motion)
        heading_parts.append(heading0 + motion.heading_rad)
        heading0 = float(heading_parts[-1][-1])
        contacts += [Contact(c.t_s + start_s, c.direction, c.strike) for c in motion.contacts]
        activity += [segment.activity] * (row1 - row0)

    joined = _join(parts)
    heading = np.concatenate(heading_parts)
    ideal_internal = ideal_imu(joined, heading, internal_rate_hz)
    ideal = ImuReadings(decimate(ideal_internal.accel_ms2, factor), decimate(ideal_internal.gyro_rads, factor))
    chip = chip_readings(
        ideal,
        rotation=mounting_rotation(spec.tilt_deg, spec.tilt_azimuth_deg),
        rng=chip_rng,
        noise_mg=spec.noise_mg,
        bias_mg=spec.bias_mg,
        gyro_noise_dps=spec.gyro_noise_dps,
        gyro_bias_dps=spec.gyro_bias_dps,
        range_g=spec.range_g,
        adc_bits=spec.adc_bits,
    )
    labels = _labels(n_out, rate_hz, contacts, activity)
    trace = Trace(
        t_s=np.arange(n_out) / rate_hz,
        accel_ms2=chip.accel_ms2,
        gyro_rads=chip.gyro_rads if spec.gyro else None,
        labels=labels,
    )
    return Simulation(
        trace=trace,
        body=body,
        ideal=ideal,
        hip_prog_m=decimate(joined.hip_prog_m, factor),
        sole_z_m=decimate(joined.sole_z_m, factor),
        heading_rad=decimate(heading, factor),
        contacts=contacts,
        segment_rows=segment_rows,
    )


def generate_walk(spec: WalkSpec) -> Trace:
    """The labelled trace for a walk description (deterministic: the same spec gives the same trace)."""
    return simulate(spec).trace


def _join(parts: list[Motion]) -> Motion:
    return Motion(
        prog_m=np.concatenate([p.prog_m for p in parts]),
        lat_m=np.concatenate([p.lat_m for p in parts]),
        z_m=np.concatenate([p.z_m for p in parts]),
        pitch_rad=np.concatenate([p.pitch_rad for p in parts]),
        roll_rad=np.concatenate([p.roll_rad for p in parts]),
        heading_rad=np.concatenate([p.heading_rad for p in parts]),
        yaw_rad=np.concatenate([p.yaw_rad for p in parts]),
        extra_acc_ms2=np.concatenate([p.extra_acc_ms2 for p in parts]),
        hip_prog_m=np.concatenate([p.hip_prog_m for p in parts]),
        sole_z_m=np.concatenate([p.sole_z_m for p in parts]),
    )


def _labels(n: int, rate_hz: float, contacts: list[Contact], activity: list[str]) -> dict[str, list[str]]:
    contact = ["0"] * n
    direction = [""] * n
    strike = [""] * n
    for c in contacts:
        row = min(max(round(c.t_s * rate_hz), 0), n - 1)
        contact[row] = "1"
        direction[row] = c.direction
        strike[row] = c.strike
    return {LABEL_CONTACT: contact, LABEL_DIRECTION: direction, LABEL_STRIKE: strike, LABEL_ACTIVITY: activity}
