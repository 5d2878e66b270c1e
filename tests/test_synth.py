"""The synthetic gait generator: physical properties over its parameters, labels, determinism and its file format."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anklet_host.errors import InputError
from anklet_host.synth import Segment, WalkSpec, generate_walk, parse_walk_shorthand, random_spec, simulate
from anklet_host.synth.spec import CADENCE_RANGE_SPM, STEP_LENGTH_RANGE_M, natural_strike

G = 9.80665
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

placements = st.sampled_from(["ankle", "shoe"])
seeds = st.integers(min_value=0, max_value=2**32)
rates = st.sampled_from([25.0, 50.0, 100.0, 200.0, 400.0])


@st.composite
def walk_segments(draw: st.DrawFn, max_duration_s: float = 30.0) -> Segment:
    direction = draw(st.sampled_from(["forward", "backward"]))
    speed = draw(st.floats(0.2, 2.0 if direction == "forward" else 1.0))
    low = max(40.0, CADENCE_RANGE_SPM[0], speed * 60.0 / STEP_LENGTH_RANGE_M[1] * 1.01)
    high = min(130.0, speed * 60.0 / STEP_LENGTH_RANGE_M[0] * 0.99)
    cadence = draw(st.floats(low, high))
    stride_s = 120.0 / cadence
    duration = draw(st.floats(max(3.0 * stride_s, 8.0), max(3.0 * stride_s, max_duration_s)))
    return Segment(
        kind="walk",
        direction=direction,
        strike=draw(st.sampled_from([None, "heel", "toe", "flat"])),
        speed_m_s=speed,
        cadence_spm=cadence,
        duration_s=duration,
        turn_deg=draw(st.sampled_from([0.0, 45.0, -90.0])),
    )


def quiet(**kwargs: object) -> WalkSpec:
    """A spec with an ideal chip (no noise, bias or tilt, fine resolution) unless told otherwise."""
    base: dict[str, object] = {"noise_mg": 0.0, "bias_mg": 0.0, "gyro_noise_dps": 0.0, "gyro_bias_dps": 0.0}
    base["adc_bits"] = 16
    base.update(kwargs)
    return WalkSpec(**base)  # type: ignore[arg-type]


@FAST
@given(placement=placements, seed=seeds, rate=rates, noise_mg=st.floats(0.0, 8.0), bias_mg=st.floats(0.0, 30.0))
def test_standing_reads_gravity_on_z(placement: str, seed: int, rate: float, noise_mg: float, bias_mg: float) -> None:
    spec = WalkSpec(
        segments=[Segment(kind="stand", duration_s=6.0)],
        placement=placement,
        seed=seed,
        rate_hz=rate,
        noise_mg=noise_mg,
        bias_mg=bias_mg,
    )
    trace = generate_walk(spec)
    mean = trace.accel_ms2.mean(axis=0)
    # Bias is drawn per axis with this standard deviation: 4 sigma covers every seed we will ever meet in practice.
    tolerance = 0.05 + 4e-3 * G * bias_mg
    assert abs(float(np.linalg.norm(mean)) - G) < tolerance
    assert mean[2] > G - tolerance
    assert abs(mean[0]) < tolerance
    assert abs(mean[1]) < tolerance
    # Quiet standing: sway moves the shank by about a degree, nothing more.
    norms = np.linalg.norm(trace.accel_ms2, axis=1)
    assert np.all(np.abs(norms - G) < 0.3 + 6e-3 * G * (noise_mg + bias_mg))


@FAST
@given(segment=walk_segments(), placement=placements, seed=seeds)
def test_contacts_match_cadence_direction_and_strike(segment: Segment, placement: str, seed: int) -> None:
    spec = quiet(segments=[segment], placement=placement, seed=seed)
    contacts = generate_walk(spec).reference_contacts()
    expected = segment.duration_s * segment.cadence_spm_or_natural / 120.0
    assert abs(len(contacts) - expected) <= 1.0
    assert {c.direction for c in contacts} == {segment.direction}
    assert {c.strike for c in contacts} == {segment.strike or natural_strike(segment.direction)}
    times = np.array([c.t_s for c in contacts])
    assert np.all(np.diff(times) > 0.5 * 120.0 / segment.cadence_spm_or_natural)


@FAST
@given(segment=walk_segments(max_duration_s=40.0), seed=seeds)
def test_hip_travels_speed_times_time_in_the_walking_direction(segment: Segment, seed: int) -> None:
    sim = simulate(quiet(segments=[segment], seed=seed))
    travelled_m = float(sim.hip_prog_m[-1] - sim.hip_prog_m[0])
    sign = 1.0 if segment.direction == "forward" else -1.0
    assert np.sign(travelled_m) == sign
    stride_m = segment.speed_m_s_or_natural * 120.0 / segment.cadence_spm_or_natural
    # The first and last strides ramp up from and down to standing: at most about one stride is lost.
    expected_m = segment.speed_m_s_or_natural * segment.duration_s
    assert expected_m - 1.2 * stride_m <= abs(travelled_m) <= expected_m + 0.05 * expected_m
    # Mid-walk the hip moves at the walking speed, stride after stride.
    rows = len(sim.hip_prog_m)
    middle = slice(rows // 4, 3 * rows // 4)
    hip = sim.hip_prog_m[middle]
    span_s = (len(hip) - 1) / sim.trace.rate_hz()
    assert abs(abs(hip[-1] - hip[0]) / span_s - segment.speed_m_s_or_natural) < 0.5 * stride_m / span_s + 0.05


@FAST
@given(kind=st.sampled_from(["stand", "shift", "tap", "vehicle"]), seed=seeds, placement=placements)
def test_non_walking_segments_have_no_contacts(kind: str, seed: int, placement: str) -> None:
    spec = WalkSpec(segments=[Segment(kind=kind, duration_s=15.0)], seed=seed, placement=placement)
    trace = generate_walk(spec)
    assert trace.reference_contacts() == []
    names = {"stand": "standing", "shift": "shifting", "tap": "tapping", "vehicle": "vehicle"}
    assert set(trace.labels["activity"]) == {names[kind]}


@FAST
@given(tilt=st.floats(0.0, 20.0), azimuth=st.floats(-180.0, 180.0), seed=seeds, placement=placements)
def test_tilt_rotates_gravity_by_the_given_angle(tilt: float, azimuth: float, seed: int, placement: str) -> None:
    spec = quiet(
        segments=[Segment(kind="stand", duration_s=5.0)],
        tilt_deg=tilt,
        tilt_azimuth_deg=azimuth,
        seed=seed,
        placement=placement,
        adc_bits=20,
    )
    sim = simulate(spec)
    measured = sim.trace.accel_ms2.mean(axis=0)
    true = sim.ideal.accel_ms2.mean(axis=0)
    cosine = float(np.dot(measured, true) / (np.linalg.norm(measured) * np.linalg.norm(true)))
    angle_deg = math.degrees(math.acos(min(1.0, max(-1.0, cosine))))  # rounding can put it a hair past 1
    assert angle_deg == pytest.approx(tilt, abs=0.02)
    if tilt > 1.0:
        # The chip's z axis leans toward the azimuth, so gravity's reaction moves to the opposite side. Measured
        # against the untilted reading: standing posture alone leans the reaction a little too.
        shift = measured - true
        lean_deg = math.degrees(math.atan2(-shift[1], -shift[0]))
        assert abs((lean_deg - azimuth + 180.0) % 360.0 - 180.0) < 3.0


@FAST
@given(range_g=st.sampled_from([2.0, 4.0]), seed=seeds, placement=placements, bits=st.sampled_from([10, 12, 16]))
def test_clipping_never_exceeds_the_range(range_g: float, seed: int, placement: str, bits: int) -> None:
    spec = WalkSpec(
        segments=[Segment(kind="walk", duration_s=10.0, speed_m_s=1.9, cadence_spm=125.0)],
        seed=seed,
        placement=placement,
        range_g=range_g,
        adc_bits=bits,
    )
    trace = generate_walk(spec)
    full_scale = range_g * G
    assert np.all(np.abs(trace.accel_ms2) <= full_scale)
    # Fast walking does reach the range: clipping is exercised, not assumed.
    assert np.max(np.abs(trace.accel_ms2)) >= full_scale * (1.0 - 2.0 ** (1 - bits)) - 1e-9


@settings(max_examples=5, deadline=None)
@given(seed=seeds, placement=placements)
def test_same_seed_same_trace(seed: int, placement: str) -> None:
    segments = [Segment(kind="walk", duration_s=8.0), Segment(kind="vehicle", duration_s=6.0)]
    first = generate_walk(WalkSpec(segments=segments, seed=seed, placement=placement))
    again = generate_walk(WalkSpec(segments=segments, seed=seed, placement=placement))
    other = generate_walk(WalkSpec(segments=segments, seed=seed + 1, placement=placement))
    assert np.array_equal(first.accel_ms2, again.accel_ms2)
    assert first.gyro_rads is not None
    assert again.gyro_rads is not None
    assert np.array_equal(first.gyro_rads, again.gyro_rads)
    assert first.labels == again.labels
    assert not np.array_equal(first.accel_ms2, other.accel_ms2)


@st.composite
def specs(draw: st.DrawFn) -> WalkSpec:
    segments = draw(
        st.lists(
            st.one_of(
                walk_segments(max_duration_s=120.0),
                st.builds(
                    Segment,
                    kind=st.sampled_from(["stand", "shift", "tap", "vehicle"]),
                    duration_s=st.floats(0.5, 600.0),
                ),
            ),
            min_size=1,
            max_size=5,
        )
    )
    return WalkSpec(
        segments=segments,
        placement=draw(placements),
        rate_hz=draw(st.floats(10.0, 2000.0)),
        seed=draw(st.integers(0, 2**63 - 1)),
        gyro=draw(st.booleans()),
        noise_mg=draw(st.floats(0.0, 500.0)),
        bias_mg=draw(st.floats(0.0, 500.0)),
        tilt_deg=draw(st.floats(0.0, 60.0)),
        tilt_azimuth_deg=draw(st.floats(-360.0, 360.0)),
        range_g=draw(st.floats(2.0, 400.0)),
        adc_bits=draw(st.integers(8, 24)),
    )


@settings(max_examples=60, deadline=None)
@given(spec=specs())
def test_spec_json_round_trip_is_exact(spec: WalkSpec) -> None:
    text = spec.to_json()
    again = WalkSpec.from_json(text)
    assert again == spec
    assert again.to_json() == text


def test_random_spec_is_deterministic_and_covers_both_directions() -> None:
    for seed in range(3):
        spec = random_spec(seed, "shoe")
        assert spec == random_spec(seed, "shoe")
        assert spec.placement == "shoe"
        assert {s.direction for s in spec.segments if s.kind == "walk"} == {"forward", "backward"}
    assert random_spec(1, "ankle") != random_spec(2, "ankle")
    trace = generate_walk(random_spec(7, "ankle"))
    assert {c.direction for c in trace.reference_contacts()} == {"forward", "backward"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"segments": []}', "at least one segment"),
        ('{"segments": [{"kind": "fly", "duration_s": 3}]}', "segment 1: segment kind must be"),
        ('{"segments": [{"kind": "stand"}]}', "segment 1: needs kind and duration_s"),
        ('{"segments": [{"kind": "stand", "duration_s": "ten"}]}', "duration_s must be a number"),
        ('{"placement": "wrist", "segments": [{"kind": "stand", "duration_s": 3}]}', "placement must be ankle"),
        ('{"segments": [{"kind": "walk", "duration_s": 30, "speed_m_s": 2.0, "cadence_spm": 40}]}', "steps of 3.00 m"),
        ('{"segments": [{"kind": "walk", "duration_s": 1}]}', "at least two strides"),
        ('{"colour": 1, "segments": []}', "unknown walk field"),
        ("[1, 2", "not JSON"),
    ],
)
def test_bad_spec_is_one_clear_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        WalkSpec.from_json(text)


def test_walk_shorthand() -> None:
    segments = parse_walk_shorthand(
        "forward:120s@1.0m/s,stand:10s,backward:6min@0.22m/s@50spm@flat,tap:1min,forward:30s@turn90"
    )
    assert [s.kind for s in segments] == ["walk", "stand", "walk", "tap", "walk"]
    assert (segments[0].speed_m_s, segments[0].direction) == (1.0, "forward")
    assert (segments[2].duration_s, segments[2].cadence_spm, segments[2].strike) == (360.0, 50.0, "flat")
    assert segments[3].duration_s == 60.0
    assert segments[4].turn_deg == 90.0
    for bad in ("forward", "forward:ten", "run:10s", "stand:10s@1m/s", "forward:60s@fast"):
        with pytest.raises(InputError, match="--walk item 1"):
            parse_walk_shorthand(bad)


@FAST
@given(segment=walk_segments(), seed=seeds)
def test_foot_never_goes_through_the_ground_and_lands_at_each_contact(segment: Segment, seed: int) -> None:
    sim = simulate(quiet(segments=[segment], seed=seed))
    assert sim.sole_z_m.min() > -0.003
    rows = [c.index for c in sim.trace.reference_contacts()]
    assert np.all(sim.sole_z_m[rows] < 0.01)
    # ... and it does leave the ground in between.
    assert sim.sole_z_m.max() > 0.01


def _peak_near_contacts(spec: WalkSpec, window_s: float) -> float:
    """Median over contacts of the largest change of specific force between samples within ``window_s`` after."""
    sim = simulate(spec)
    jolt = np.linalg.norm(np.diff(sim.ideal.accel_ms2, axis=0), axis=1)
    span = round(window_s * spec.rate_hz)
    peaks = [jolt[c.index : c.index + span].max() for c in sim.trace.reference_contacts()[2:-2]]
    return float(np.median(peaks))


@pytest.mark.parametrize("placement", ["ankle", "shoe"])
def test_heel_strike_is_sharper_than_toe_first_landing(placement: str) -> None:
    def walk(direction: str, strike: str) -> WalkSpec:
        segment = Segment(kind="walk", direction=direction, strike=strike, speed_m_s=0.8, duration_s=20.0)
        return quiet(segments=[segment], placement=placement, rate_hz=400.0, seed=5)

    heel = _peak_near_contacts(walk("forward", "heel"), 0.04)
    toe = _peak_near_contacts(walk("forward", "toe"), 0.04)
    flat = _peak_near_contacts(walk("forward", "flat"), 0.04)
    assert heel > 1.5 * toe
    assert heel > 1.5 * flat


def test_shank_swings_at_published_angular_rates() -> None:
    # Peak sagittal shank angular velocity in swing is about 300-450 deg/s at a normal pace, far less when slow.
    normal = simulate(quiet(segments=[Segment(kind="walk", duration_s=20.0, speed_m_s=1.3)], seed=2))
    slow = simulate(quiet(segments=[Segment(kind="walk", duration_s=20.0, speed_m_s=0.4)], seed=2))
    normal_peak_dps = math.degrees(float(np.abs(normal.ideal.gyro_rads[:, 1]).max()))
    slow_peak_dps = math.degrees(float(np.abs(slow.ideal.gyro_rads[:, 1]).max()))
    assert 280.0 < normal_peak_dps < 480.0
    assert slow_peak_dps < 0.7 * normal_peak_dps


def test_demo_walk_is_the_described_session() -> None:
    from anklet_host.paths import PROJECT_ROOT

    text = (PROJECT_ROOT / "host" / "anklet_host" / "data" / "demo_walk.json").read_text()
    spec = WalkSpec.from_json(text)
    assert (spec.placement, spec.rate_hz) == ("ankle", 100.0)
    kinds = [(s.kind, s.direction if s.kind == "walk" else None, s.duration_s) for s in spec.segments]
    # The walk ends with the walker standing, as walks do: the board sees its last contact settle.
    assert kinds == [("walk", "forward", 120.0), ("walk", "backward", 360.0), ("stand", None, 20.0),
                     ("walk", "forward", 120.0), ("stand", None, 15.0)]  # fmt: skip
    assert 0.22 <= spec.segments[1].speed_m_s_or_natural <= 0.3
    contacts = generate_walk(spec).reference_contacts()
    backward = [c for c in contacts if c.direction == "backward"]
    assert len(backward) == pytest.approx(360.0 * spec.segments[1].cadence_spm_or_natural / 120.0, abs=1)
    assert {c.strike for c in backward} == {"toe"}
    assert {c.strike for c in contacts if c.direction == "forward"} == {"heel"}
