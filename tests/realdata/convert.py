"""Converters from the real recordings in ../shared/data to body-frame trace CSVs (shoe placement, one per foot).

Each foot of each recording becomes one `anklet_host.trace.Trace` in the body frame (x toward the toe, y left, z up;
m/s² with gravity, rad/s) with labels: ``contact`` (1 at each reference initial contact), ``direction`` (forward),
``strike`` and ``scored`` (1 where the reference is complete: a labelled contact is never missing inside it).

Strike: heel for gaitmap 2x20m (its README checked every contact against the heel and toe markers) and IPOL (its
README: ordinary forward-walking heel strikes). Gaitmap 4x10m has no markers and its README says nothing about how
the foot lands; its walker lands flat-footed (the shoe is within a few degrees of level at nearly every contact, where
the heel strikers of the other recordings are 15-35 degrees toe up; README "Real data"). Its strike labels therefore
come from the foot's pitch at each reference contact, measured from the recording's own gyro (`foot_pitch_deg`):
heel at `HEEL_MIN_DEG` toe up or more, toe at `TOE_MIN_DEG` toe down or more, flat between. The same rule gives heel
on all 57 marker-checked contacts of gaitmap 2x20m (tests/realdata/test_realdata.py).

Where the sensor frame is not documented, the rotation is estimated from the data alone: the up axis from gravity
during the quietest second before walking, the left axis from the dominant axis of rotation while walking (the foot
pitches about its medio-lateral axis), its sign from late swing (the toe rises before each reference heel strike: a
negative rotation about the left axis), and forward = left x up.

Run as a script to write the traces: ``python -m tests.realdata.convert ../shared/data OUT_DIR``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from anklet_host.trace import Trace, write_trace

FloatArray = npt.NDArray[np.float64]
GAITMAP = "gaitmap-example-data"
IPOL = "ipol-healthy-gait-foot-imu"
IPOL_TRIALS = ("1-1", "2-1", "4-1")
# A labelled stride longer than this many median strides means the reference skipped a contact there.
_GAP_STRIDES = 1.5
# Foot pitch at contact (deg, toe up positive) that makes a strike heel- or toe-first; flat between. Halfway between
# flat (0) and the mildest heel (8) and toe (-7) landings `anklet synth` makes, rounded.
HEEL_MIN_DEG = 8.0
TOE_MIN_DEG = 8.0


def _read_columns(path: Path) -> dict[str, FloatArray]:
    with path.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    header = rows[0]
    data = np.array([[float(cell) if cell.strip() else np.nan for cell in row] for row in rows[1:]], dtype=np.float64)
    return {name: data[:, i] for i, name in enumerate(header)}


def _quiet_start(accel: FloatArray, gyro: FloatArray, rate_hz: float, before: int) -> slice:
    """The quietest one-second window before sample ``before`` (least gyro energy and acceleration spread)."""
    window = round(rate_hz)
    best_score, best_start = np.inf, 0
    for start in range(0, max(1, before - window), max(1, window // 8)):
        seg = slice(start, start + window)
        score = float(np.mean(np.linalg.norm(gyro[seg], axis=1)) + np.mean(np.std(accel[seg], axis=0)))
        if score < best_score:
            best_score, best_start = score, start
    return slice(best_start, best_start + window)


def _walk_onset(gyro_rads: FloatArray, rate_hz: float) -> int:
    """The first sample where the foot turns faster than 1.5 rad/s, less half a second."""
    fast = np.flatnonzero(np.linalg.norm(gyro_rads, axis=1) > 1.5)
    return max(round(rate_hz), int(fast[0]) - round(0.5 * rate_hz))


def estimate_body_rotation(
    accel: FloatArray, gyro_rads: FloatArray, rate_hz: float, walk_start: int, contacts: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Rotation matrix R (rows = body x, y, z in sensor coordinates): body = sensor @ R.T."""
    rest = _quiet_start(accel, gyro_rads, rate_hz, walk_start)
    up = np.mean(accel[rest], axis=0)
    up /= np.linalg.norm(up)
    walking = gyro_rads[walk_start:]
    moving = walking[np.linalg.norm(walking, axis=1) > 1.0]
    # Dominant rotation axis, made horizontal.
    _, _, vt = np.linalg.svd(moving - 0.0, full_matrices=False)
    axis = vt[0] - np.dot(vt[0], up) * up
    axis /= np.linalg.norm(axis)
    # Late swing lifts the toe before every heel strike: a negative rotation about the left axis.
    late_swing = np.concatenate([np.arange(c - round(0.25 * rate_hz), c - round(0.02 * rate_hz)) for c in contacts])
    if np.mean(gyro_rads[late_swing] @ axis) > 0:
        axis = -axis
    left = axis
    forward = np.cross(left, up)
    forward /= np.linalg.norm(forward)
    left = np.cross(up, forward)
    return np.vstack([forward, left, up])


def foot_pitch_deg(gyro_rads: FloatArray, rate_hz: float, contacts: npt.NDArray[np.int64]) -> FloatArray:
    """The foot's pitch (deg, toe up positive) at each contact, relative to the flat foot of the stance that follows.

    ``gyro_rads`` is in the body frame. Mid-stance is the quietest 50 ms (least rotation) 0.1-0.6 s after the
    contact; the pitch rate about the left axis (positive: toe going down) integrated from the contact to there is
    the toe-up angle the foot had to lose to lie flat.
    """
    speed = np.linalg.norm(gyro_rads, axis=1)
    width = max(3, round(0.05 * rate_hz))
    smooth = np.convolve(speed, np.ones(width) / width, mode="same")
    out = np.empty(len(contacts))
    for k, contact in enumerate(contacts):
        lo = int(contact) + round(0.1 * rate_hz)
        hi = min(len(speed), int(contact) + round(0.6 * rate_hz))
        mid_stance = lo + int(np.argmin(smooth[lo:hi]))
        out[k] = np.degrees(np.sum(gyro_rads[int(contact) : mid_stance, 1]) / rate_hz)
    return out


def strike_from_pitch(pitch_deg: float) -> str:
    if pitch_deg >= HEEL_MIN_DEG:
        return "heel"
    if pitch_deg <= -TOE_MIN_DEG:
        return "toe"
    return "flat"


def _labels(
    n: int,
    contacts: npt.NDArray[np.signedinteger[Any]] | list[int],
    scored: npt.NDArray[np.bool_],
    strikes: list[str] | None = None,
) -> dict[str, list[str]]:
    """Label columns; every strike heel unless ``strikes`` gives one per contact."""
    contact = [""] * n
    direction = [""] * n
    strike = [""] * n
    for k, i in enumerate(contacts):
        contact[int(i)] = "1"
        direction[int(i)] = "forward"
        strike[int(i)] = "heel" if strikes is None else strikes[k]
    return {
        "contact": contact,
        "direction": direction,
        "strike": strike,
        "scored": ["1" if s else "0" for s in scored],
    }


def _scored_around(n: int, contacts: npt.NDArray[np.int64], margin: int) -> npt.NDArray[np.bool_]:
    """Scored from ``margin`` samples before the first contact to ``margin`` after the last, minus the middle of any
    gap where the reference skipped a contact (longer than 1.5 median strides)."""
    scored = np.zeros(n, dtype=bool)
    scored[max(0, contacts[0] - margin) : min(n, contacts[-1] + margin + 1)] = True
    gaps = np.diff(contacts)
    median = float(np.median(gaps))
    for start, gap in zip(contacts[:-1], gaps, strict=True):
        if gap > _GAP_STRIDES * median:
            scored[start + margin : start + gap - margin] = False
    return scored


def _trace(t_s: FloatArray, accel: FloatArray, gyro: FloatArray, labels: dict[str, list[str]]) -> Trace:
    return Trace(t_s=t_s.copy(), accel_ms2=accel.copy(), gyro_rads=gyro.copy(), labels=labels)


def gaitmap_traces(data_dir: Path) -> dict[str, Trace]:
    """The two gaitmap recordings, each foot a trace."""
    out: dict[str, Trace] = {}
    base = data_dir / GAITMAP
    # 204.8 Hz: already in the gaitmap foot frame (x toe, y left, z up), gyro in deg/s.
    cols = _read_columns(base / "healthy_2x20m_foot_imu_204.8hz.csv")
    rate_hz = 204.8
    t_s = cols["sample"] / rate_hz
    for side in ("left", "right"):
        accel = np.column_stack([cols[f"{side}_sensor_acc_{a}"] for a in "xyz"])
        gyro = np.radians(np.column_stack([cols[f"{side}_sensor_gyr_{a}"] for a in "xyz"]))
        contacts = np.flatnonzero(cols[f"{side}_mocap_ic"] == 1)
        # Margin of half a stride: the mocap labels every contact of the walk between its first and last one.
        scored = _scored_around(len(t_s), contacts, margin=int(0.5 * np.median(np.diff(contacts))))
        out[f"gaitmap-2x20m-{side}"] = _trace(t_s, accel, gyro, _labels(len(t_s), contacts, scored))
    # 102.4 Hz: frame as stored, not gravity-aligned; only 7 strides per foot labelled (contacts at stride borders).
    cols = _read_columns(base / "healthy_4x10m_foot_imu_102.4hz.csv")
    rate_hz = 102.4
    t_s = cols["sample"] / rate_hz
    for side in ("left", "right"):
        accel = np.column_stack([cols[f"{side}_sensor_acc_{a}"] for a in "xyz"])
        gyro = np.radians(np.column_stack([cols[f"{side}_sensor_gyr_{a}"] for a in "xyz"]))
        starts = np.flatnonzero(cols[f"{side}_mocap_ic_stride_start"] == 1)
        ends = np.flatnonzero(cols[f"{side}_mocap_ic_stride_end"] == 1)
        contacts = np.unique(np.concatenate([starts, ends]))
        rotation = estimate_body_rotation(accel, gyro, rate_hz, _walk_onset(gyro, rate_hz), contacts)
        scored = _scored_around(len(t_s), contacts, margin=int(0.5 * np.median(np.diff(contacts))))
        body_gyro = gyro @ rotation.T
        strikes = [strike_from_pitch(p) for p in foot_pitch_deg(body_gyro, rate_hz, contacts)]
        out[f"gaitmap-4x10m-{side}"] = _trace(
            t_s, accel @ rotation.T, body_gyro, _labels(len(t_s), contacts, scored, strikes)
        )
    return out


def ipol_traces(data_dir: Path) -> dict[str, Trace]:
    """The three IPOL trials, each foot a trace; scored inside the trial window (every footstep is annotated)."""
    out: dict[str, Trace] = {}
    rate_hz = 100.0
    for trial in IPOL_TRIALS:
        cols = _read_columns(data_dir / IPOL / f"{trial}_feet_100hz.csv")
        complete = ~np.isnan(np.column_stack([cols[c] for c in cols if "_Acc_" in c or "_Gyr_" in c])).any(axis=1)
        t_s = cols["row"][complete] / rate_hz
        in_trial = cols["in_trial"][complete] == 1
        walk_start = int(np.flatnonzero(in_trial)[0])
        for side, name in (("lf", "left"), ("rf", "right")):
            accel = np.column_stack([cols[f"{side}_Acc_{a}"][complete] for a in "XYZ"])
            gyro = np.column_stack([cols[f"{side}_Gyr_{a}"][complete] for a in "XYZ"])
            contacts = np.flatnonzero(cols[f"{side}_foot_strike"][complete] == 1)
            rotation = estimate_body_rotation(accel, gyro, rate_hz, walk_start, contacts)
            # The trial window ends at the last foot strike; a little slack after it keeps a late detection of
            # that strike inside the scored span.
            scored = in_trial.copy()
            last = int(np.flatnonzero(in_trial)[-1])
            scored[last : last + round(0.2 * rate_hz)] = True
            out[f"ipol-{trial}-{name}"] = _trace(
                t_s, accel @ rotation.T, gyro @ rotation.T, _labels(len(t_s), contacts, scored)
            )
    return out


def all_traces(data_dir: Path) -> dict[str, Trace]:
    return {**gaitmap_traces(data_dir), **ipol_traces(data_dir)}


def write_all(data_dir: Path, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, trace in all_traces(data_dir).items():
        path = out_dir / f"{name}.csv"
        write_trace(path, trace)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1]), Path(sys.argv[2])):
        print(written)
