"""The accuracy table in the README's form, and every figure as one JSON object.

Rows: the real shoe recordings (direction and strike from leave-one-recording-out fits; contact F1 needs no fit),
then synthetic held-out walks per placement (accelerometer only / with gyro), then false contacts per hour of
non-walking movement on the held-out walks.
"""

from __future__ import annotations

from collections.abc import Mapping

from tools.train_detector.corpus import MODES, Corpus
from tools.train_detector.export import MODEL_NAMES
from tools.train_detector.mlp import IntModel
from tools.train_detector.scores import Calls, Figures, figures, predict

HEADER = "| data | contact F1 | direction | strike | heel called toe |\n| --- | --- | --- | --- | --- |"


def percent(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def held_out_figures(held: Corpus, models: Mapping[str, IntModel]) -> dict[str, Figures]:
    """Figures per model name on the held-out synthetic walks."""
    out = {}
    for name, (placement, mode) in MODEL_NAMES.items():
        rows = held.select(held.rows_of(placement, mode))
        out[name] = figures(rows, predict(rows, models[name]))
    return out


def real_figures(real: Corpus, calls_by_mode: Mapping[str, Calls]) -> dict[str, Figures]:
    """Figures per mode on the real shoe recordings with the given (leave-one-recording-out) calls."""
    out = {}
    for mode in MODES:
        keep = real.rows_of("shoe", mode)
        direction, strike = calls_by_mode[mode]
        out[mode] = figures(real.select(keep), (direction[keep], strike[keep]))
    return out


def real_by_recording(real: Corpus, calls_by_mode: Mapping[str, Calls]) -> dict[str, Figures]:
    """`real_figures` of each recording alone, keyed "MODE RECORDING"."""
    out = {}
    for group in sorted(set(real.walk_group.tolist())):
        keep = real.walk_group[real.walk] == group
        calls = {mode: (d[keep], s[keep]) for mode, (d, s) in calls_by_mode.items()}
        out.update({f"{mode} {group}": f for mode, f in real_figures(real.select(keep), calls).items()})
    return out


def table(real: Mapping[str, Figures] | None, held: Mapping[str, Figures]) -> str:
    """The README table; without ``real``, its synthetic rows only."""
    lines = [HEADER]
    for mode, label in (("acc", "accelerometer only"), ("gyro", "with gyro")):
        if real is None:
            break
        f = real[mode]
        lines.append(
            f"| real shoe, {label}* | {f.f1:.3f} | {percent(f.direction)} | {percent(f.strike)} "
            f"| {percent(f.heel_called_toe_rate)} |"
        )
    for placement in ("ankle", "shoe"):
        acc, gyro = held[f"{placement.upper()}_ACC"], held[f"{placement.upper()}_GYRO"]
        f1 = f"{acc.f1:.3f}" if acc.f1 == gyro.f1 else f"{acc.f1:.3f} / {gyro.f1:.3f}"
        lines.append(
            f"| synthetic held-out, {placement}, accel / gyro | {f1} "
            f"| {percent(acc.direction)} / {percent(gyro.direction)} "
            f"| {percent(acc.strike)} / {percent(gyro.strike)} "
            f"| {percent(acc.heel_called_toe_rate, 2)} / {percent(gyro.heel_called_toe_rate, 2)} |"
        )
    idle = []
    for placement in ("ankle", "shoe"):
        f = held[f"{placement.upper()}_ACC"]
        idle.append(f"{placement} {f.idle_false_contacts} in {f.idle_hours:.2f} h")
    lines += ["", f"Non-walking movement on the held-out walks: {'; '.join(idle)} (false contacts)."]
    if real:
        acc = real["acc"]
        lines.append(
            f"Real: {acc.references} reference contacts, {acc.detections} detections, "
            f"{acc.heel_called_toe} of {acc.heel_contacts} heel strikes called toe-first (accelerometer only)."
        )
    return "\n".join(lines)


def figures_json(sections: Mapping[str, Mapping[str, Figures]]) -> dict[str, dict[str, dict[str, float | int | None]]]:
    return {section: {k: f.as_json() for k, f in figs.items()} for section, figs in sections.items()}
