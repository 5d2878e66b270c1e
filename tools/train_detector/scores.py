"""Accuracy figures from a labelled corpus and a set of calls: contact F1, direction, strike, heel called toe, and
false contacts per hour of non-walking movement.

The counting follows `anklet eval` (`anklet_host.analysis.score.Score`): F1 over every detection in scope, direction
and strike over matched contacts whose reference says, heel called toe over matched heel-first references.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from anklet.packets import STRIKE_HEEL, STRIKE_TOE
from anklet_host.analysis.score import Score
from tools.train_detector.capture import swung_forward
from tools.train_detector.corpus import NO_LABEL, OUT_OF_SCOPE, WALKING, Corpus
from tools.train_detector.mlp import IntModel, decide, integer_scores

Calls = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]  # per row: direction, strike (NO_LABEL: no detection)


@dataclass
class Figures(Score):
    """`anklet eval`'s counts (`Score`: F1, direction, strike, heel called toe follow from them) and the false
    contacts in the corpus's non-walking movement."""

    idle_false_contacts: int = 0
    idle_hours: float = 0.0

    @property
    def direction(self) -> float | None:
        return self.direction_accuracy

    @property
    def strike(self) -> float | None:
        return self.strike_accuracy

    @property
    def idle_false_per_hour(self) -> float | None:
        return self.idle_false_contacts / self.idle_hours if self.idle_hours else None

    def as_json(self) -> dict[str, float | int | None]:
        def rounded(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        return {
            "references": self.references,
            "detections": self.detections,
            "matched": self.matched,
            "f1": rounded(self.f1),
            "direction": rounded(self.direction),
            "strike": rounded(self.strike),
            "heel_called_toe": rounded(self.heel_called_toe_rate),
            "heel_contacts": self.heel_contacts,
            "idle_false_contacts": self.idle_false_contacts,
            "idle_false_per_hour": rounded(self.idle_false_per_hour),
        }


def predict(corpus: Corpus, model: IntModel) -> Calls:
    """The direction and strike ``model`` gives each row with a contact, by the detector's decision rule, the strike
    style running through each walk's contacts in the detector's order (select whole walks and modes only)."""
    direction = np.full(len(corpus.t_s), NO_LABEL, dtype=np.int64)
    strike = direction.copy()
    rows = np.flatnonzero(corpus.order >= 0)
    if len(rows):
        rows = rows[np.lexsort((corpus.order[rows], corpus.gyro[rows], corpus.walk[rows]))]
        features = corpus.features[rows]
        swung = swung_forward(features, corpus.walk_placement[corpus.walk[rows]])
        scores = integer_scores(model, features)
        # Each walk and mode's first contact is fresh (the detector starts every run on a new walk).
        d, s = decide(scores, swung, corpus.fresh[rows])
        direction[rows] = d
        strike[rows] = s
    return direction, strike


def shipped_calls(corpus: Corpus) -> Calls:
    """The calls the detector made while the corpus was built (with the weights it shipped then)."""
    return corpus.det_direction.astype(np.int64), corpus.det_strike.astype(np.int64)


def figures(corpus: Corpus, calls: Calls) -> Figures:
    """Figures over all rows of ``corpus`` (select a placement and mode first) with the given calls."""
    direction, strike = calls
    ref = corpus.is_reference
    matched = ref & corpus.detected
    false = ~ref & corpus.detected
    dir_known = matched & (corpus.ref_direction != NO_LABEL)
    strike_known = matched & (corpus.ref_strike != NO_LABEL)
    heel = matched & (corpus.ref_strike == STRIKE_HEEL)
    idle_false = false & (corpus.activity != WALKING) & (corpus.activity != OUT_OF_SCOPE)
    walks = np.unique(corpus.walk)
    idle_s = float(corpus.walk_activity_s[walks][:, WALKING + 1 :].sum()) if len(walks) else 0.0
    return Figures(
        references=int(ref.sum()),
        detections=int(corpus.detected.sum()),
        matched=int(matched.sum()),
        direction_known=int(dir_known.sum()),
        direction_right=int((direction[dir_known] == corpus.ref_direction[dir_known]).sum()),
        strike_known=int(strike_known.sum()),
        strike_right=int((strike[strike_known] == corpus.ref_strike[strike_known]).sum()),
        heel_contacts=int(heel.sum()),
        heel_called_toe=int((strike[heel] == STRIKE_TOE).sum()),
        idle_false_contacts=int(idle_false.sum()),
        idle_hours=idle_s / 3600.0,
    )
