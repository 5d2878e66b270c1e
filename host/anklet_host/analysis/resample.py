"""Anti-aliased resampling of traces sampled faster than the detector accepts (lab systems record up to 1 kHz)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from anklet_host.trace import Trace

FloatArray = npt.NDArray[np.float64]
MAX_DETECTOR_RATE_HZ = 400.0
TARGET_RATE_HZ = 200.0
# Pass band edge as a fraction of the new Nyquist frequency; gait energy sits well below it.
_CUTOFF_FRACTION = 0.8
_TAPS_PER_RATIO = 16


def lowpass_kernel(rate_hz: float, cutoff_hz: float) -> FloatArray:
    """A Blackman-windowed sinc FIR low-pass with unity DC gain, long enough for the transition band."""
    ratio = rate_hz / cutoff_hz
    half = int(np.ceil(_TAPS_PER_RATIO * ratio / 2))
    n = np.arange(-half, half + 1, dtype=np.float64)
    kernel: FloatArray = np.sinc(2.0 * cutoff_hz / rate_hz * n) * np.blackman(len(n))
    return kernel / float(kernel.sum())


def _filter_columns(values: FloatArray, kernel: FloatArray) -> FloatArray:
    half = len(kernel) // 2
    # Edge padding keeps gravity at the ends instead of pulling it toward zero.
    padded = np.pad(values, ((half, half), (0, 0)), mode="edge")
    return np.column_stack([np.convolve(padded[:, c], kernel, mode="valid") for c in range(values.shape[1])])


def resample_trace(trace: Trace, target_rate_hz: float = TARGET_RATE_HZ) -> Trace:
    """The trace low-passed below the new Nyquist frequency, then interpolated onto a uniform grid at
    ``target_rate_hz``. Label columns are not carried (a resampled trace is for detection only)."""
    rate_hz = trace.rate_hz()
    kernel = lowpass_kernel(rate_hz, _CUTOFF_FRACTION * target_rate_hz / 2)
    t_new = np.arange(trace.t_s[0], trace.t_s[-1], 1.0 / target_rate_hz)

    def convert(values: FloatArray) -> FloatArray:
        smooth = _filter_columns(values, kernel)
        return np.column_stack([np.interp(t_new, trace.t_s, smooth[:, c]) for c in range(values.shape[1])])

    gyro = convert(trace.gyro_rads) if trace.gyro_rads is not None else None
    return Trace(t_s=t_new, accel_ms2=convert(trace.accel_ms2), gyro_rads=gyro)
