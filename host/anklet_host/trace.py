"""The trace CSV: one definition of the walk-recording format every tool reads and writes.

A trace is a CSV file whose header starts ``t_s,ax,ay,az``, optionally followed by ``gx,gy,gz``, then any label
columns. Units and frame:

- ``t_s``: seconds, strictly increasing.
- ``ax, ay, az``: acceleration in m/s² with gravity included (standing still, ``az`` is about +9.81).
- ``gx, gy, gz``: angular rate in rad/s.
- Body frame of the instrumented leg: x forward (the way the person faces), y to the left, z up.

Label columns (optional; every tool keeps columns it does not know):

- ``contact``: ``1`` on the sample of each reference initial contact of the instrumented foot, else ``0`` or empty.
- ``direction``: on contact rows, ``forward`` or ``backward``.
- ``strike``: on contact rows, ``heel``, ``toe`` or ``flat`` (empty where the reference does not say).
- ``activity``: free text naming what the wearer was doing (``walking``, ``standing``, ``tapping``, ...).

`anklet record` writes this format, `anklet analyze` and `anklet eval` read it, `anklet synth` generates it.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
import numpy.typing as npt

from anklet_host.errors import InputError

ACCEL_COLUMNS = ("ax", "ay", "az")
GYRO_COLUMNS = ("gx", "gy", "gz")
TIME_COLUMN = "t_s"
LABEL_CONTACT = "contact"
LABEL_DIRECTION = "direction"
LABEL_STRIKE = "strike"
LABEL_ACTIVITY = "activity"
DIRECTIONS = ("forward", "backward")
STRIKES = ("heel", "toe", "flat")

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReferenceContact:
    """A labelled initial contact: the truth a detector is scored against."""

    index: int
    t_s: float
    direction: str | None
    strike: str | None


@dataclass
class Trace:
    """A walk recording in the body frame. ``labels`` maps each label column to one string per row."""

    t_s: FloatArray
    accel_ms2: FloatArray
    gyro_rads: FloatArray | None = None
    labels: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.t_s)
        if self.accel_ms2.shape != (n, 3):
            raise ValueError(f"accel_ms2 must have shape ({n}, 3), not {self.accel_ms2.shape}")
        if self.gyro_rads is not None and self.gyro_rads.shape != (n, 3):
            raise ValueError(f"gyro_rads must have shape ({n}, 3), not {self.gyro_rads.shape}")
        for name, column in self.labels.items():
            if len(column) != n:
                raise ValueError(f"label column {name!r} has {len(column)} rows, the trace {n}")

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0]) if len(self.t_s) > 1 else 0.0

    def rate_hz(self) -> float:
        """The sample rate found from ``t_s`` (median interval, robust to the odd dropped sample)."""
        if len(self.t_s) < 2:
            raise InputError("a trace needs at least two samples to have a sample rate")
        return float(1.0 / np.median(np.diff(self.t_s)))

    def reference_contacts(self) -> list[ReferenceContact]:
        """Contacts marked in the ``contact`` label column, with their direction and strike labels."""
        marks = self.labels.get(LABEL_CONTACT)
        if marks is None:
            return []
        directions = self.labels.get(LABEL_DIRECTION, [""] * len(self))
        strikes = self.labels.get(LABEL_STRIKE, [""] * len(self))
        return [
            ReferenceContact(i, float(self.t_s[i]), directions[i] or None, strikes[i] or None)
            for i, mark in enumerate(marks)
            if mark == "1"
        ]

    def without_gyro(self) -> Trace:
        return Trace(self.t_s, self.accel_ms2, None, self.labels)


def read_trace(path: Path | str) -> Trace:
    """Read a trace CSV; any defect raises InputError naming the file and line."""
    path = Path(path)
    try:
        # utf-8-sig: spreadsheets start a UTF-8 CSV with a byte-order mark, which would stick to the first column.
        with path.open(newline="", encoding="utf-8-sig") as stream:
            return parse_trace(stream, str(path))
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a trace CSV (`anklet eval` reads a folder of them)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file") from None


def _parse_header(header: list[str] | None, name: str) -> tuple[list[str], int]:
    """The column names and how many of them are numeric (4, or 7 with gyro)."""
    if header is None or not any(cell.strip() for cell in header):
        raise InputError(f"{name}:1: empty file: expected a header starting {TIME_COLUMN},{','.join(ACCEL_COLUMNS)}")
    header = [cell.strip() for cell in header]
    required = (TIME_COLUMN, *ACCEL_COLUMNS)
    if len(header) == 1:
        for separator, what in ((";", "semicolons"), ("\t", "tabs")):
            if separator in header[0]:
                raise InputError(f"{name}:1: columns separated by {what}: save the trace as comma-separated CSV")
    if tuple(header[:4]) != required:
        missing = [c for c in required if c not in header]
        what = f"missing column(s) {', '.join(missing)}" if missing else "columns out of order"
        raise InputError(f"{name}:1: {what}: the header must start {','.join(required)}")
    has_gyro = tuple(header[4:7]) == GYRO_COLUMNS
    if not has_gyro and any(c in header for c in GYRO_COLUMNS):
        raise InputError(f"{name}:1: gyro columns must come as gx,gy,gz right after az")
    if len(set(header)) != len(header):
        raise InputError(f"{name}:1: a column name appears twice")
    return header, 7 if has_gyro else 4


def parse_trace(stream: TextIO, name: str = "<trace>") -> Trace:
    reader = csv.reader(stream)
    header, n_numeric = _parse_header(next(reader, None), name)
    has_gyro = n_numeric == 7
    label_names = header[n_numeric:]

    numbers: list[list[float]] = []
    labels: list[list[str]] = [[] for _ in label_names]
    previous_t = -math.inf
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if len(row) != len(header):
            raise InputError(f"{name}:{line}: expected {len(header)} values, found {len(row)}")
        values = []
        for column, cell in zip(header[:n_numeric], row[:n_numeric], strict=True):
            try:
                value = float(cell)
            except ValueError:
                raise InputError(f"{name}:{line}: {column} is not a number: {cell.strip()[:40]!r}") from None
            if not math.isfinite(value):
                raise InputError(f"{name}:{line}: {column} is not a finite number: {cell.strip()!r}")
            values.append(value)
        if values[0] <= previous_t:
            raise InputError(f"{name}:{line}: time goes backward or repeats ({values[0]} s after {previous_t} s)")
        previous_t = values[0]
        numbers.append(values)
        for column_values, cell in zip(labels, row[n_numeric:], strict=True):
            column_values.append(cell.strip())
    if not numbers:
        raise InputError(f"{name}:2: no samples after the header")
    data = np.asarray(numbers, dtype=np.float64)
    return Trace(
        t_s=data[:, 0].copy(),
        accel_ms2=data[:, 1:4].copy(),
        gyro_rads=data[:, 4:7].copy() if has_gyro else None,
        labels=dict(zip(label_names, labels, strict=True)),
    )


def write_trace(path: Path | str, trace: Trace) -> None:
    """Write a trace CSV (floats written exactly: reading it back gives the same numbers)."""
    with Path(path).open("w", newline="", encoding="utf-8") as stream:
        format_trace(stream, trace)


def format_trace(stream: TextIO, trace: Trace) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    header = [TIME_COLUMN, *ACCEL_COLUMNS]
    columns: list[FloatArray] = [trace.t_s, *trace.accel_ms2.T]
    if trace.gyro_rads is not None:
        header += GYRO_COLUMNS
        columns += list(trace.gyro_rads.T)
    header += list(trace.labels)
    writer.writerow(header)
    numeric = np.column_stack(columns).tolist()
    label_rows = zip(*trace.labels.values(), strict=True) if trace.labels else ([] for _ in numeric)
    for values, label_values in zip(numeric, label_rows, strict=True):
        writer.writerow([repr(v) for v in values] + list(label_values))


def trace_to_text(trace: Trace) -> str:
    buffer = io.StringIO()
    format_trace(buffer, trace)
    return buffer.getvalue()
