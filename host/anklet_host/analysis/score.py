"""Score detected contacts against a trace's reference labels.

A detection matches a reference contact when they are at most ``TOLERANCE_S`` apart; matching is one-to-one, closest
pairs first. An optional ``scored`` label column (1 where the reference is complete) restricts scoring: references
and detections on rows where it is not 1 are ignored (some recordings label only part of a walk). Direction and
strike accuracy are over matched contacts whose reference labels say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anklet_host.analysis.detect import DetectedStep
from anklet_host.trace import Trace

TOLERANCE_S = 0.15
LABEL_SCORED = "scored"


@dataclass
class Score:
    """Counts from which every figure follows; scores of several traces add up."""

    references: int = 0
    detections: int = 0
    matched: int = 0
    direction_known: int = 0
    direction_right: int = 0
    strike_known: int = 0
    strike_right: int = 0
    heel_contacts: int = 0
    heel_called_toe: int = 0
    timing_error_sum_s: float = 0.0

    def __add__(self, other: Score) -> Score:
        return Score(**{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__})

    @property
    def precision(self) -> float:
        return self.matched / self.detections if self.detections else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.references if self.references else 1.0

    @property
    def f1(self) -> float:
        total = self.detections + self.references
        return 2 * self.matched / total if total else 1.0

    @property
    def count_error(self) -> float:
        """Relative error of the contact count (detections minus references, over references)."""
        return (self.detections - self.references) / self.references if self.references else 0.0

    @property
    def direction_accuracy(self) -> float | None:
        return self.direction_right / self.direction_known if self.direction_known else None

    @property
    def strike_accuracy(self) -> float | None:
        return self.strike_right / self.strike_known if self.strike_known else None

    @property
    def heel_called_toe_rate(self) -> float | None:
        return self.heel_called_toe / self.heel_contacts if self.heel_contacts else None

    @property
    def mean_timing_error_ms(self) -> float | None:
        return 1000 * self.timing_error_sum_s / self.matched if self.matched else None

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "references": self.references,
            "detections": self.detections,
            "matched": self.matched,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "count_error": round(self.count_error, 4),
            "direction_accuracy": _round(self.direction_accuracy),
            "strike_accuracy": _round(self.strike_accuracy),
            "heel_called_toe_rate": _round(self.heel_called_toe_rate),
            "mean_timing_error_ms": _round(self.mean_timing_error_ms, 1),
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def score_trace(trace: Trace, steps: list[DetectedStep]) -> Score:
    """Match ``steps`` to the trace's reference contacts (see the module docstring)."""
    scored_column = trace.labels.get(LABEL_SCORED)
    t_s = trace.t_s

    def in_scope_row(row: int) -> bool:
        return scored_column is None or scored_column[row] == "1"

    references = [r for r in trace.reference_contacts() if in_scope_row(r.index)]
    detections = [s for s in steps if in_scope_row(min(int(np.searchsorted(t_s, s.t_s - 1e-9)), len(t_s) - 1))]
    pairs = sorted(
        (abs(d.t_s - r.t_s), di, ri)
        for di, d in enumerate(detections)
        for ri, r in enumerate(references)
        if abs(d.t_s - r.t_s) <= TOLERANCE_S
    )
    used_d: set[int] = set()
    used_r: set[int] = set()
    score = Score(references=len(references), detections=len(detections))
    for dt, di, ri in pairs:
        if di in used_d or ri in used_r:
            continue
        used_d.add(di)
        used_r.add(ri)
        ref, found = references[ri], detections[di]
        score.matched += 1
        score.timing_error_sum_s += dt
        if ref.direction:
            score.direction_known += 1
            score.direction_right += ref.direction == found.direction
        if ref.strike:
            score.strike_known += 1
            score.strike_right += ref.strike == found.strike
            if ref.strike == "heel":
                score.heel_contacts += 1
                score.heel_called_toe += found.strike == "toe"
    return score
