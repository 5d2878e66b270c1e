"""Sagittal joint-angle curves over the gait cycle, as low-order Fourier series, for forward and backward walking.

The curve shapes follow the published normative sagittal kinematics of adult level walking (thigh inclination,
knee flexion, ankle dorsiflexion against % of the gait cycle from initial contact). Only a handful of key values are
written down below (approximate textbook figures: thigh about +20 deg at initial contact and about -14 deg at
toe-off, the knee's loading bump of about 18 deg and swing peak of about 62 deg, the ankle's push-off plantarflexion
of about 17 deg); the smooth curves are a 6th-order Fourier least-squares fit to a periodic interpolation of those
values, made once when the module is imported.

Conventions (all angles in radians once evaluated):

- ``thigh``: inclination of the thigh from vertical, positive with the knee ahead of the hip (hip flexion minus the
  pelvis's mean anterior tilt of about 10 deg).
- ``knee``: flexion, positive; so the shank's inclination is ``thigh - knee`` (positive with the ankle ahead of the
  knee).
- ``ankle``: dorsiflexion positive; the foot's pitch (toe up positive) is ``shank + ankle``.

A stance share other than the reference 60 % is made by a smooth monotone warp of the phase. Backward walking is
the forward cycle played in reverse (initial contact is the reversed toe-off), built with the backward stance share.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

REFERENCE_STANCE_SHARE = 0.60
FOURIER_ORDER = 6

# (percent of the cycle from initial contact, degrees); the cycle wraps at 100 %.
_THIGH_KEYS_DEG = (
    (0, 20), (10, 17), (20, 10), (30, 0), (40, -8), (50, -15), (55, -18), (60, -15), (65, -9),
    (70, 0), (75, 9), (80, 17), (85, 22), (90, 23), (95, 21.5),
)  # fmt: skip
_KNEE_KEYS_DEG = (
    (0, 4), (5, 10), (10, 16), (15, 18), (20, 16), (30, 9), (40, 5), (45, 6), (50, 12), (55, 24),
    (60, 38), (65, 52), (70, 60), (73, 62), (80, 55), (85, 40), (90, 22), (95, 7),
)  # fmt: skip
_ANKLE_KEYS_DEG = (
    (0, 0), (5, -3), (8, -3), (12, 0), (20, 5), (30, 9), (40, 12), (47, 12), (52, 7), (57, -4),
    (62, -15), (67, -12), (75, -4), (85, 0), (90, 1), (95, 0),
)  # fmt: skip
# Extra knee flexion in swing at slow speeds: the knee still folds to clear the toe when the steps are small.
_SWING_KNEE_KEYS_DEG = (
    (0, 0), (55, 0), (60, 12), (65, 28), (70, 35), (73, 36), (80, 30), (85, 20), (90, 8), (95, 0),
)  # fmt: skip


def _periodic_interpolate(keys: tuple[tuple[float, float], ...], grid: FloatArray) -> FloatArray:
    """Catmull-Rom interpolation through periodic key points (percent, value), evaluated on ``grid`` (cycles)."""
    xs = np.array([k[0] for k in keys], dtype=np.float64) / 100.0
    ys = np.array([k[1] for k in keys], dtype=np.float64)
    n = len(xs)
    xs_ext = np.concatenate([xs[-2:] - 1.0, xs, xs[:2] + 1.0])
    ys_ext = np.concatenate([ys[-2:], ys, ys[:2]])
    out = np.full_like(grid, np.nan)
    for i in range(n + 1):  # n + 1 intervals: the last one wraps to the first key
        x0, x1, x2, x3 = xs_ext[i], xs_ext[i + 1], xs_ext[i + 2], xs_ext[i + 3]
        y0, y1, y2, y3 = ys_ext[i], ys_ext[i + 1], ys_ext[i + 2], ys_ext[i + 3]
        inside = (grid >= x1) & (grid < x2)
        u = (grid[inside] - x1) / (x2 - x1)
        # Tangents from the neighbouring chords, scaled to this interval (non-uniform Catmull-Rom).
        m1 = (y2 - y0) / (x2 - x0) * (x2 - x1)
        m2 = (y3 - y1) / (x3 - x1) * (x2 - x1)
        h00 = 2 * u**3 - 3 * u**2 + 1
        h10 = u**3 - 2 * u**2 + u
        h01 = -2 * u**3 + 3 * u**2
        h11 = u**3 - u**2
        out[inside] = h00 * y1 + h10 * m1 + h01 * y2 + h11 * m2
    return out


def _fourier_fit(keys: tuple[tuple[float, float], ...]) -> FloatArray:
    """Coefficients [a0, a1, b1, ..., aK, bK] (radians) of a least-squares Fourier fit to the key curve."""
    grid = np.linspace(0.0, 1.0, 400, endpoint=False)
    values = np.radians(_periodic_interpolate(keys, grid))
    coeffs: FloatArray = np.linalg.lstsq(_fourier_basis(grid), values, rcond=None)[0]
    return coeffs


def _fourier_basis(phase: FloatArray) -> FloatArray:
    columns = [np.ones_like(phase)]
    for n in range(1, FOURIER_ORDER + 1):
        angle = 2.0 * math.pi * n * phase
        columns += [np.cos(angle), np.sin(angle)]
    return np.stack(columns, axis=-1)


THIGH_COEFFS = _fourier_fit(_THIGH_KEYS_DEG)
KNEE_COEFFS = _fourier_fit(_KNEE_KEYS_DEG)
ANKLE_COEFFS = _fourier_fit(_ANKLE_KEYS_DEG)
SWING_KNEE_COEFFS = _fourier_fit(_SWING_KNEE_KEYS_DEG)


def evaluate(coeffs: FloatArray, phase: FloatArray) -> FloatArray:
    """A fitted curve at phases given in cycles (any real number; the curve is periodic)."""
    return evaluate_many((coeffs,), phase)[0]


def evaluate_many(curves: tuple[FloatArray, ...], phase: FloatArray) -> list[FloatArray]:
    """Several fitted curves at the same phases, sharing the harmonics (made by the angle-addition recurrence)."""
    angle = 2.0 * math.pi * np.asarray(phase, dtype=np.float64)
    cos1, sin1 = np.cos(angle), np.sin(angle)
    out = [np.full_like(angle, c[0]) for c in curves]
    cos_n, sin_n = cos1, sin1
    for n in range(1, FOURIER_ORDER + 1):
        if n > 1:
            cos_n, sin_n = cos_n * cos1 - sin_n * sin1, sin_n * cos1 + cos_n * sin1
        for i, c in enumerate(curves):
            out[i] += c[2 * n - 1] * cos_n + c[2 * n] * sin_n
    return out


def warp_gain(stance_share: float) -> float:
    """Gain k of the warp p -> p - k sin(2 pi p) / (2 pi) that maps ``stance_share`` onto the reference 60 %."""
    sine = math.sin(2.0 * math.pi * stance_share)
    if abs(sine) < 1e-9:
        return 0.0
    gain = (stance_share - REFERENCE_STANCE_SHARE) * 2.0 * math.pi / sine
    return max(-0.9, min(0.9, gain))  # |k| < 1 keeps the warp monotone


def canonical_phase(phase: FloatArray, direction: str, stance_share: float) -> FloatArray:
    """Phase of the reference forward cycle for a walking phase (0 = initial contact of this direction)."""
    if direction == "backward":
        # Played in reverse: backward initial contact is the forward toe-off, backward stance is forward stance.
        phase = stance_share - phase
    p = np.mod(phase, 1.0)
    return p - warp_gain(stance_share) * np.sin(2.0 * math.pi * p) / (2.0 * math.pi)


def stance_share(direction: str, speed_m_s: float) -> float:
    """Share of the cycle in stance: about 60 % forward at normal speed, more when slow, more again backward."""
    slowness = min(max((1.2 - speed_m_s) / 1.0, 0.0), 1.0)
    base = 0.60 if direction == "forward" else 0.66
    return base + 0.06 * slowness


def amplitude_scale(step_length_m: float, leg_length_m: float) -> float:
    """How far the joint excursions scale from the reference walk (step 0.78 leg lengths) for this step length."""
    return min(max(step_length_m / (0.78 * leg_length_m), 0.12), 1.4)
