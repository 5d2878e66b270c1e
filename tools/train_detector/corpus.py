"""The labelled corpus: walks run through the firmware detector, each contact with its features and its truth.

Sources: synthetic walks (`anklet_host.synth.random_spec` draws, always with a gyroscope so each walk is run twice,
accelerometer only and with the gyro) and the real shoe recordings of ../shared/data (through the converters in
`tests/realdata`). Detections are matched to reference contacts exactly as `anklet eval` scores them
(`anklet_host.analysis.score`: within ±0.15 s, closest pairs first, only rows the ``scored`` label keeps).

A corpus is a table with one row per reference contact (matched or missed) and one per other contact the detector
classified: false contacts, and the contacts the walking gate held back or the ``scored`` label leaves out (these
count for nothing, but the walker's strike style runs through them). Rows carry the detector's features where there
is a contact, in the detector's order, so any set of weights can be scored from the table without running the
detector again. Building one takes minutes, so it is cached under ``build/train_detector``
keyed by the sources and by the code that makes the features (detector, generator, converters, this package).
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from anklet_host.analysis.detect import STRIKE_CODES
from anklet_host.analysis.score import LABEL_SCORED, TOLERANCE_S
from anklet_host.synth import generate_walk, random_spec
from anklet_host.synth.spec import ACTIVITY_OF_KIND
from anklet_host.trace import DIRECTIONS, LABEL_ACTIVITY, Trace
from tests.realdata.convert import all_traces  # the converters live with the tests
from tools.train_detector.capture import N_FEATURES, Captured, run_detector

REPO = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO / "build" / "train_detector"
# Row activity codes: walking first, then the non-walking kinds whose false contacts are counted per hour.
ACTIVITIES: tuple[str, ...] = tuple(dict.fromkeys(["walking", *ACTIVITY_OF_KIND.values()]))
WALKING = 0
OUT_OF_SCOPE = -1
NO_LABEL = -1
MODES = ("acc", "gyro")
# The code whose behaviour the cached features depend on.
_FEATURE_CODE = (
    "firmware/anklet/detector.py",
    "host/anklet_host/synth",
    "host/anklet_host/analysis/detect.py",
    "host/anklet_host/analysis/resample.py",
    "tests/realdata/convert.py",
    "tools/train_detector/capture.py",
    "tools/train_detector/corpus.py",
)


@dataclass(frozen=True)
class WalkSource:
    """One walk to put through the detector: a synthetic draw (``seed``) or a real recording (``trace``)."""

    name: str
    placement: str
    group: str  # what leave-one-out folds go by: the recording (both feet), or "synth"
    seed: int | None = None
    trace: Trace | None = None

    def load(self) -> Trace:
        if self.trace is not None:
            return self.trace
        if self.seed is None:
            raise ValueError(f"walk {self.name} has neither a seed nor a trace")
        # Always with a gyro: the walk is run with and without it, the accelerometer signal being the same.
        return generate_walk(dataclasses.replace(random_spec(self.seed, self.placement), gyro=True))


def synthetic_sources(seeds: Iterable[int], placements: Sequence[str] = ("ankle", "shoe")) -> list[WalkSource]:
    return [WalkSource(f"synth-{p}-{s}", p, "synth", seed=s) for s in seeds for p in placements]


def real_sources(data_dir: Path) -> list[WalkSource]:
    """The real shoe recordings, one walk per foot; a recording's two feet share a group."""
    return [
        WalkSource(f"real-{name}", "shoe", name.rsplit("-", 1)[0], trace=trace)
        for name, trace in sorted(all_traces(data_dir).items())
    ]


@dataclass(frozen=True)
class Corpus:
    """Rows of contacts (see the module docstring); ``walk`` indexes the per-walk arrays."""

    walk_name: npt.NDArray[np.str_]
    walk_placement: npt.NDArray[np.str_]
    walk_group: npt.NDArray[np.str_]
    walk_seed: npt.NDArray[np.int64]  # -1 for real recordings
    walk_activity_s: npt.NDArray[np.float64]  # (walks, len(ACTIVITIES)) seconds of each activity in scope
    walk: npt.NDArray[np.int32]
    gyro: npt.NDArray[np.bool_]  # the row comes from the run with the gyro
    t_s: npt.NDArray[np.float64]
    is_reference: npt.NDArray[np.bool_]
    detected: npt.NDArray[np.bool_]  # a detection exists for the row (a matched reference or a false contact)
    activity: npt.NDArray[np.int8]  # ACTIVITIES index of the row's trace row
    ref_direction: npt.NDArray[np.int8]  # 0 forward, 1 backward, NO_LABEL
    ref_strike: npt.NDArray[np.int8]  # anklet.packets.STRIKE_*, NO_LABEL
    det_direction: npt.NDArray[np.int8]  # as the weights the corpus was built with called it (NO_LABEL: none)
    det_strike: npt.NDArray[np.int8]
    features: npt.NDArray[np.int16]  # (rows, N_FEATURES); zeros where nothing was detected
    # The row's place among the contacts the detector classified in its walk and mode (-1: none), and whether a new
    # walk began there: the strike style (`tools.train_detector.mlp.blend_styles`) runs through them in this order.
    order: npt.NDArray[np.int32]
    fresh: npt.NDArray[np.bool_]

    def select(self, keep: npt.NDArray[np.bool_]) -> Corpus:
        """The rows where ``keep`` (the walk arrays stay whole)."""
        per_row = {f.name for f in dataclasses.fields(self) if not f.name.startswith("walk_")}
        return dataclasses.replace(self, **{name: getattr(self, name)[keep] for name in per_row})

    def rows_of(self, placement: str, mode: str) -> npt.NDArray[np.bool_]:
        placed: npt.NDArray[np.bool_] = self.walk_placement[self.walk] == placement
        moded: npt.NDArray[np.bool_] = self.gyro == (mode == "gyro")
        return placed & moded

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial.npz")
        np.savez_compressed(partial, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
        partial.replace(path)

    @staticmethod
    def load(path: Path) -> Corpus:
        with np.load(path, allow_pickle=False) as data:
            return Corpus(**{f.name: data[f.name] for f in dataclasses.fields(Corpus)})

    @staticmethod
    def concat(parts: Sequence[Corpus]) -> Corpus:
        """Corpora side by side, walk indices renumbered."""
        offsets = np.cumsum([0] + [len(p.walk_name) for p in parts[:-1]])
        merged: dict[str, npt.NDArray[np.generic]] = {}
        for f in dataclasses.fields(Corpus):
            arrays = [getattr(p, f.name) for p in parts]
            if f.name == "walk":
                arrays = [(a + off).astype(np.int32) for a, off in zip(arrays, offsets, strict=True)]
            merged[f.name] = np.concatenate(arrays)
        return Corpus(**merged)  # type: ignore[arg-type]


def match_contacts(ref_t: Sequence[float], det_t: Sequence[float]) -> dict[int, int]:
    """Detection index -> reference index, one to one within TOLERANCE_S, closest pairs first (as `score_trace`)."""
    refs = np.asarray(ref_t, dtype=np.float64)
    pairs: list[tuple[float, int, int]] = []
    for di, t in enumerate(det_t):
        lo = int(np.searchsorted(refs, t - TOLERANCE_S - 1e-9))
        hi = int(np.searchsorted(refs, t + TOLERANCE_S + 1e-9, side="right"))
        pairs.extend((abs(t - float(refs[ri])), di, ri) for ri in range(lo, hi) if abs(t - refs[ri]) <= TOLERANCE_S)
    pairs.sort()
    det_to_ref: dict[int, int] = {}
    used_refs: set[int] = set()
    for _, di, ri in pairs:
        if di in det_to_ref or ri in used_refs:
            continue
        det_to_ref[di] = ri
        used_refs.add(ri)
    return det_to_ref


def _row_activity(trace: Trace) -> npt.NDArray[np.int8]:
    """Each trace row's ACTIVITIES code, OUT_OF_SCOPE where the ``scored`` label excludes it."""
    n = len(trace)
    labels = trace.labels.get(LABEL_ACTIVITY)
    code = {name: i for i, name in enumerate(ACTIVITIES)}
    out = np.zeros(n, dtype=np.int8) if labels is None else np.array([code[a] for a in labels], dtype=np.int8)
    scored = trace.labels.get(LABEL_SCORED)
    if scored is not None:
        out[np.array([s != "1" for s in scored], dtype=bool)] = OUT_OF_SCOPE
    return out


def label_walk(source: WalkSource) -> Corpus:
    """One walk through the detector in both modes: a one-walk corpus (walk index 0)."""
    trace = source.load()
    activity = _row_activity(trace)
    rate_hz = trace.rate_hz()
    activity_s = np.array([np.count_nonzero(activity == k) / rate_hz for k in range(len(ACTIVITIES))])
    refs = [r for r in trace.reference_contacts() if activity[r.index] != OUT_OF_SCOPE]
    ref_t = [r.t_s for r in refs]
    ref_direction = [DIRECTIONS.index(r.direction) if r.direction else NO_LABEL for r in refs]
    ref_strike = [STRIKE_CODES[r.strike] if r.strike else NO_LABEL for r in refs]
    columns: dict[str, list[object]] = {name: [] for name in _ROW_FIELDS}
    features: list[npt.NDArray[np.int16]] = []
    modes = MODES if trace.gyro_rads is not None else MODES[:1]
    for mode in modes:
        found = run_detector(trace, source.placement, use_gyro=mode == "gyro")
        det_rows = np.searchsorted(trace.t_s, found.t_s - 1e-9).clip(0, len(trace) - 1)
        in_scope = [i for i in range(len(found.t_s)) if found.reported[i] and activity[det_rows[i]] != OUT_OF_SCOPE]
        det_to_ref = match_contacts(ref_t, [float(found.t_s[i]) for i in in_scope])
        ref_to_det = {ri: in_scope[di] for di, ri in det_to_ref.items()}
        matched = set(ref_to_det.values())
        zero = np.zeros(N_FEATURES, dtype=np.int16)
        for ri, ref in enumerate(refs):
            di = ref_to_det.get(ri)
            _append(
                columns, mode, ref.t_s, is_reference=True, detected=di is not None, activity=int(activity[ref.index])
            )
            columns["ref_direction"].append(ref_direction[ri])
            columns["ref_strike"].append(ref_strike[ri])
            _append_contact(columns, found, di)
            features.append(zero if di is None else found.features[di])
        # Every other contact the detector classified: false contacts in scope (detected), and the ones the walking
        # gate held back or the ``scored`` label leaves out (not detected; they carry the strike style on).
        in_scope_set = set(in_scope)
        for di in range(len(found.t_s)):
            if di in matched:
                continue
            _append(
                columns,
                mode,
                float(found.t_s[di]),
                is_reference=False,
                detected=di in in_scope_set,
                activity=int(activity[det_rows[di]]),
            )
            columns["ref_direction"].append(NO_LABEL)
            columns["ref_strike"].append(NO_LABEL)
            _append_contact(columns, found, di)
            features.append(found.features[di])
    return Corpus(
        walk_name=np.array([source.name]),
        walk_placement=np.array([source.placement]),
        walk_group=np.array([source.group]),
        walk_seed=np.array([-1 if source.seed is None else source.seed], dtype=np.int64),
        walk_activity_s=activity_s.reshape(1, -1),
        walk=np.zeros(len(columns["t_s"]), dtype=np.int32),
        gyro=np.array(columns["gyro"], dtype=bool),
        t_s=np.array(columns["t_s"], dtype=np.float64),
        is_reference=np.array(columns["is_reference"], dtype=bool),
        detected=np.array(columns["detected"], dtype=bool),
        activity=np.array(columns["activity"], dtype=np.int8),
        ref_direction=np.array(columns["ref_direction"], dtype=np.int8),
        ref_strike=np.array(columns["ref_strike"], dtype=np.int8),
        det_direction=np.array(columns["det_direction"], dtype=np.int8),
        det_strike=np.array(columns["det_strike"], dtype=np.int8),
        features=np.array(features, dtype=np.int16).reshape(-1, N_FEATURES),
        order=np.array(columns["order"], dtype=np.int32),
        fresh=np.array(columns["fresh"], dtype=bool),
    )


_ROW_FIELDS = (
    "gyro",
    "t_s",
    "is_reference",
    "detected",
    "activity",
    "ref_direction",
    "ref_strike",
    "det_direction",
    "det_strike",
    "order",
    "fresh",
)


def _append_contact(columns: dict[str, list[object]], found: Captured, di: int | None) -> None:
    """The row's contact as the detector classified it (``di`` into ``found``; None: no contact)."""
    columns["det_direction"].append(NO_LABEL if di is None else int(found.direction[di]))
    columns["det_strike"].append(NO_LABEL if di is None else int(found.strike[di]))
    columns["order"].append(-1 if di is None else di)
    columns["fresh"].append(di is not None and bool(found.fresh[di]))


def _append(
    columns: dict[str, list[object]], mode: str, t_s: float, *, is_reference: bool, detected: bool, activity: int
) -> None:
    columns["gyro"].append(mode == "gyro")
    columns["t_s"].append(t_s)
    columns["is_reference"].append(is_reference)
    columns["detected"].append(detected)
    columns["activity"].append(activity)


def build_corpus(sources: Sequence[WalkSource], workers: int = 2) -> Corpus:
    """Every source through the detector, in order (``workers`` processes; the result does not depend on them)."""
    if workers <= 1 or len(sources) <= 1:
        return Corpus.concat([label_walk(s) for s in sources])
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return Corpus.concat(pool.map(label_walk, sources, chunksize=1))


def code_fingerprint() -> str:
    """A hash of the code the features depend on (see _FEATURE_CODE)."""
    digest = hashlib.sha256()
    for entry in _FEATURE_CODE:
        path = REPO / entry
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(REPO).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def cached_corpus(
    name: str,
    describe: str,
    make_sources: Callable[[], Sequence[WalkSource]],
    *,
    workers: int = 2,
    cache_dir: Path = CACHE_DIR,
    log: Callable[[str], None] = print,
) -> Corpus:
    """The corpus ``name`` from the cache when its sources (``describe``) and the feature code are unchanged."""
    key = hashlib.sha256(f"{describe}|{code_fingerprint()}".encode()).hexdigest()[:16]
    path = cache_dir / f"{name}-{key}.npz"
    if path.exists():
        log(f"corpus {name}: cached {path.relative_to(cache_dir.parent) if cache_dir.parent in path.parents else path}")
        return Corpus.load(path)
    sources = make_sources()
    log(f"corpus {name}: running the detector over {len(sources)} walks ({describe})")
    corpus = build_corpus(sources, workers)
    corpus.save(path)
    return corpus
