"""The detector's training pipeline: synthetic and real walks -> the firmware detector's per-stride features ->
small integer networks -> `firmware/anklet/detect_mlp.py`, with the accuracy figures the README reports.

Run ``python -m tools.train_detector`` from the checkout (``--quick`` for a small smoke run). Modules, one job each:
`capture` (run the firmware detector, keep its features), `corpus` (walks, matching to references, cache), `mlp`
(fit, round, integer forward), `fit` (which model is fitted on what, leave-one-recording-out), `export` (write and
read the firmware module), `scores` (figures), `report` (the README table), `tune` (recipes compared on a validation
split and leave-one-recording-out, never on the held-out seeds: ``python -m tools.train_detector.tune``).
"""
