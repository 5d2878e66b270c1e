"""Impact transients: the short deceleration when a foot meets the ground, as the IMU feels it.

The kinematic model lands the foot smoothly; the last part of the landing (the contact point's velocity ``dv``
brought to zero by the ground within tens of milliseconds) is added here as an acceleration pulse whose area is
exactly that velocity change, so a harder or faster landing gives a proportionally larger pulse. A half-sine pulse
of length ``duration_s`` has peak ``pi * dv / (2 * duration_s)``: a heel strike (about 0.5 m/s stopped while the
heel pad and the sole compress, some 50 ms, as the impact peak of the ground reaction force comes 20-50 ms after
contact) peaks near 1.6 g; a toe-first landing cushioned by the calf over 60 ms at well under 1 g. Soft tissue and
the strap then ring briefly (a damped oscillation of zero net velocity change).

The kinematic path brakes the foot to rest by itself just before contact; a real foot is still falling when the
ground stops it. With ``approach_s`` a pulse of the opposite vertical area is added over that time before contact,
undoing the path's own vertical braking there: the foot meets the ground at ``dv`` and the ground, not the swing,
takes it to rest (upward acceleration at impact, downward just before). The horizontal braking stays in the swing,
where the hamstrings do it. The two pulses cancel in velocity, so positions move by well under a centimetre.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def add_impact(
    extra_acc_ms2: FloatArray,
    t_s: FloatArray,
    *,
    start_s: float,
    dv_up_m_s: float,
    dv_prog_m_s: float,
    duration_s: float,
    ring_hz: float,
    ring_share: float,
    approach_s: float = 0.0,
) -> None:
    """Add one landing at ``start_s`` to ``extra_acc_ms2`` (heading frame, rows at times ``t_s``).

    ``dv_up_m_s``: upward velocity change (the downward landing speed stopped); ``dv_prog_m_s``: velocity change
    along the walking direction (negative brakes a foot that was moving forward). ``approach_s`` > 0: the foot
    arrives still moving (see the module docstring), so over that time before contact the smooth path's own
    braking is undone by a pulse of the opposite area.
    """
    if approach_s > 0:
        lo, hi = np.searchsorted(t_s, [start_s - approach_s, start_s])
        if hi > lo:
            before = np.sin(math.pi * np.clip((t_s[lo:hi] - start_s + approach_s) / approach_s, 0.0, 1.0))
            before *= math.pi / (2.0 * approach_s)
            extra_acc_ms2[lo:hi, 2] -= before * dv_up_m_s
    ring_s = 4.0 / ring_hz if ring_share > 0 else 0.0
    lo, hi = np.searchsorted(t_s, [start_s, start_s + duration_s + ring_s])
    if hi <= lo:
        return
    local = t_s[lo:hi] - start_s
    inside = local < duration_s
    pulse = np.where(inside, np.sin(math.pi * np.clip(local / duration_s, 0.0, 1.0)), 0.0)
    peak_per_dv = math.pi / (2.0 * duration_s)
    shape = pulse * peak_per_dv
    if ring_share > 0:
        after = np.clip(local - duration_s, 0.0, None)
        omega = 2.0 * math.pi * ring_hz
        # A quickly decaying sine: the strap and soft tissue settling, adding little net velocity.
        ring = -np.sin(omega * after) * np.exp(-after * omega * 0.35) * (~inside)
        shape = shape + ring * ring_share * peak_per_dv
    extra_acc_ms2[lo:hi, 2] += shape * dv_up_m_s
    extra_acc_ms2[lo:hi, 0] += shape * dv_prog_m_s
