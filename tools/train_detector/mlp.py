"""The stride classifier's network: fit in floating point, round to integers, run exactly as the firmware runs it.

One hidden layer of rectified units shared by four outputs: a direction logit (backward when positive) and three
strike logits (heel, toe, flat; softmax). Fitting is full-batch Adam on the logistic + softmax loss with L2 on the
weights and optional per-row weights. The integer form is the one `anklet.detect_mlp.scores` computes:
``z = clip(((x - mean) * scale) >> 12, 8 sd)`` in Q6, weights in Q8, hidden units ``>> 8`` and clipped, outputs in
Q14 (logit * 2**14). `integer_scores` is that arithmetic in numpy, and `decide` is the detector's decision rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from anklet.detector import _STYLE_MEAN_N
from anklet.packets import STRIKE_FLAT, STRIKE_HEEL, STRIKE_TOE

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FEATURE_CLIP = 8191  # the detector clips every feature to this
Z_Q = 6  # standardised inputs in Q6
W_Q = 8  # weights in Q8
SCALE_SHIFT = 12  # z = ((x - mean) * scale) >> 12
Z_CLIP = 8 << Z_Q  # 8 standard deviations
H_CLIP = 1 << 12
WEIGHT_CLIP = 4095
SCALE_MAX = 32767
OUTPUTS = 4  # direction, heel, toe, flat
STRIKE_OUTPUTS = (STRIKE_HEEL, STRIKE_TOE, STRIKE_FLAT)  # what the strike logits (outputs 1-3) stand for, in order
# MicroPython's small ints on the ESP32 are 31-bit: every product and partial sum must stay below this.
SMALL_INT_LIMIT = 1 << 30
STYLE_MEAN_N = int(_STYLE_MEAN_N)  # the walker's strike style: a plain mean of this many strides, then running


@dataclass(frozen=True)
class TrainConfig:
    """The recipe: network size and fit settings, and how rows are weighted (see `tools.train_detector.fit`)."""

    hidden: int = 24
    iterations: int = 3000
    learning_rate: float = 3e-3
    l2: float = 1e-4
    seed: int = 0
    # Each real shoe contact counts this many synthetic ones. 20 rather than 10 with the three-fit shoe model: real
    # leave-one-recording-out strike 86.9% vs 84.6%, heel called toe-first 3.3 vs 3.7 of 159 (mean of three starts),
    # synthetic validation strike the same (94.5%).
    real_weight: float = 20.0
    # Fits averaged into one network (seeds ``seed``, ``seed + 1``, ...; `merge`). The accelerometer-only shoe model's
    # calls on real recordings it never saw swing with its random start (heel strikes called toe-first: 4-6 of 159
    # over three starts, leave-one-recording-out on the validation split), the mean of three fits' less (3-5, and
    # direction and strike better too); the other models are steady with one, and every member costs the board its
    # share of the tables.
    members: int = 1
    shoe_acc_members: int = 3
    strike_weight: tuple[float, float, float] = (1.0, 1.0, 1.0)  # row weight by true strike, STRIKE_OUTPUTS order


@dataclass(frozen=True)
class FloatModel:
    mean: FloatArray
    std: FloatArray
    w1: npt.NDArray[np.float32]  # (inputs, hidden)
    b1: npt.NDArray[np.float32]
    w2: npt.NDArray[np.float32]  # (hidden, 4)
    b2: npt.NDArray[np.float32]


@dataclass(frozen=True)
class IntModel:
    """The integer network as the firmware holds it; ``columns`` are the detector features it reads."""

    columns: IntArray
    mean: IntArray
    scale: IntArray
    w1: IntArray  # (inputs, hidden)
    b1: IntArray
    w2: IntArray  # (hidden, 4)
    b2: IntArray

    @property
    def hidden(self) -> int:
        return len(self.b1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IntModel):
            return NotImplemented
        return all(np.array_equal(getattr(self, k), getattr(other, k)) for k in self.__dataclass_fields__)

    __hash__ = None  # type: ignore[assignment]


def standardise(x: FloatArray, mean: FloatArray, std: FloatArray) -> npt.NDArray[np.float32]:
    return np.clip((x - mean) / std, -8, 8).astype(np.float32)


def train(
    x: FloatArray,
    backward: npt.NDArray[np.bool_],
    strike: npt.NDArray[np.integer],
    config: TrainConfig,
    row_weight: FloatArray | None = None,
) -> FloatModel:
    """Fit the network to features ``x`` (rows, inputs), labels ``backward`` and ``strike`` (``STRIKE_OUTPUTS``)."""
    rng = np.random.default_rng(config.seed)
    x = np.clip(x, -FEATURE_CLIP, FEATURE_CLIP)
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = standardise(x, mean, std)
    n, d = z.shape
    h = config.hidden
    w1 = rng.normal(0, 1 / np.sqrt(d), (d, h)).astype(np.float32)
    b1 = np.zeros(h, np.float32)
    w2 = rng.normal(0, 1 / np.sqrt(h), (h, OUTPUTS)).astype(np.float32)
    b2 = np.zeros(OUTPUTS, np.float32)
    params = [w1, b1, w2, b2]
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    one_hot = strike_one_hot(strike)
    weight = (np.ones(n) if row_weight is None else row_weight).astype(np.float32)
    target = backward.astype(np.float32)
    for it in range(1, config.iterations + 1):
        act = z @ w1 + b1
        hid = np.maximum(act, 0)
        out = hid @ w2 + b2
        with np.errstate(over="ignore"):  # a saturated logit: exp overflows to inf and the sigmoid is exactly 0
            p_backward = 1 / (1 + np.exp(-out[:, 0]))
        logits = out[:, 1:] - out[:, 1:].max(1, keepdims=True)
        p_strike = np.exp(logits)
        p_strike /= p_strike.sum(1, keepdims=True)
        d_out = np.zeros_like(out)
        d_out[:, 0] = (p_backward - target) * weight
        d_out[:, 1:] = (p_strike - one_hot) * weight[:, None]
        d_out /= n
        d_hid = d_out @ w2.T * (act > 0)
        grads = [z.T @ d_hid + config.l2 * w1, d_hid.sum(0), hid.T @ d_out + config.l2 * w2, d_out.sum(0)]
        for i, g in enumerate(grads):
            m1[i] = 0.9 * m1[i] + 0.1 * g
            m2[i] = 0.999 * m2[i] + 0.001 * g * g
            params[i] -= config.learning_rate * (m1[i] / (1 - 0.9**it)) / (np.sqrt(m2[i] / (1 - 0.999**it)) + 1e-8)
    return FloatModel(mean, std, w1, b1, w2, b2)


def fit(
    x: FloatArray,
    backward: npt.NDArray[np.bool_],
    strike: npt.NDArray[np.integer],
    config: TrainConfig,
    row_weight: FloatArray | None = None,
) -> FloatModel:
    """`train` ``config.members`` times from different random starts and `merge` the fits."""
    fits = [
        train(x, backward, strike, replace(config, seed=config.seed + k), row_weight) for k in range(config.members)
    ]
    return fits[0] if len(fits) == 1 else merge(fits)


def merge(models: Sequence[FloatModel]) -> FloatModel:
    """One network whose logits are the mean of ``models``' (fitted on the same rows, so standardised alike): their
    hidden layers side by side, the output weights divided by their number."""
    first = models[0]
    if any(not np.array_equal(m.mean, first.mean) or not np.array_equal(m.std, first.std) for m in models):
        raise ValueError("only fits on the same rows can be merged")
    k = np.float32(len(models))
    return FloatModel(
        first.mean,
        first.std,
        np.concatenate([m.w1 for m in models], axis=1),
        np.concatenate([m.b1 for m in models]),
        (np.concatenate([m.w2 for m in models], axis=0) / k).astype(np.float32),
        (np.sum([m.b2 for m in models], axis=0) / k).astype(np.float32),
    )


def quantize(model: FloatModel, columns: npt.ArrayLike) -> IntModel:
    """The integer network closest to ``model`` (see the module docstring)."""
    scale = np.clip(np.round((1 << SCALE_SHIFT) * 2**Z_Q / model.std), 1, SCALE_MAX)

    def weights(w: npt.NDArray[np.float32]) -> IntArray:
        rounded: IntArray = np.clip(np.round(w * 2**W_Q), -WEIGHT_CLIP, WEIGHT_CLIP).astype(np.int64)
        return rounded

    return IntModel(
        columns=np.asarray(columns, dtype=np.int64),
        mean=np.round(model.mean).astype(np.int64),
        scale=scale.astype(np.int64),
        w1=weights(model.w1),
        b1=np.round(model.b1 * 2 ** (Z_Q + W_Q)).astype(np.int64),
        w2=weights(model.w2),
        b2=np.round(model.b2 * 2 ** (Z_Q + W_Q)).astype(np.int64),
    )


def integer_scores(model: IntModel, features: npt.ArrayLike) -> IntArray:
    """The four Q14 scores of each row of detector ``features`` (rows, all features), as the firmware computes them."""
    x = np.clip(np.asarray(features, dtype=np.int64)[:, model.columns], -FEATURE_CLIP, FEATURE_CLIP)
    z = np.clip(((x - model.mean) * model.scale) >> SCALE_SHIFT, -Z_CLIP, Z_CLIP)
    hidden = np.minimum(np.maximum((z @ model.w1 + model.b1) >> W_Q, 0), H_CLIP)
    return hidden @ model.w2 + model.b2  # type: ignore[no-any-return]


def float_scores(model: FloatModel, x: FloatArray) -> FloatArray:
    """The float network's logits (rows, 4) for features ``x`` (rows, the model's inputs)."""
    z = standardise(np.clip(x, -FEATURE_CLIP, FEATURE_CLIP), model.mean, model.std)
    logits: FloatArray = np.maximum(z @ model.w1 + model.b1, 0) @ model.w2 + model.b2
    return logits


def decide(
    scores: IntArray,
    swung_forward: npt.NDArray[np.bool_] | None = None,
    fresh: npt.NDArray[np.bool_] | None = None,
) -> tuple[IntArray, IntArray]:
    """Direction (1 backward) and strike (``anklet.packets.STRIKE_*``) from Q14 scores, by the detector's rule: a stride
    whose swing clearly carried the foot forward (``swung_forward``, `tools.train_detector.capture.swung_forward`) is
    forward whatever the scores say; the strike scores are blended with the walker's style (`blend_styles`) when the
    rows are one detector's contacts in order (``fresh`` marks where a new walk began); the largest score wins, ties
    going to heel, then toe."""
    backward = (scores[:, 0] > 0).astype(np.int64)
    if swung_forward is not None:
        backward[swung_forward] = 0
    if fresh is not None:
        scores = blend_styles(scores, backward, fresh)
    heel = scores[:, 1]
    toe = scores[:, 2]
    flat = scores[:, 3]
    strike = np.full(len(scores), STRIKE_HEEL, dtype=np.int64)
    strike[(toe > heel) & (toe >= flat)] = STRIKE_TOE
    strike[(flat > heel) & (flat > toe)] = STRIKE_FLAT
    return backward, strike


def strike_one_hot(strike: npt.NDArray[np.integer]) -> npt.NDArray[np.float32]:
    """One row per strike code, a 1 in the column of its strike logit (``STRIKE_OUTPUTS``)."""
    hot: npt.NDArray[np.float32] = (np.asarray(strike)[:, None] == np.array(STRIKE_OUTPUTS)).astype(np.float32)
    return hot


def blend_styles(scores: IntArray, backward: IntArray, fresh: npt.NDArray[np.bool_]) -> IntArray:
    """The strike scores of a sequence of contacts (in the detector's order) blended with the walker's style, as
    `anklet.detector.StepDetector._blend_style` does: the style is the mean of the strides before in the same
    direction since the walk began (``fresh``; a plain mean of the first ones, then each new stride weighing
    1/STYLE_MEAN_N), and weighs a quarter of the blend after one stride, half after two or more."""
    out = scores.copy()
    style = np.zeros((2, 3), dtype=np.int64)
    seen = [0, 0]
    for row in range(len(scores)):
        if fresh[row]:
            seen = [0, 0]
        d = int(backward[row])
        now = scores[row, 1:4]
        n = seen[d]
        seen[d] = min(n + 1, STYLE_MEAN_N - 1)
        if n == 0:
            style[d] = now
            continue
        weight = 4 if n == 1 else 2
        before = style[d].copy()
        out[row, 1:4] = now - now // weight + before // weight
        style[d] = before - before // (n + 1) + now // (n + 1)
    return out


def worst_case_magnitude(model: IntModel) -> int:
    """The largest absolute value any product or partial sum of `scores` can reach with this model."""
    z_max = Z_CLIP
    spread = int(np.max((FEATURE_CLIP + np.abs(model.mean)) * model.scale))
    hidden_sum = int(np.max(np.abs(model.b1) + z_max * np.abs(model.w1).sum(0)))
    out_sum = int(np.max(np.abs(model.b2) + H_CLIP * np.abs(model.w2).sum(0)))
    return max(spread, hidden_sum, out_sum)
