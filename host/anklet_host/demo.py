"""`anklet demo`: the bundled walk through the very firmware detector, on real MicroPython and on the laptop.

The walk (``data/demo_walk.json``): 2 minutes forward, 6 minutes backward at a slow treadmill pace, a stop, 2 minutes
forward, from the synthetic gait generator, ankle placement. The same chip counts are fed to the firmware's
`StepDetector` twice: inside MicroPython (the WebAssembly port, as the board runs it) and under CPython (as
`anklet analyze` runs it). Both must agree exactly; they are printed beside the walk's own labels.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from anklet_host.analysis.detect import ACCEL_LSB_PER_G, GYRO_LSB_PER_DPS, PLACEMENTS, detect, to_counts
from anklet_host.errors import AnkletError
from anklet_host.synth import WalkSpec, generate_walk
from anklet_host.trace import Trace, write_trace
from anklet_host.upy import MicroPython

STANDARD_GRAVITY_MS2 = 9.80665


@dataclass(frozen=True)
class Counts:
    contacts: int
    backward: int
    toe_first: int

    def as_json(self) -> dict[str, int]:
        return {"contacts": self.contacts, "backward": self.backward, "toe_first": self.toe_first}


def demo_spec() -> WalkSpec:
    text = resources.files("anklet_host").joinpath("data/demo_walk.json").read_text(encoding="utf-8")
    return WalkSpec.from_json(text)


def reference_counts(trace: Trace) -> Counts:
    contacts = trace.reference_contacts()
    return Counts(
        contacts=len(contacts),
        backward=sum(c.direction == "backward" for c in contacts),
        toe_first=sum(c.strike == "toe" for c in contacts),
    )


def chip_counts(trace: Trace) -> bytes:
    """The trace as the board's FIFO would deliver it: interleaved little-endian int16 chip counts."""
    accel = np.asarray(to_counts(trace.accel_ms2, ACCEL_LSB_PER_G / STANDARD_GRAVITY_MS2), dtype="<i2")
    columns = [accel]
    if trace.gyro_rads is not None:
        columns.append(np.asarray(to_counts(trace.gyro_rads, GYRO_LSB_PER_DPS * 180.0 / np.pi), dtype="<i2"))
    return np.hstack(columns).astype("<i2").tobytes()


# Runs inside MicroPython: stream the counts from flash through the detector, batch by batch, as the sampler does.
_DEVICE_CODE = """
import json
from array import array
from anklet.detector import StepDetector
det = StepDetector(rate_hz={rate_hz}, accel_lsb_per_g={accel_lsb}, gyro_lsb_per_dps={gyro_lsb},
                   placement={placement})
stride = {stride}
batch = array('h', bytes(2 * stride * 64))
def run():
    with open('/walk.bin', 'rb') as f:
        while True:
            n = f.readinto(batch) // (2 * stride)
            if n == 0:
                break
            i = 0
            end = n * stride
            if stride == 6:
                while i < end:
                    det.feed(batch[i], batch[i + 1], batch[i + 2], batch[i + 3], batch[i + 4], batch[i + 5])
                    i += 6
            else:
                while i < end:
                    det.feed(batch[i], batch[i + 1], batch[i + 2])
                    i += 3
run()
print(json.dumps({{"contacts": det.contacts, "backward": det.backward, "toe_first": det.toe_first}}))
"""


def device_counts(trace: Trace, placement: str, upy: MicroPython) -> Counts:
    has_gyro = trace.gyro_rads is not None
    code = _DEVICE_CODE.format(
        rate_hz=trace.rate_hz(),
        accel_lsb=ACCEL_LSB_PER_G,
        gyro_lsb=GYRO_LSB_PER_DPS if has_gyro else 0.0,
        placement=PLACEMENTS[placement],
        stride=6 if has_gyro else 3,
    )
    out = upy.run(code, files={"/walk.bin": chip_counts(trace)}, timeout_s=300)
    return Counts(**json.loads(out.strip().splitlines()[-1]))


def run_demo(out_dir: Path, echo: Callable[[str], None] = print) -> dict[str, object]:
    """Generate the demo walk, run the detector on MicroPython and CPython, print a table; returns the summary."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AnkletError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    spec = demo_spec()
    echo(f"generating the demo walk ({sum(s.duration_s for s in spec.segments) / 60:.0f} min, {spec.placement})")
    trace = generate_walk(spec)
    trace_path = out_dir / "demo_walk.csv"
    write_trace(trace_path, trace)
    echo(f"  wrote {trace_path}")
    reference = reference_counts(trace)
    echo("running the firmware detector under MicroPython (WebAssembly) ...")
    with MicroPython() as upy:
        device = device_counts(trace, spec.placement, upy)
    echo("running the same detector under CPython (anklet analyze) ...")
    detection = detect(trace, spec.placement)
    analyzed = Counts(detection.contacts, detection.backward, detection.toe_first)
    echo("")
    echo(f"{'':22s}{'contacts':>10s}{'backward':>10s}{'toe-first':>10s}")
    for name, counts in (("walk labels", reference), ("device (MicroPython)", device), ("anklet analyze", analyzed)):
        echo(f"{name:22s}{counts.contacts:10d}{counts.backward:10d}{counts.toe_first:10d}")
    return {
        "trace": str(trace_path),
        "reference": reference.as_json(),
        "device": device.as_json(),
        "analyze": analyzed.as_json(),
        "device_equals_analyze": device == analyzed,
    }
