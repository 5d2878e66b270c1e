"""`anklet synth`: write a synthetic, labelled walk trace (or a folder of random ones for `anklet eval`)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from anklet_host.cli.output import add_force_argument, check_output
from anklet_host.errors import InputError
from anklet_host.synth import WalkSpec, generate_walk, parse_walk_shorthand, random_spec
from anklet_host.synth.spec import PLACEMENTS
from anklet_host.trace import write_trace

NAME = "synth"
HELP = "generate a synthetic walk trace (physically modelled ankle or shoe IMU) with contact labels"
MAX_CORPUS_COUNT = 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", nargs="?", metavar="OUT.csv", help="trace file to write")
    parser.add_argument("--placement", choices=PLACEMENTS, help="sensor on the shank above the ankle, or on the shoe")
    parser.add_argument("--rate", type=float, metavar="HZ", help="sample rate (default 100, or the spec file's)")
    parser.add_argument("--seed", type=int, metavar="N", help="random seed (default 0, or the spec file's)")
    parser.add_argument("--no-gyro", action="store_true", help="accelerometer only (no gx,gy,gz columns)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--spec", type=Path, metavar="FILE.json", help="walk description file")
    what.add_argument(
        "--walk",
        metavar="ITEMS",
        help='walk shorthand, e.g. "forward:120s@1.0m/s,stand:10s,backward:360s@0.22m/s,forward:120s" '
        "(kinds forward, backward, stand, shift, tap, vehicle; walking options @SPEEDm/s @CADENCEspm "
        "@heel|toe|flat @turnDEG)",
    )
    what.add_argument("--corpus", type=Path, metavar="DIR", help="write --count random walks into DIR")
    parser.add_argument("--count", type=int, default=20, metavar="N", help="how many walks with --corpus (20)")
    parser.add_argument("--save-spec", type=Path, metavar="FILE.json", help="also write the walk description used")
    add_force_argument(parser, "files written before")


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    changes: dict[str, object] = {}
    if args.placement is not None:
        changes["placement"] = args.placement
    if args.rate is not None:
        changes["rate_hz"] = args.rate
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.no_gyro:
        changes["gyro"] = False
    return changes


def _load_spec(path: Path) -> WalkSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file") from None
    try:
        return WalkSpec.from_json(text)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def _write_corpus(args: argparse.Namespace) -> int:
    if args.out is not None:
        raise InputError("--corpus writes a folder: give no OUT.csv")
    if not 1 <= args.count <= MAX_CORPUS_COUNT:
        raise InputError(f"--count must be from 1 to {MAX_CORPUS_COUNT}, not {args.count}")
    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed must not be negative, not {args.seed}")
    folder: Path = args.corpus
    base_seed = args.seed if args.seed is not None else 0
    placement = args.placement or "ankle"
    stems = [f"synth-{placement}-{base_seed + i:06d}" for i in range(args.count)]
    taken = [path for stem in stems for path in (folder / f"{stem}.csv", folder / f"{stem}.json") if path.exists()]
    if taken and not args.force:
        raise InputError(f"{taken[0]}: exists (use --force to overwrite)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the folder: {exc.strerror or exc}") from None
    for i, stem in enumerate(stems):
        spec = random_spec(base_seed + i, placement)
        changes = _overrides(args)
        changes.pop("seed", None)
        changes.pop("placement", None)
        if changes:
            spec = dataclasses.replace(spec, **changes)  # type: ignore[arg-type]
        try:
            write_trace(folder / f"{stem}.csv", generate_walk(spec))
            (folder / f"{stem}.json").write_text(spec.to_json(), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{folder / stem}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {args.count} synthetic walks ({placement}) to {folder}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.rate is not None and not 10.0 <= args.rate <= 2000.0:
        raise InputError(f"--rate must be between 10 and 2000 Hz, not {args.rate:g}")
    if args.corpus is not None:
        return _write_corpus(args)
    if args.out is None:
        raise InputError("give OUT.csv (or --corpus DIR)")
    out = Path(args.out)
    for path in (out, args.save_spec):
        if path is not None:
            check_output(path, force=args.force)
    if args.spec is not None:
        spec = _load_spec(args.spec)
    elif args.walk is not None:
        spec = WalkSpec(segments=parse_walk_shorthand(args.walk))
    else:
        raise InputError('say what to walk: --walk "forward:60s,stand:10s" or --spec FILE.json')
    changes = _overrides(args)
    if changes:
        spec = dataclasses.replace(spec, **changes)  # type: ignore[arg-type]
    trace = generate_walk(spec)
    try:
        write_trace(out, trace)
        if args.save_spec is not None:
            args.save_spec.write_text(spec.to_json(), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{exc.filename or out}: cannot write: {exc.strerror or exc}") from None
    contacts = trace.reference_contacts()
    backward = sum(1 for c in contacts if c.direction == "backward")
    summary = {"samples": len(trace), "duration_s": round(trace.duration_s, 3), "contacts": len(contacts)}
    summary["backward"] = backward
    print(f"wrote {out}: {json.dumps(summary)}")
    return 0
