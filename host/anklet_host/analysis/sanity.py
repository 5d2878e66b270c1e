"""Checks that a trace is what the detector expects, made before it runs: acceleration in m/s² with gravity in it
(judged from the gravity the walk reads) and a sample rate the detector runs at (from ``t_s``, or ``--rate``).

A gross mistake (another unit, a scale factor, ``t_s`` in milliseconds) would give a wrong answer with no sign of
it, so it is refused on one line that says what to change. A small doubt is a warning: the analysis goes on.
"""

from __future__ import annotations

import math

import numpy as np

from anklet_host.analysis.detect import MIN_DETECTOR_RATE_HZ, Detection
from anklet_host.errors import InputError
from anklet_host.trace import Trace

STANDARD_GRAVITY_MS2 = 9.80665
# The acceleration averaged over a walk is gravity, give or take what the landings add up to: 9.1-12.7 m/s² over the
# real shoe recordings and the synthetic corpora (|mean a| sees a trace with gravity removed, where the median of |a|
# would read the walk's own motion). Outside these bounds the sensor's calibration is doubtful (a warning) ...
GRAVITY_WARN_MS2 = (8.0, 14.0)
# ... and a factor 3 off is another unit or a scale (g reads 1, mg 1000, cm/s² 981): refused.
GRAVITY_REFUSE_MS2 = (STANDARD_GRAVITY_MS2 / 3, STANDARD_GRAVITY_MS2 * 3)
# A trace's rate may differ from --rate by a clock's error without a word; beyond this share the user is told.
RATE_MISMATCH_SHARE = 0.01
# A hint that the placement is wrong: at least this many contacts, and more than half of them landing the way
# walkers rarely do (toe first walking forward, heel first walking backward). Real shoe recordings analysed as
# ankle ones read 24-100% so (most above 85%); analysed as shoe ones, at most 6%.
HINT_MIN_CONTACTS = 10
HINT_ODD_SHARE = 0.5


def gravity_ms2(trace: Trace) -> float:
    """What gravity reads in this trace: the length of its mean acceleration (the walk's own motion averages out)."""
    return float(np.linalg.norm(trace.accel_ms2.mean(axis=0)))


def _unit_guess(gravity: float) -> str:
    """What the numbers look like, and what to do about it."""
    if gravity < 0.5:
        return "gravity looks removed; the trace format wants m/s² with gravity included"
    if 0.6 < gravity < 1.6:
        return "ax,ay,az look like g; the trace format wants m/s² (multiply them by 9.80665)"
    if 600 < gravity < 1600:
        return "ax,ay,az look like mg; the trace format wants m/s² (multiply them by 0.00980665)"
    scale = 10.0 ** round(math.log10(gravity / STANDARD_GRAVITY_MS2))
    return f"ax,ay,az look scaled by about {scale:g}; the trace format wants m/s² (divide them by {scale:g})"


def check_gravity(trace: Trace, name: str) -> list[str]:
    """Refuse a trace whose acceleration is in another unit or scaled (InputError); a warning when gravity reads
    somewhat off."""
    gravity = gravity_ms2(trace)
    shown = f"{gravity:.3g}" if gravity >= 0.005 else "0"  # not 1.41e-14 for a trace with gravity removed
    reads = f"{name}: gravity reads {shown} m/s² (ax,ay,az averaged), not about 9.81"
    low, high = GRAVITY_REFUSE_MS2
    if not low <= gravity <= high:
        raise InputError(f"{reads}: {_unit_guess(gravity)}")
    low, high = GRAVITY_WARN_MS2
    if not low <= gravity <= high:
        return [f"warning: {reads}; check the units (m/s²) and the sensor's calibration"]
    return []


def check_rate(trace: Trace, name: str, rate_option_hz: float | None) -> list[str]:
    """Refuse a trace whose sample rate the detector cannot run at, saying why it may be so; a warning when
    ``--rate`` overrides a ``t_s`` that says otherwise."""
    if len(trace) < 2:
        raise InputError(f"{name}: one sample is no walk: a trace needs samples over at least a few seconds")
    from_t_s = trace.rate_hz()
    if rate_option_hz is not None:
        if abs(rate_option_hz - from_t_s) > RATE_MISMATCH_SHARE * from_t_s:
            return [f"warning: {name}: analysed at --rate {rate_option_hz:g} Hz; its t_s says {from_t_s:.4g} Hz"]
        return []
    if from_t_s < MIN_DETECTOR_RATE_HZ:
        hint = "; give --rate HZ if t_s is wrong"
        if from_t_s * 1000 >= MIN_DETECTOR_RATE_HZ:
            hint = "; is t_s in milliseconds? the trace format wants seconds (or give --rate HZ)"
        raise InputError(
            f"{name}: t_s gives {from_t_s:.3g} samples a second, below the detector's lowest rate, "
            f"{MIN_DETECTOR_RATE_HZ:g} Hz{hint}"
        )
    return []


def placement_hint(detection: Detection) -> list[str]:
    """A hint when most contacts land the way walkers rarely do, as they read when the placement is wrong."""
    odd = sum(1 for s in detection.steps if (s.direction, s.strike) in {("forward", "toe"), ("backward", "heel")})
    if detection.contacts < HINT_MIN_CONTACTS or odd <= HINT_ODD_SHARE * len(detection.steps):
        return []
    other = "shoe" if detection.placement == "ankle" else "ankle"
    where = "on the shoe" if other == "shoe" else "above the ankle"
    hint = (
        f"hint: {odd} of {len(detection.steps)} contacts land toe first walking forward or heel first walking"
        f" backward, as walkers rarely do: if the sensor was {where}, give --placement {other}"
    )
    return [hint]
