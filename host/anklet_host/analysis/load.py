"""A fast reader for long trace CSVs (an hour at 100 Hz is 360,000 rows) for detection.

It parses the numeric columns with numpy's C reader; any defect (bad header, text in a number, time going backward,
an empty file) sends the file through `anklet_host.trace.read_trace`, the one definition of the format, which raises
the InputError naming the file and line. Label columns are not read here.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np

from anklet_host.trace import ACCEL_COLUMNS, GYRO_COLUMNS, TIME_COLUMN, Trace, read_trace


def _numeric_columns(path: Path) -> int | None:
    """4 or 7 when the header is plainly valid, else None (read_trace then says what is wrong)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:  # a spreadsheet's byte-order mark, as read_trace
            header = [cell.strip() for cell in next(csv.reader(stream), [])]
    except (OSError, UnicodeDecodeError):
        return None
    if tuple(header[:4]) != (TIME_COLUMN, *ACCEL_COLUMNS) or len(set(header)) != len(header):
        return None
    if tuple(header[4:7]) == GYRO_COLUMNS:
        return 7
    return None if any(c in header for c in GYRO_COLUMNS) else 4


def read_trace_fast(path: Path | str) -> Trace:
    """The trace's numeric columns; equal to `read_trace` on those, raising its errors on bad input."""
    path = Path(path)
    n_numeric = _numeric_columns(path)
    if n_numeric is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                data = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(n_numeric), ndmin=2, quotechar='"')
        except (ValueError, UserWarning):
            data = None
        if data is not None and len(data) and np.isfinite(data).all() and (np.diff(data[:, 0]) > 0).all():
            return Trace(
                t_s=data[:, 0].copy(),
                accel_ms2=data[:, 1:4].copy(),
                gyro_rads=data[:, 4:7].copy() if n_numeric == 7 else None,
            )
    full = read_trace(path)
    return Trace(full.t_s, full.accel_ms2, full.gyro_rads)
