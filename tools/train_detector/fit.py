"""Which network is fitted on what: the four shipped models and the leave-one-recording-out (LORO) fits.

- Ankle models: matched contacts of the synthetic training walks.
- Shoe models: those plus the real shoe recordings, each real contact weighted ``TrainConfig.real_weight`` (there
  are a few hundred of them beside tens of thousands of synthetic ones).
- Every row is also weighted by its true strike (``TrainConfig.strike_weight``).
- The accelerometer-only shoe model, shipped and leave-one-out alike, is the mean of ``TrainConfig.shoe_acc_members``
  fits from different random starts, merged into one wider network (`tools.train_detector.mlp.merge`).
- LORO: for each real recording, a shoe model fitted exactly as the shipped one but without that recording (both
  feet) calls its contacts; those calls give the real-data figures, so no real figure is in-sample.

Accelerometer-only models read the features that need no gyro; gyro models read those and the pitch-rate ones.
Fits run in parallel processes; each is deterministic (fixed seed, full batch), so the result does not depend on
how many.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from tools.train_detector.corpus import NO_LABEL, Corpus
from tools.train_detector.export import MODEL_NAMES
from tools.train_detector.mlp import FloatArray, IntModel, TrainConfig, fit, quantize, strike_one_hot
from tools.train_detector.scores import Calls, predict

# Feature 24, the swing displacement, is no network input: the detector's own rule reads it after the network
# (`tools.train_detector.capture.swung_forward`), so what a flat-footed forward landing looks like cannot outvote it.
ACC_FEATURES = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 18, 19, 20, 21)
GYRO_FEATURES = tuple(range(22))
FEATURES = {"acc": ACC_FEATURES, "gyro": GYRO_FEATURES}


@dataclass(frozen=True)
class FitJob:
    """One network to fit: training rows and their labels."""

    label: str
    columns: tuple[int, ...]
    x: FloatArray
    backward: npt.NDArray[np.bool_]
    strike: npt.NDArray[np.int64]
    row_weight: FloatArray
    config: TrainConfig


def labelled_rows(corpus: Corpus, placement: str, mode: str) -> npt.NDArray[np.bool_]:
    """Matched reference contacts of that placement and mode with both labels known."""
    known = (corpus.ref_direction != NO_LABEL) & (corpus.ref_strike != NO_LABEL)
    rows: npt.NDArray[np.bool_] = corpus.rows_of(placement, mode) & corpus.is_reference & corpus.detected & known
    return rows


def _job(
    label: str,
    placement: str,
    mode: str,
    parts: Sequence[tuple[Corpus, npt.NDArray[np.bool_], float]],
    config: TrainConfig,
) -> FitJob:
    columns = FEATURES[mode]
    if (placement, mode) == ("shoe", "acc"):
        config = replace(config, members=config.shoe_acc_members)
    x = np.vstack([c.features[rows][:, columns] for c, rows, _ in parts]).astype(np.float64)
    return FitJob(
        label=label,
        columns=columns,
        x=x,
        backward=np.concatenate([c.ref_direction[rows] == 1 for c, rows, _ in parts]),
        strike=np.concatenate([c.ref_strike[rows].astype(np.int64) for c, rows, _ in parts]),
        row_weight=np.concatenate(
            [strike_one_hot(c.ref_strike[rows]) @ np.asarray(config.strike_weight) * w for c, rows, w in parts]
        ).astype(np.float64),
        config=config,
    )


def run_job(job: FitJob) -> IntModel:
    return quantize(fit(job.x, job.backward, job.strike, job.config, job.row_weight), job.columns)


def shipped_jobs(synthetic: Corpus, real: Corpus, config: TrainConfig) -> list[FitJob]:
    jobs = []
    for name, (placement, mode) in MODEL_NAMES.items():
        parts = [(synthetic, labelled_rows(synthetic, placement, mode), 1.0)]
        if placement == "shoe":
            parts.append((real, labelled_rows(real, placement, mode), config.real_weight))
        jobs.append(_job(name, placement, mode, parts, config))
    return jobs


def loro_jobs(synthetic: Corpus, real: Corpus, config: TrainConfig) -> list[FitJob]:
    jobs = []
    for mode in FEATURES:
        synth_rows = labelled_rows(synthetic, "shoe", mode)
        for group in sorted(set(real.walk_group.tolist())):
            others = labelled_rows(real, "shoe", mode) & (real.walk_group[real.walk] != group)
            jobs.append(
                _job(
                    f"loro {mode} {group}",
                    "shoe",
                    mode,
                    [(synthetic, synth_rows, 1.0), (real, others, config.real_weight)],
                    config,
                )
            )
    return jobs


def run_jobs(jobs: Sequence[FitJob], workers: int = 2) -> list[IntModel]:
    if workers <= 1 or len(jobs) <= 1:
        return [run_job(j) for j in jobs]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(run_job, jobs, chunksize=1)


def loro_calls(real: Corpus, jobs: Sequence[FitJob], models: Sequence[IntModel]) -> dict[str, Calls]:
    """Per mode, each real row called by the LORO model of its own recording."""
    calls: dict[str, Calls] = {}
    for job, model in zip(jobs, models, strict=True):
        _, mode, group = job.label.split(" ", 2)
        direction, strike = calls.setdefault(
            mode, (np.full(len(real.t_s), NO_LABEL, np.int64), np.full(len(real.t_s), NO_LABEL, np.int64))
        )
        fold = real.walk_group[real.walk] == group
        d, s = predict(real, model)
        direction[fold] = d[fold]
        strike[fold] = s[fold]
    return calls
