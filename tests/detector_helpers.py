"""Hand-built walks for the detector tests: the integer stride signal of `anklet_host.analysis.bench` as counts and
as trace CSVs (m/s², body frame), with the sample index of every landing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anklet_host.analysis.bench import make_walk_counts
from anklet_host.analysis.detect import ACCEL_LSB_PER_G, STANDARD_GRAVITY_MS2
from anklet_host.trace import Trace, write_trace

STAND_S = 3


def landing_indices(rate_hz: int, strides: int) -> list[int]:
    """Each stride of the hand-built walk starts with its landing impact."""
    stride_n = rate_hz * 11 // 10
    return [k * stride_n for k in range(1, strides)]


def stand_walk_stand(rate_hz: int, strides: int) -> tuple[list[int], list[int], list[int], list[int]]:
    """Counts of standing, ``strides`` strides, a last landing and its stance, standing again; and the true index of
    every landing that ends a swing (``strides`` of them)."""
    stride_n = rate_hz * 11 // 10
    stance_n = rate_hz * 6 // 10
    ax, ay, az = make_walk_counts(rate_hz, strides + 1)
    begin = rate_hz // 25  # the first stride starts from standing, not from a landing
    end = strides * stride_n + stance_n
    stand = STAND_S * rate_hz
    truth = [stand - begin + k * stride_n for k in range(1, strides + 1)]
    still = [0] * stand
    upright = [2048] * stand
    return still + ax[begin:end] + still, still + ay[begin:end] + still, upright + az[begin:end] + upright, truth


def walk_trace(rate_hz: int, strides: int, *, with_gyro: bool = False, labels: bool = True) -> Trace:
    ax, ay, az = make_walk_counts(rate_hz, strides)
    counts = np.column_stack([ax, ay, az]).astype(np.float64)
    n = len(ax)
    gyro = np.zeros((n, 3)) if with_gyro else None
    trace_labels: dict[str, list[str]] = {}
    if labels:
        contact = [""] * n
        for i in landing_indices(rate_hz, strides):
            contact[i] = "1"
        trace_labels["contact"] = contact
    return Trace(
        t_s=np.arange(n) / rate_hz,
        accel_ms2=counts * STANDARD_GRAVITY_MS2 / ACCEL_LSB_PER_G,
        gyro_rads=gyro,
        labels=trace_labels,
    )


def write_walk(path: Path, rate_hz: int = 100, strides: int = 20, **kwargs: bool) -> Path:
    write_trace(path, walk_trace(rate_hz, strides, **kwargs))
    return path
