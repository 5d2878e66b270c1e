"""`anklet analyze` / `anklet eval` / `anklet bench` around the firmware step detector.

- `detect`: feeds a Trace (m/s², rad/s, body frame) to `anklet.detector.StepDetector` as chip counts.
- `resample`: anti-aliased resampling of traces recorded above the detector's highest rate.
- `score`: contact matching and accuracy figures against a trace's labels.
- `load`: a fast reader for big trace CSVs that falls back to `anklet_host.trace.read_trace` for every error.
- `bench`: speed, allocation and state-size figures.
"""

from anklet_host.analysis.detect import DetectedStep, Detection, detect
from anklet_host.analysis.score import Score, score_trace

__all__ = ["DetectedStep", "Detection", "Score", "detect", "score_trace"]
