"""Random walk descriptions: one draw over the generator's whole parameter space, for evaluation corpora.

A draw is a few minutes long: a short stand, then three to seven segments mixing forward and backward walking (at
least one of each) with non-walking movement, at speeds, cadences, strikes, turns, rates, ranges, noise and mounting
tilts spread over what the anklet must handle. The same seed always gives the same spec.
"""

from __future__ import annotations

import numpy as np

from anklet_host.synth.spec import (
    IDLE_KINDS,
    STEP_LENGTH_RANGE_M,
    WALK,
    Segment,
    WalkSpec,
    natural_cadence_spm,
    natural_strike,
)

RATES_HZ = (25.0, 50.0, 52.0, 100.0, 100.0, 104.0, 200.0, 400.0)
RANGES_G = (2.0, 4.0, 8.0, 16.0)
ADC_BITS = (10, 12, 12, 16)
OTHER_STRIKES = {"forward": ("toe", "flat"), "backward": ("heel", "flat")}


def _walk(direction: str, rng: np.random.Generator) -> Segment:
    if direction == "forward":
        speed = rng.uniform(0.2, 0.5) if rng.random() < 0.2 else rng.uniform(0.5, 2.0)
    else:
        speed = rng.uniform(0.2, 0.35) if rng.random() < 0.4 else rng.uniform(0.35, 1.0)
    cadence = natural_cadence_spm(direction, speed) * rng.uniform(0.88, 1.12)
    # Keep the step length possible: at a given speed, cadence sets it.
    low = speed * 60.0 / STEP_LENGTH_RANGE_M[1]
    cadence = float(min(max(cadence, 40.0, low * 1.05), 130.0))
    strike = None if rng.random() < 0.7 else str(rng.choice(OTHER_STRIKES[direction]))
    if strike is None and rng.random() < 0.5:
        strike = natural_strike(direction)  # spelled out or left natural: both forms appear
    turn = float(round(rng.uniform(-180.0, 180.0), 1)) if rng.random() < 0.3 else 0.0
    stride_s = 120.0 / cadence
    duration = float(round(max(rng.uniform(20.0, 90.0), 3.0 * stride_s), 2))
    return Segment(
        kind=WALK,
        direction=direction,
        strike=strike,
        speed_m_s=float(round(speed, 3)),
        cadence_spm=float(round(cadence, 1)),
        duration_s=duration,
        turn_deg=turn,
    )


def random_spec(seed: int, placement: str = "ankle") -> WalkSpec:
    """One evaluation draw (deterministic per seed and placement)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    segments = [Segment(kind="stand", duration_s=float(round(rng.uniform(2.0, 8.0), 2)))]
    n_more = int(rng.integers(3, 8))
    kinds = ["forward", "backward"] + [str(k) for k in rng.choice(["forward", "backward", *IDLE_KINDS], n_more - 2)]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind in ("forward", "backward"):
            segments.append(_walk(kind, rng))
        else:
            segments.append(Segment(kind=kind, duration_s=float(round(rng.uniform(10.0, 40.0), 2))))
    return WalkSpec(
        segments=segments,
        placement=placement,
        rate_hz=float(rng.choice(RATES_HZ)),
        seed=int(seed),
        gyro=bool(rng.random() < 0.5),
        noise_mg=float(round(rng.uniform(1.0, 8.0), 2)),
        bias_mg=float(round(rng.uniform(0.0, 40.0), 1)),
        gyro_noise_dps=float(round(rng.uniform(0.05, 0.3), 3)),
        gyro_bias_dps=float(round(rng.uniform(0.0, 2.0), 2)),
        tilt_deg=float(round(rng.uniform(0.0, 12.0), 1)),
        tilt_azimuth_deg=float(round(rng.uniform(0.0, 360.0), 1)),
        range_g=float(rng.choice(RANGES_G)),
        adc_bits=int(rng.choice(ADC_BITS)),
    )
