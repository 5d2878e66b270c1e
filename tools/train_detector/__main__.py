"""``python -m tools.train_detector [--quick] [--out DIR]``: rebuild `anklet.mlp_weights` and print its figures.

The full run fits on synthetic seeds 0-199 (both placements) plus the real shoe recordings and scores on held-out
seeds 10000-10039 and leave-one-recording-out fits; ``--quick`` uses a few walks and short fits and writes under
``build/`` unless ``--out`` says otherwise. Corpora are cached under ``build/train_detector``. The last line printed
is one JSON object with every figure (also written to ``build/train_detector/figures.json``).
"""

from __future__ import annotations

import os

# One BLAS thread per process: the fits run in parallel processes, and threads on top of them only fight for the
# cores (three times slower on two). Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tools.train_detector.corpus import CACHE_DIR, REPO, cached_corpus, real_sources, synthetic_sources
from tools.train_detector.export import WEIGHTS_DIR, read_module, render, write_module
from tools.train_detector.fit import loro_calls, loro_jobs, run_jobs, shipped_jobs
from tools.train_detector.mlp import TrainConfig
from tools.train_detector.report import figures_json, held_out_figures, real_by_recording, real_figures, table


@dataclass(frozen=True)
class Plan:
    train_seeds: range  # synthetic draws the models are fitted on (never tuned on the held-out ones)
    held_seeds: range
    config: TrainConfig


FULL = Plan(range(200), range(10000, 10040), TrainConfig())
QUICK = Plan(range(12), range(10000, 10004), TrainConfig(iterations=200))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.train_detector", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few walks and short fits (a smoke run)")
    parser.add_argument(
        "--out", type=Path, help="folder for the weights modules (default: the firmware's; --quick: build/)"
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="the real recordings")
    parser.add_argument("--workers", type=int, default=2, help="processes (the result does not depend on it)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    out: Path = args.out or (CACHE_DIR / "mlp_weights_quick" if args.quick else WEIGHTS_DIR)
    if not args.data.is_dir():
        print(f"error: real recordings not found at {args.data} (--data)", file=sys.stderr)
        return 2
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)

    train_seeds, held_seeds, config = plan.train_seeds, plan.held_seeds, plan.config
    synthetic = cached_corpus(
        "train", f"seeds {train_seeds}", lambda: synthetic_sources(train_seeds), workers=args.workers, log=log
    )
    held = cached_corpus(
        "held", f"seeds {held_seeds}", lambda: synthetic_sources(held_seeds), workers=args.workers, log=log
    )
    real = cached_corpus(
        "real", f"data {args.data.resolve()}", lambda: real_sources(args.data), workers=args.workers, log=log
    )
    before = read_module(WEIGHTS_DIR) if WEIGHTS_DIR.is_dir() else None

    shipped = shipped_jobs(synthetic, real, config)
    loro = loro_jobs(synthetic, real, config)
    log(f"fitting {len(shipped)} models and {len(loro)} leave-one-recording-out models ({config})")
    models = run_jobs([*shipped, *loro], workers=args.workers)
    new = {job.label: model for job, model in zip(shipped, models, strict=False)}
    calls = loro_calls(real, loro, models[len(shipped) :])
    previous = {name: (out / name).read_text(encoding="utf-8") for name in render(new) if (out / name).exists()}
    changed = previous != render(new)
    write_module(new, out)
    log(f"wrote {out} ({'changed' if changed else 'unchanged'})")

    held_new = held_out_figures(held, new)
    real_loro = real_figures(real, calls)
    print()
    print(table(real_loro, held_new))
    sections = {"held_out": held_new, "real_loro": real_loro}
    if before is not None:
        held_before = held_out_figures(held, before)
        sections["held_out_previous_weights"] = held_before
        print("\nThe weights before this run, on the same held-out walks:\n")
        print(table(None, held_before))
    sections["real_loro_by_recording"] = real_by_recording(real, calls)
    result = {
        "seconds": round(time.monotonic() - started, 1),
        "module": str(out),
        "changed": changed,
        **figures_json(sections),
    }
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    (CACHE_DIR / "figures.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
