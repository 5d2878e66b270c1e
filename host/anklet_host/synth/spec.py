"""The walk description: what `anklet synth` generates, as Python objects and as a JSON file (exact round trip).

A walk is a list of segments (walking forward or backward, standing, shifting weight, tapping a foot while seated,
riding in a vehicle) plus the sensor: where it sits (``ankle`` or ``shoe``), its rate, noise, range and mounting tilt.
The JSON file holds exactly the fields of `WalkSpec` and `Segment`; ``null`` means "the natural value" (the natural
strike for the direction, the natural speed and cadence). Every value is checked: a bad one raises `InputError`.

The ``--walk`` shorthand of `anklet synth` is parsed here too: comma-separated items ``KIND:DURATION[@OPTION...]``,
for example ``forward:120s@1.0m/s,stand:10s,backward:6min@0.22m/s@toe,forward:120s@100spm@turn90``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from anklet_host.errors import InputError

PLACEMENTS = ("ankle", "shoe")
DIRECTIONS = ("forward", "backward")
STRIKES = ("heel", "toe", "flat")
WALK = "walk"
IDLE_KINDS = ("stand", "shift", "tap", "vehicle")
KINDS = (WALK, *IDLE_KINDS)
# The activity label written on every trace row for each segment kind.
ACTIVITY_OF_KIND = {WALK: "walking", "stand": "standing", "shift": "shifting", "tap": "tapping", "vehicle": "vehicle"}

SPEED_RANGE_M_S = (0.1, 2.5)
CADENCE_RANGE_SPM = (30.0, 140.0)
STEP_LENGTH_RANGE_M = (0.03, 1.2)
RATE_RANGE_HZ = (10.0, 2000.0)
MAX_DURATION_S = 24 * 3600.0
FILE_FORMAT = "anklet-walk"
FILE_VERSION = 1


def natural_strike(direction: str) -> str:
    """Forward walkers land on the heel; backward walkers on the ball of the foot."""
    return "heel" if direction == "forward" else "toe"


def natural_speed_m_s(direction: str) -> float:
    return 1.2 if direction == "forward" else 0.5


def natural_cadence_spm(direction: str, speed_m_s: float) -> float:
    """Cadence that goes with a speed: cadence grows about as the square root of speed, and backward steps are
    shorter and slower (about 105 steps/min at 1.2 m/s forward, 50 steps/min at 0.22 m/s backward)."""
    if direction == "forward":
        cadence = 105.0 * (speed_m_s / 1.2) ** 0.45
        return float(min(max(cadence, 40.0), 130.0))
    cadence = 100.0 * (speed_m_s / 0.9) ** 0.5
    return float(min(max(cadence, 40.0), 130.0))


def _number(value: object, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{what} must be a number, not {value!r}")
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise InputError(f"{what} must be between {low:g} and {high:g}, not {value!r}")
    return number


@dataclass(frozen=True)
class Segment:
    """One stretch of the walk. ``speed_m_s``/``cadence_spm`` None: the natural values for the direction;
    ``strike`` None: the natural strike (forward: heel, backward: toe). ``turn_deg``: heading change (left positive)
    spread over a few strides in the middle of the segment. Walking fields are ignored for the other kinds."""

    kind: str
    duration_s: float
    direction: str = "forward"
    strike: str | None = None
    speed_m_s: float | None = None
    cadence_spm: float | None = None
    turn_deg: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"segment kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        _number(self.duration_s, f"{self.kind} duration_s", 1e-3, MAX_DURATION_S)
        if self.direction not in DIRECTIONS:
            raise InputError(f"direction must be forward or backward, not {self.direction!r}")
        if self.strike is not None and self.strike not in STRIKES:
            raise InputError(f"strike must be heel, toe, flat or null, not {self.strike!r}")
        if self.speed_m_s is not None:
            _number(self.speed_m_s, "speed_m_s", *SPEED_RANGE_M_S)
        if self.cadence_spm is not None:
            _number(self.cadence_spm, "cadence_spm", *CADENCE_RANGE_SPM)
        _number(self.turn_deg, "turn_deg", -720.0, 720.0)
        if self.kind == WALK:
            step_m = self.step_length_m
            if not STEP_LENGTH_RANGE_M[0] <= step_m <= STEP_LENGTH_RANGE_M[1]:
                raise InputError(
                    f"walking at {self.speed_m_s_or_natural:g} m/s and {self.cadence_spm_or_natural:g} steps/min "
                    f"means steps of {step_m:.2f} m; steps must be {STEP_LENGTH_RANGE_M[0]:g}-"
                    f"{STEP_LENGTH_RANGE_M[1]:g} m"
                )
            stride_s = 120.0 / self.cadence_spm_or_natural
            if self.duration_s < 2.0 * stride_s:
                raise InputError(
                    f"a walk segment must last at least two strides ({2.0 * stride_s:.1f} s at "
                    f"{self.cadence_spm_or_natural:g} steps/min), not {self.duration_s:g} s"
                )

    @property
    def strike_or_natural(self) -> str:
        return self.strike if self.strike is not None else natural_strike(self.direction)

    @property
    def speed_m_s_or_natural(self) -> float:
        return self.speed_m_s if self.speed_m_s is not None else natural_speed_m_s(self.direction)

    @property
    def cadence_spm_or_natural(self) -> float:
        if self.cadence_spm is not None:
            return self.cadence_spm
        return natural_cadence_spm(self.direction, self.speed_m_s_or_natural)

    @property
    def step_length_m(self) -> float:
        return self.speed_m_s_or_natural / (self.cadence_spm_or_natural / 60.0)

    @property
    def activity(self) -> str:
        return ACTIVITY_OF_KIND[self.kind]


@dataclass(frozen=True)
class WalkSpec:
    """A whole synthetic recording: the sensor and the segments, in order.

    ``noise_mg``/``bias_mg``: white noise (standard deviation) and per-axis offset (standard deviation of the draw)
    of the accelerometer; ``gyro_noise_dps``/``gyro_bias_dps`` the same for the gyroscope. ``tilt_deg``: the device is
    mounted with its z axis tilted by this angle toward ``tilt_azimuth_deg`` (0 = forward, 90 = left), so the trace's
    axes are rotated by exactly this angle from the body frame. ``range_g``: full scale, readings clip at ±range_g.
    ``adc_bits``: resolution over the full range.
    """

    segments: Sequence[Segment]
    placement: str = "ankle"
    rate_hz: float = 100.0
    seed: int = 0
    gyro: bool = True
    noise_mg: float = 3.0
    bias_mg: float = 15.0
    gyro_noise_dps: float = 0.1
    gyro_bias_dps: float = 0.5
    tilt_deg: float = 0.0
    tilt_azimuth_deg: float = 0.0
    range_g: float = 16.0
    adc_bits: int = 12

    def __post_init__(self) -> None:
        raw: object = self.segments
        if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
            raise InputError("segments must be a list of segments")
        segments = tuple(raw)
        if not segments:
            raise InputError("a walk needs at least one segment")
        for segment in segments:
            if not isinstance(segment, Segment):
                raise InputError(f"segments must be Segment objects, not {type(segment).__name__}")
        object.__setattr__(self, "segments", segments)
        if self.placement not in PLACEMENTS:
            raise InputError(f"placement must be ankle or shoe, not {self.placement!r}")
        _number(self.rate_hz, "rate_hz", *RATE_RANGE_HZ)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise InputError(f"seed must be a whole number from 0 to 2**63-1, not {self.seed!r}")
        if not isinstance(self.gyro, bool):
            raise InputError(f"gyro must be true or false, not {self.gyro!r}")
        _number(self.noise_mg, "noise_mg", 0.0, 500.0)
        _number(self.bias_mg, "bias_mg", 0.0, 500.0)
        _number(self.gyro_noise_dps, "gyro_noise_dps", 0.0, 100.0)
        _number(self.gyro_bias_dps, "gyro_bias_dps", 0.0, 100.0)
        _number(self.tilt_deg, "tilt_deg", 0.0, 60.0)
        _number(self.tilt_azimuth_deg, "tilt_azimuth_deg", -360.0, 360.0)
        _number(self.range_g, "range_g", 2.0, 400.0)
        if isinstance(self.adc_bits, bool) or not isinstance(self.adc_bits, int) or not 8 <= self.adc_bits <= 24:
            raise InputError(f"adc_bits must be a whole number from 8 to 24, not {self.adc_bits!r}")
        if self.duration_s > MAX_DURATION_S:
            raise InputError(f"a walk may last at most {MAX_DURATION_S:g} s, not {self.duration_s:g} s")

    @property
    def duration_s(self) -> float:
        return float(sum(segment.duration_s for segment in self.segments))

    def to_dict(self) -> dict[str, Any]:
        body = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "segments"}
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            **body,
            "segments": [asdict(segment) for segment in self.segments],
        }

    def to_json(self) -> str:
        """The walk-description file's text (floats written exactly, so reading it back gives an equal spec)."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: object) -> WalkSpec:
        if not isinstance(data, dict):
            raise InputError("a walk description must be a JSON object")
        data = dict(data)
        if data.pop("format", FILE_FORMAT) != FILE_FORMAT:
            raise InputError(f'a walk description needs "format": "{FILE_FORMAT}"')
        version = data.pop("version", FILE_VERSION)
        if version != FILE_VERSION:
            raise InputError(f"walk description version {version!r} is not supported (only {FILE_VERSION})")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown walk field(s): {', '.join(unknown)}")
        raw_segments = data.pop("segments", None)
        if not isinstance(raw_segments, list):
            raise InputError('a walk description needs "segments": a list of segment objects')
        segments = [_segment_from_dict(item, index) for index, item in enumerate(raw_segments)]
        return cls(segments=segments, **data)

    @classmethod
    def from_json(cls, text: str) -> WalkSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"walk description is not JSON: line {exc.lineno}: {exc.msg}") from None
        return cls.from_dict(data)


def _segment_from_dict(item: object, index: int) -> Segment:
    if not isinstance(item, dict):
        raise InputError(f"segment {index + 1}: must be a JSON object")
    known = {f.name for f in fields(Segment)}
    unknown = sorted(set(item) - known)
    if unknown:
        raise InputError(f"segment {index + 1}: unknown field(s): {', '.join(unknown)}")
    if "kind" not in item or "duration_s" not in item:
        raise InputError(f"segment {index + 1}: needs kind and duration_s")
    try:
        return Segment(**item)
    except InputError as exc:
        raise InputError(f"segment {index + 1}: {exc}") from None


_DURATION = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(s|min|h)$")
_OPTION = re.compile(r"^(-?\d+(?:\.\d*)?|-?\.\d+)(m/s|spm)$")
_UNIT_S = {"s": 1.0, "min": 60.0, "h": 3600.0}


def parse_walk_shorthand(text: str) -> list[Segment]:
    """Segments from ``KIND:DURATION[@OPTION...]`` items joined by commas.

    KIND: forward, backward, stand, shift, tap, vehicle. DURATION: ``30s``, ``6min``, ``1h``. OPTION (walking only):
    a speed ``0.22m/s``, a cadence ``100spm``, a strike ``heel``/``toe``/``flat``, a turn ``turn90`` or ``turn-45``.
    """
    segments: list[Segment] = []
    for position, raw_item in enumerate(text.split(",")):
        item = raw_item.strip()
        where = f"--walk item {position + 1} ({item!r})"
        kind_name, sep, rest = item.partition(":")
        if not sep:
            raise InputError(f"{where}: expected KIND:DURATION, e.g. forward:120s@1.0m/s")
        parts = rest.split("@")
        duration = _DURATION.match(parts[0].strip())
        if duration is None:
            raise InputError(f"{where}: duration must look like 30s, 6min or 1h")
        duration_s = float(duration.group(1)) * _UNIT_S[duration.group(2)]
        walking = kind_name in DIRECTIONS
        if not walking and kind_name not in IDLE_KINDS:
            raise InputError(f"{where}: kind must be one of forward, backward, {', '.join(IDLE_KINDS)}")
        if not walking and len(parts) > 1:
            raise InputError(f"{where}: options (@...) are for forward and backward walking only")
        options: dict[str, Any] = {}
        for option in (p.strip() for p in parts[1:]):
            if option in STRIKES:
                options["strike"] = option
                continue
            turn = re.fullmatch(r"turn(-?\d+(?:\.\d*)?)(?:deg)?", option)
            if turn:
                options["turn_deg"] = float(turn.group(1))
                continue
            value = _OPTION.match(option)
            if value is None:
                raise InputError(
                    f"{where}: option {option!r} is not a speed (1.2m/s), cadence (100spm), strike or turn"
                )
            options["speed_m_s" if value.group(2) == "m/s" else "cadence_spm"] = float(value.group(1))
        try:
            if walking:
                segments.append(Segment(kind=WALK, direction=kind_name, duration_s=duration_s, **options))
            else:
                segments.append(Segment(kind=kind_name, duration_s=duration_s))
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    return segments
