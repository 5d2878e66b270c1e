"""The detector's training pipeline (tools/train_detector): its integer network is the firmware's, its exporter
wrote the shipped module, and a tiny corpus goes through capture -> fit -> export -> the detector's own calls."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from array import array
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import anklet.detect_mlp
import anklet.detector
from anklet.packets import STRIKE_FLAT, STRIKE_HEEL, STRIKE_TOE
from anklet_host.analysis.detect import detect
from anklet_host.analysis.score import score_trace
from anklet_host.synth import Segment, WalkSpec, generate_walk
from tools.train_detector.capture import N_FEATURES, SWING_FORWARD_MM, SWING_MM_FEATURE, run_detector, swung_forward
from tools.train_detector.corpus import Corpus, WalkSource, build_corpus, match_contacts
from tools.train_detector.export import MODEL_NAMES, WEIGHTS_DIR, module_file, read_module, render, write_module
from tools.train_detector.fit import loro_calls, loro_jobs, run_jobs, shipped_jobs
from tools.train_detector.mlp import (
    FEATURE_CLIP,
    IntModel,
    TrainConfig,
    blend_styles,
    decide,
    fit,
    float_scores,
    integer_scores,
    merge,
    train,
)
from tools.train_detector.scores import figures, predict, shipped_calls
from tools.train_detector.tune import VALIDATION_FIRST_SEED, split


def random_model(rng: np.random.Generator, n_in: int, hidden: int) -> IntModel:
    return IntModel(
        columns=rng.choice(N_FEATURES, n_in, replace=False).astype(np.int64),
        mean=rng.integers(-8191, 8192, n_in),
        scale=rng.integers(1, 32768, n_in),
        w1=rng.integers(-4095, 4096, (n_in, hidden)),
        b1=rng.integers(-(1 << 18), 1 << 18, hidden),
        w2=rng.integers(-4095, 4096, (hidden, 4)),
        b2=rng.integers(-(1 << 22), 1 << 22, 4),
    )


def firmware_scores(folder: Path, name: str, features: np.ndarray) -> np.ndarray:
    """The scores the firmware's `scores` computes on the written weights module, row by row."""
    spec = importlib.util.spec_from_file_location("_written_mlp_weights", folder / module_file(name))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.MODEL
    hidden = array("i", bytes(4 * anklet.detect_mlp.hidden_units(model)))
    out = array("i", bytes(16))
    rows = []
    for row in features.tolist():
        anklet.detect_mlp.scores(model, array("h", row), hidden, out)
        rows.append(list(out))
    return np.array(rows, dtype=np.int64)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n_in=st.integers(1, N_FEATURES), hidden=st.integers(1, 32))
def test_written_module_scores_equal_the_numpy_integer_forward(
    tmp_path: Path, seed: int, n_in: int, hidden: int
) -> None:
    rng = np.random.default_rng(seed)
    models = {name: random_model(rng, n_in, hidden) for name in MODEL_NAMES}
    path = write_module(models, tmp_path / "mlp_weights")
    assert read_module(path) == models
    features = rng.integers(-FEATURE_CLIP, FEATURE_CLIP + 1, (20, N_FEATURES))
    features[0] = FEATURE_CLIP  # the clips (8 sd, the hidden ceiling) are reached
    features[1] = -FEATURE_CLIP
    for name, model in models.items():
        assert np.array_equal(firmware_scores(path, name, features), integer_scores(model, features))


def test_models_that_could_overflow_a_small_int_are_refused() -> None:
    rng = np.random.default_rng(1)
    models = {name: random_model(rng, 24, 16) for name in MODEL_NAMES}
    models["SHOE_ACC"] = dataclasses.replace(models["SHOE_ACC"], b2=np.array([1 << 30, 0, 0, 0]))
    with pytest.raises(ValueError, match="SHOE_ACC: its worst-case sums reach 2"):
        render(models)


def test_decision_rule_largest_score_and_ties() -> None:
    # direction, heel, toe, flat (Q14)
    scores = np.array(
        [
            [-1, 100, 150, 0],  # forward, toe first
            [1, 100, 150, 0],  # backward, toe first
            [1, 100, 100, 100],  # all tied -> heel
            [1, 0, 100, 100],  # toe and flat tied above heel -> toe
            [0, 0, 0, 5],  # direction 0 is forward; flat wins
        ]
    )
    backward, strike = decide(scores)
    assert backward.tolist() == [0, 1, 1, 1, 0]
    assert strike.tolist() == [STRIKE_TOE, STRIKE_TOE, STRIKE_HEEL, STRIKE_TOE, STRIKE_FLAT]
    # A swing that clearly went forward makes the stride forward, whatever its landing says; the strike stays.
    swung = np.array([False, True, False, True, True])
    backward, strike = decide(scores, swung)
    assert backward.tolist() == [0, 0, 1, 0, 0]
    assert strike.tolist() == [STRIKE_TOE, STRIKE_TOE, STRIKE_HEEL, STRIKE_TOE, STRIKE_FLAT]


def test_strike_style_blends_each_stride_with_the_walk_before_it_per_direction() -> None:
    # direction, heel, toe, flat (Q14), in the detector's order
    scores = np.array(
        [[-1, 400, 0, 0], [-1, 0, 800, 0], [1, 0, 0, 100], [-1, 0, 0, 40], [-1, 0, 0, 40], [-1, 0, 0, 40]]
    )
    fresh = np.array([True, False, False, False, False, True])
    blended = blend_styles(scores, np.array([0, 0, 1, 0, 0, 0]), fresh)
    assert blended.tolist() == [
        [-1, 400, 0, 0],  # the walk's first stride: its own scores; they are the style
        [-1, 100, 600, 0],  # a one-stride style weighs a quarter; the style becomes the mean (200, 400, 0)
        [1, 0, 0, 100],  # the first backward stride: its own
        [-1, 100, 200, 20],  # half its own, half the style; the style: the mean of three, (134, 267, 13)
        [-1, 67, 133, 26],  # half and half again; from here each new stride weighs a quarter: (101, 201, 20)
        [-1, 0, 0, 40],  # a new walk: its own again
    ]
    backward, strike = decide(scores, None, fresh)
    # The flat landings read as the walk's toe-first strikes.
    assert strike.tolist() == [STRIKE_HEEL, STRIKE_TOE, STRIKE_FLAT, STRIKE_TOE, STRIKE_TOE, STRIKE_FLAT]
    assert backward.tolist() == [0, 0, 1, 0, 0, 0]


def test_swung_forward_follows_the_detectors_threshold_per_placement() -> None:
    features = np.zeros((4, N_FEATURES), dtype=np.int16)
    shoe, ankle = SWING_FORWARD_MM["shoe"], SWING_FORWARD_MM["ankle"]
    assert (shoe, ankle) == (int(anklet.detector._SWING_FORWARD_SHOE_MM), int(anklet.detector._SWING_FORWARD_ANKLE_MM))
    assert shoe < ankle
    features[:, SWING_MM_FEATURE] = [shoe, shoe + 1, shoe + 1, ankle + 1]
    placements = np.array(["shoe", "shoe", "ankle", "ankle"])
    assert swung_forward(features, placements).tolist() == [False, True, False, True]


def test_the_committed_modules_are_the_exporters_output() -> None:
    """Parsing the shipped weights and writing them again gives the very same bytes, formatted as ruff leaves it."""
    texts = render(read_module(WEIGHTS_DIR))
    assert sorted(texts) == sorted(p.name for p in WEIGHTS_DIR.glob("*.py") if p.name != "__init__.py")
    ruff = Path(sys.executable).parent / "ruff"
    for name, text in texts.items():
        assert (WEIGHTS_DIR / name).read_text(encoding="utf-8") == text
        done = subprocess.run(
            [str(ruff), "format", "--diff", "--stdin-filename", str(WEIGHTS_DIR / name), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout


SHORT_WALK = [
    Segment(kind="stand", duration_s=2.0),
    Segment(kind="walk", direction="forward", strike="heel", speed_m_s=1.1, duration_s=14.0),
    Segment(kind="walk", direction="backward", strike="toe", speed_m_s=0.4, duration_s=16.0),
    Segment(kind="tap", duration_s=8.0),
    Segment(kind="walk", direction="forward", strike="toe", speed_m_s=0.9, duration_s=10.0),
]


def short_walk(placement: str, seed: int) -> WalkSource:
    trace = generate_walk(WalkSpec(segments=SHORT_WALK, placement=placement, rate_hz=100.0, seed=seed, gyro=True))
    group = "synth" if seed < 100 else f"recording-{seed}"
    return WalkSource(f"tiny-{placement}-{seed}", placement, group, trace=trace)


@pytest.fixture(scope="module")
def tiny() -> tuple[Corpus, Corpus, list[WalkSource]]:
    synthetic_sources = [short_walk("ankle", 1), short_walk("shoe", 2)]
    real_sources = [short_walk("shoe", 101), short_walk("shoe", 102)]  # stand-ins for two real recordings
    return build_corpus(synthetic_sources, workers=1), build_corpus(real_sources, workers=1), synthetic_sources


def test_corpus_scores_as_anklet_eval_does(tiny: tuple[Corpus, Corpus, list[WalkSource]]) -> None:
    synthetic, _, sources = tiny
    for k, source in enumerate(sources):
        trace = source.load()
        for mode in ("acc", "gyro"):
            rows = synthetic.select((synthetic.walk == k) & (synthetic.gyro == (mode == "gyro")))
            ours = figures(rows, shipped_calls(rows))
            theirs = score_trace(trace, detect(trace, source.placement, use_gyro=mode == "gyro").steps)
            assert ours.references == theirs.references > 20
            assert (ours.detections, ours.matched) == (theirs.detections, theirs.matched)
            assert (ours.direction_right, ours.strike_right) == (theirs.direction_right, theirs.strike_right)
            assert ours.heel_called_toe == theirs.heel_called_toe
    # The shipped weights' calls recomputed from the captured features: the features are the detector's.
    for name, model in read_module(WEIGHTS_DIR).items():
        placement, mode = MODEL_NAMES[name]
        rows = synthetic.select(synthetic.rows_of(placement, mode))
        detected = rows.detected
        assert detected.sum() > 20
        for recomputed, made in zip(predict(rows, model), shipped_calls(rows), strict=True):
            assert np.array_equal(recomputed[detected], made[detected])


def test_tiny_corpus_fits_exports_and_the_detector_calls_as_predicted(
    tiny: tuple[Corpus, Corpus, list[WalkSource]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthetic, real, sources = tiny
    config = TrainConfig(hidden=6, iterations=40)
    shipped = shipped_jobs(synthetic, real, config)
    loro = loro_jobs(synthetic, real, config)
    assert [j.label for j in loro] == [f"loro {m} recording-{s}" for m in ("acc", "gyro") for s in (101, 102)]
    # Each leave-one-out fit sees the synthetic rows and the other recording's, never its own.
    own = (real.walk_group[real.walk] == "recording-101") & real.detected & real.is_reference & ~real.gyro
    assert len(loro[0].x) == len(shipped[2].x) - int(own.sum())
    models = run_jobs([*shipped, *loro], workers=1)
    assert run_jobs(shipped, workers=1) == models[: len(shipped)]  # deterministic
    new = {job.label: model for job, model in zip(shipped, models, strict=False)}
    path = write_module(new, tmp_path / "mlp_weights")
    assert read_module(path) == new
    calls = loro_calls(real, loro, models[len(shipped) :])
    assert set(calls) == {"acc", "gyro"}
    assert (calls["acc"][0][real.detected & ~real.gyro] >= 0).all()
    # The firmware detector, running the written weights, calls every contact as the numpy forward predicts.
    written = {name.lower(): read_module_tuple(path, name) for name in MODEL_NAMES}
    monkeypatch.setattr(anklet.detector, "load_model", written.__getitem__)
    for k, source in enumerate(sources):
        for mode in ("acc", "gyro"):
            name = f"{source.placement.upper()}_{mode.upper()}"
            found = run_detector(source.load(), source.placement, use_gyro=mode == "gyro")
            swung = swung_forward(found.features, np.array([source.placement] * len(found.features)))
            scores = integer_scores(new[name], found.features)
            direction, strike = decide(scores, swung, found.fresh)
            assert found.reported.sum() > 20
            assert found.fresh[0]
            assert found.direction.tolist() == direction.tolist()
            assert found.strike.tolist() == strike.tolist()
            rows = synthetic.select(
                (synthetic.walk == k) & (synthetic.gyro == (mode == "gyro")) & (synthetic.order >= 0)
            )
            assert sorted(map(tuple, rows.features.tolist())) == sorted(map(tuple, found.features.tolist()))


def read_module_tuple(path: Path, name: str) -> tuple[tuple[int, ...], ...]:
    model = read_module(path)[name]
    parts = (model.columns, model.mean, model.scale, model.w1, model.b1, model.w2, model.b2)
    return tuple(tuple(int(v) for v in part.reshape(-1)) for part in parts)


def test_matching_is_one_to_one_closest_first() -> None:
    # Two detections near one reference: the closer one takes it; the other is 0.16 s from the next (too far).
    assert match_contacts([1.0, 2.0], [0.95, 1.02, 1.84]) == {1: 0}
    assert match_contacts([1.0, 1.25], [1.125]) == {0: 0}  # a tie goes to the earlier reference
    assert match_contacts([], [1.0]) == {}


def test_recipe_weights_rows_by_real_weight_and_true_strike(tiny: tuple[Corpus, Corpus, list[WalkSource]]) -> None:
    synthetic, real, _ = tiny
    config = TrainConfig(hidden=4, iterations=1, real_weight=7.0, strike_weight=(3.0, 1.0, 0.5))
    job = shipped_jobs(synthetic, real, config)[2]  # SHOE_ACC: synthetic rows, then the real ones
    n_synth = int((synthetic.rows_of("shoe", "acc") & synthetic.is_reference & synthetic.detected).sum())
    per_strike = np.array([{STRIKE_HEEL: 3.0, STRIKE_TOE: 1.0, STRIKE_FLAT: 0.5}[s] for s in job.strike.tolist()])
    assert np.array_equal(job.row_weight[:n_synth], per_strike[:n_synth])
    assert np.array_equal(job.row_weight[n_synth:], 7.0 * per_strike[n_synth:])
    # The short walk has heel and toe strikes: both weights are used.
    assert set(job.strike.tolist()) == {STRIKE_HEEL, STRIKE_TOE}


def test_tuning_split_keeps_validation_walks_apart() -> None:
    seeds = np.array([0, 149, 150, 199])
    rows = 3
    corpus = Corpus(
        walk_name=np.array([f"w{s}" for s in seeds]),
        walk_placement=np.array(["ankle", "shoe", "shoe", "ankle"]),
        walk_group=np.array(["synth"] * 4),
        walk_seed=seeds,
        walk_activity_s=np.zeros((4, 2)),
        walk=np.repeat(np.arange(4, dtype=np.int32), rows),
        gyro=np.tile(np.array([False, True, False]), 4),
        t_s=np.arange(12, dtype=np.float64),
        is_reference=np.ones(12, dtype=bool),
        detected=np.ones(12, dtype=bool),
        activity=np.zeros(12, dtype=np.int8),
        ref_direction=np.zeros(12, dtype=np.int8),
        ref_strike=np.zeros(12, dtype=np.int8),
        det_direction=np.zeros(12, dtype=np.int8),
        det_strike=np.zeros(12, dtype=np.int8),
        features=np.zeros((12, N_FEATURES), dtype=np.int16),
        order=np.arange(12, dtype=np.int32),
        fresh=np.zeros(12, dtype=bool),
    )
    fit_on, validation = split(corpus)
    assert sorted(set(fit_on.walk_seed[fit_on.walk].tolist())) == [0, 149]
    assert sorted(set(validation.walk_seed[validation.walk].tolist())) == [150, 199]
    assert VALIDATION_FIRST_SEED == 150


def test_merged_fits_score_the_mean_of_their_logits() -> None:
    """`TrainConfig.members`: the fits from different random starts become one wider network whose logits are their
    mean, so the firmware runs an averaged ensemble with its single-network `scores`."""
    rng = np.random.default_rng(3)
    x = rng.normal(0, 100, (300, 5))
    backward = x[:, 0] > 0
    strike = STRIKE_HEEL + (x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 80)
    config = TrainConfig(hidden=6, iterations=40)
    fits = [train(x, backward, strike, dataclasses.replace(config, seed=s)) for s in (7, 8, 9)]
    merged = fit(x, backward, strike, dataclasses.replace(config, seed=7, members=3))
    assert merged.w1.shape == (5, 18)
    assert merged.w2.shape == (18, 4)
    expected = np.mean([float_scores(f, x) for f in fits], axis=0)
    assert np.allclose(float_scores(merged, x), expected, atol=1e-4)
    assert not np.allclose(float_scores(fits[0], x), expected, atol=1e-2)  # the members do differ
    with pytest.raises(ValueError, match="same rows"):
        merge([fits[0], train(x[:200], backward[:200], strike[:200], config)])
