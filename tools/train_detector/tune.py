"""``python -m tools.train_detector.tune``: compare training recipes without looking at the held-out seeds.

Each recipe is fitted exactly as the pipeline fits the shipped models, but on synthetic seeds 0-149 only, and scored
on seeds 150-199 (the validation split) and, for the shoe models, on the real recordings through
leave-one-recording-out fits (which never use seeds 150-199 either). The held-out seeds 10000-10039 are not loaded:
they are for the final comparison in ``python -m tools.train_detector`` alone. Needs the corpora cached by a full
pipeline run.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tools.train_detector.corpus import CACHE_DIR, MODES, REPO, Corpus, cached_corpus, real_sources, synthetic_sources
from tools.train_detector.export import MODEL_NAMES
from tools.train_detector.fit import loro_calls, loro_jobs, run_jobs, shipped_jobs
from tools.train_detector.mlp import TrainConfig
from tools.train_detector.scores import Figures, figures, predict

VALIDATION_FIRST_SEED = 150
TRAIN_SEEDS = range(200)  # the pipeline's training corpus, split here into fit and validation walks
# Named recipes: what the sweep compares (the pipeline's default first).
RECIPES: dict[str, TrainConfig] = {
    "default": TrainConfig(),
    "h24": TrainConfig(hidden=24),
    "h32": TrainConfig(hidden=32),
    "h32-real20": TrainConfig(hidden=32, real_weight=20.0),
    "h24-real20": TrainConfig(hidden=24, real_weight=20.0),
    "real10": TrainConfig(real_weight=10.0),
    "h32-real20-heel2": TrainConfig(hidden=32, real_weight=20.0, strike_weight=(2.0, 1.0, 1.0)),
    "h32-real20-it6000": TrainConfig(hidden=32, real_weight=20.0, iterations=6000),
    "h32-real20-l2e3": TrainConfig(hidden=32, real_weight=20.0, l2=1e-3),
    "h32-real40": TrainConfig(hidden=32, real_weight=40.0),
    "single": TrainConfig(shoe_acc_members=1),
    "ens5": TrainConfig(shoe_acc_members=5),
}


def split(train: Corpus) -> tuple[Corpus, Corpus]:
    """The training corpus as (fit walks, validation walks): seeds below / from VALIDATION_FIRST_SEED."""
    validation = train.walk_seed[train.walk] >= VALIDATION_FIRST_SEED
    return train.select(~validation), train.select(validation)


def evaluate(
    name: str, config: TrainConfig, fit_on: Corpus, validation: Corpus, real: Corpus, *, models: Sequence[str]
) -> dict[str, object]:
    """Fit ``models`` by ``config`` on ``fit_on`` (+ real for shoe); their validation and real LORO summaries."""
    shipped = [j for j in shipped_jobs(fit_on, real, config) if j.label in models]
    modes = [m for m in MODES if any(MODEL_NAMES[n] == ("shoe", m) for n in models)]
    loro = [j for j in loro_jobs(fit_on, real, config) if j.label.split(" ")[1] in modes]
    fitted = run_jobs([*shipped, *loro])
    result: dict[str, object] = {"recipe": name, "config": dataclasses.asdict(config)}
    for job, model in zip(shipped, fitted, strict=False):
        rows = validation.select(validation.rows_of(*MODEL_NAMES[job.label]))
        result[f"validation {job.label}"] = summary(figures(rows, predict(rows, model)))
    loro_models = fitted[len(shipped) :]
    for mode in modes:
        mode_jobs = [j for j in loro if j.label.split(" ")[1] == mode]
        mode_models = [m for j, m in zip(loro, loro_models, strict=True) if j.label.split(" ")[1] == mode]
        calls = loro_calls(real, mode_jobs, mode_models)[mode]
        keep = real.rows_of("shoe", mode)
        result[f"real LORO {mode}"] = summary(figures(real.select(keep), (calls[0][keep], calls[1][keep])))
    return result


def summary(f: Figures) -> dict[str, float | int | None]:
    def pct(v: float | None) -> float | None:
        return None if v is None else round(100 * v, 2)

    return {
        "direction": pct(f.direction),
        "strike": pct(f.strike),
        "heel_called_toe": pct(f.heel_called_toe_rate),
        "heel_called_toe_n": f.heel_called_toe,
        "idle_false": f.idle_false_contacts,
    }


def print_result(result: Mapping[str, object]) -> None:
    print(f"== {result['recipe']}: {result['config']}")
    for key, value in result.items():
        if isinstance(value, dict) and key != "config":
            print(
                f"   {key:34s} dir {value['direction']}  strike {value['strike']}  "
                f"heel->toe {value['heel_called_toe']} ({value['heel_called_toe_n']})"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.train_detector.tune", description=__doc__.split("\n\n")[0])
    parser.add_argument("recipes", nargs="*", default=list(RECIPES), help=f"recipes to compare ({', '.join(RECIPES)})")
    parser.add_argument("--models", nargs="*", default=list(MODEL_NAMES), help="which models to fit")
    parser.add_argument("--seed", type=int, nargs="*", default=[0], help="fit seeds (each recipe is fitted with each)")
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    args = parser.parse_args(argv)
    unknown = [r for r in args.recipes if r not in RECIPES]
    if unknown:
        print(f"error: unknown recipe {unknown[0]}", file=sys.stderr)
        return 2
    train = cached_corpus("train", f"seeds {TRAIN_SEEDS}", lambda: synthetic_sources(TRAIN_SEEDS))
    real = cached_corpus("real", f"data {Path(args.data).resolve()}", lambda: real_sources(Path(args.data)))
    fit_on, validation = split(train)
    out = CACHE_DIR / "tune.jsonl"
    for name, seed in [(n, s) for n in args.recipes for s in args.seed]:
        config = dataclasses.replace(RECIPES[name], seed=seed)
        result = evaluate(f"{name} seed {seed}", config, fit_on, validation, real, models=args.models)
        print_result(result)
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(result) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
