"""From the sensor's motion to what an IMU reports: specific force and angular rate in the sensor's frame.

An accelerometer measures specific force ``f = R^T (a - g)`` with ``g = (0, 0, -9.81)`` in the world frame (x, y
horizontal, z up) and ``R`` the sensor's orientation (its axes in the world frame): standing still it reads
``+9.81`` on its z axis. A gyroscope measures the angular velocity in its own frame. ``R`` is yaw (heading) then
pitch (about the left axis) then roll (about the forward axis); the world acceleration is the second difference of
the position at the internal rate plus the directly modelled accelerations (impacts, vibration).

The chip side: an averaging anti-alias filter over each output interval (the internal rate is an integer multiple
of the output rate), then the mounting tilt (a fixed rotation between the body frame and the chip's axes), bias,
white noise, clipping at the full-scale range and quantisation to the converter's resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from anklet_host.synth.motion import FloatArray, Motion

G_MS2 = 9.80665
GYRO_RANGE_DPS = 2000.0
GYRO_BITS = 16


@dataclass(frozen=True)
class ImuReadings:
    accel_ms2: FloatArray  # (n, 3)
    gyro_rads: FloatArray  # (n, 3)


def world_positions(motion: Motion, heading_rad: FloatArray) -> tuple[FloatArray, FloatArray]:
    """World x, y of the sensor: each step along the heading frame turned by the heading at that moment."""
    d_prog = np.diff(motion.prog_m, prepend=motion.prog_m[0])
    d_lat = np.diff(motion.lat_m, prepend=motion.lat_m[0])
    cos_h, sin_h = np.cos(heading_rad), np.sin(heading_rad)
    x = np.cumsum(d_prog * cos_h - d_lat * sin_h) + motion.prog_m[0]
    y = np.cumsum(d_prog * sin_h + d_lat * cos_h) + motion.lat_m[0]
    return x, y


def _second_derivative(values: FloatArray, dt_s: float) -> FloatArray:
    out = np.zeros_like(values)
    if len(values) >= 3:
        out[1:-1] = (values[2:] - 2.0 * values[1:-1] + values[:-2]) / (dt_s * dt_s)
        out[0], out[-1] = out[1], out[-2]
    return out


def _derivative(values: FloatArray, dt_s: float) -> FloatArray:
    return np.gradient(values, dt_s) if len(values) >= 2 else np.zeros_like(values)


def ideal_imu(motion: Motion, heading_rad: FloatArray, internal_rate_hz: float) -> ImuReadings:
    """Noise-free specific force (m/s^2) and angular rate (rad/s) in the sensor frame at the internal rate."""
    dt_s = 1.0 / internal_rate_hz
    x, y = world_positions(motion, heading_rad)
    cos_h, sin_h = np.cos(heading_rad), np.sin(heading_rad)
    extra = motion.extra_acc_ms2
    # World acceleration minus gravity (i.e. plus 9.81 up).
    wx = _second_derivative(x, dt_s) + extra[:, 0] * cos_h - extra[:, 1] * sin_h
    wy = _second_derivative(y, dt_s) + extra[:, 0] * sin_h + extra[:, 1] * cos_h
    wz = _second_derivative(motion.z_m, dt_s) + extra[:, 2] + G_MS2

    yaw = heading_rad + motion.yaw_rad  # heading_rad: the walk's heading over time, world frame
    pitch, roll = motion.pitch_rad, motion.roll_rad
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    # R = Rz(yaw) Ry(pitch) Rx(roll); apply R^T one rotation at a time.
    h0 = cy * wx + sy * wy
    h1 = -sy * wx + cy * wy
    p0 = cp * h0 - sp * wz
    p2 = sp * h0 + cp * wz
    accel = np.column_stack([p0, cr * h1 + sr * p2, -sr * h1 + cr * p2])

    yaw_rate = _derivative(yaw, dt_s)
    pitch_rate = _derivative(pitch, dt_s)
    roll_rate = _derivative(roll, dt_s)
    # omega_body = Rx^T Ry^T (0, 0, yaw') + Rx^T (0, pitch', 0) + (roll', 0, 0)
    v0 = -sp * yaw_rate
    v1 = pitch_rate
    v2 = cp * yaw_rate
    gyro = np.column_stack([v0 + roll_rate, cr * v1 + sr * v2, -sr * v1 + cr * v2])
    return ImuReadings(accel, gyro)


def decimate(values: FloatArray, factor: int) -> FloatArray:
    """Average each run of ``factor`` internal samples into one output sample (the chip's averaging filter)."""
    if factor == 1:
        return values
    n_out = len(values) // factor
    averaged: FloatArray = values[: n_out * factor].reshape(n_out, factor, *values.shape[1:]).mean(axis=1)
    return averaged


def mounting_rotation(tilt_deg: float, azimuth_deg: float) -> FloatArray:
    """The chip's axes in the body frame: its z axis tilted by ``tilt_deg`` toward ``azimuth_deg`` (0 forward,
    90 left) about a horizontal axis (Rodrigues' formula)."""
    angle = math.radians(tilt_deg)
    az = math.radians(azimuth_deg)
    axis = np.array([-math.sin(az), math.cos(az), 0.0])
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    rotation: FloatArray = np.eye(3) + math.sin(angle) * k + (1.0 - math.cos(angle)) * (k @ k)
    return rotation


def quantise(values: FloatArray, full_scale: float, bits: int) -> FloatArray:
    """Clip to the range and round to the converter's step, as the chip's two's-complement output does."""
    lsb = 2.0 * full_scale / (1 << bits)
    counts = np.clip(np.round(values / lsb), -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    return counts * lsb


def chip_readings(
    ideal: ImuReadings,
    *,
    rotation: FloatArray,
    rng: np.random.Generator,
    noise_mg: float,
    bias_mg: float,
    gyro_noise_dps: float,
    gyro_bias_dps: float,
    range_g: float,
    adc_bits: int,
) -> ImuReadings:
    """What the mis-mounted, noisy, range-limited chip reports for ideal body-frame readings."""
    n = len(ideal.accel_ms2)
    accel = ideal.accel_ms2 @ rotation  # rows are body-frame vectors; v_chip = R^T v_body
    gyro = ideal.gyro_rads @ rotation
    accel = accel + rng.normal(0.0, bias_mg * 1e-3 * G_MS2, 3) + rng.normal(0.0, noise_mg * 1e-3 * G_MS2, (n, 3))
    to_rad = math.pi / 180.0
    gyro = gyro + rng.normal(0.0, gyro_bias_dps * to_rad, 3) + rng.normal(0.0, gyro_noise_dps * to_rad, (n, 3))
    return ImuReadings(quantise(accel, range_g * G_MS2, adc_bits), quantise(gyro, GYRO_RANGE_DPS * to_rad, GYRO_BITS))
