"""`anklet synth`: the command writes readable, labelled traces and a corpus; bad options are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anklet_host.cli import main
from anklet_host.synth import WalkSpec, random_spec
from anklet_host.trace import read_trace


def test_walk_shorthand_writes_a_labelled_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "walk.csv"
    spec_out = tmp_path / "walk.json"
    status = main(
        ["synth", str(out), "--walk", "forward:20s@1.0m/s,stand:5s,backward:30s@0.22m/s", "--rate", "50",
         "--seed", "3", "--placement", "shoe", "--save-spec", str(spec_out)]
    )  # fmt: skip
    assert status == 0
    trace = read_trace(out)
    assert trace.rate_hz() == pytest.approx(50.0)
    assert len(trace) == 55 * 50
    assert trace.gyro_rads is not None
    contacts = trace.reference_contacts()
    backward = [c for c in contacts if c.direction == "backward"]
    assert {c.strike for c in backward} == {"toe"}
    assert len(backward) == pytest.approx(
        30.0 * WalkSpec.from_json(spec_out.read_text()).segments[2].cadence_spm_or_natural / 120, abs=1
    )
    assert set(trace.labels["activity"]) == {"walking", "standing"}
    spec = WalkSpec.from_json(spec_out.read_text())
    assert (spec.placement, spec.rate_hz, spec.seed) == ("shoe", 50.0, 3)
    assert f"wrote {out}" in capsys.readouterr().out


def test_spec_file_and_no_gyro(tmp_path: Path) -> None:
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(random_spec(4, "ankle").to_json())
    out = tmp_path / "walk.csv"
    assert main(["synth", str(out), "--spec", str(spec_path), "--no-gyro", "--rate", "25"]) == 0
    trace = read_trace(out)
    assert trace.gyro_rads is None
    assert trace.rate_hz() == pytest.approx(25.0)
    assert {c.direction for c in trace.reference_contacts()} == {"forward", "backward"}


def test_corpus_writes_count_traces_with_their_specs(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    assert main(["synth", "--corpus", str(folder), "--count", "2", "--seed", "10", "--placement", "shoe"]) == 0
    csvs = sorted(folder.glob("*.csv"))
    assert [p.name for p in csvs] == ["synth-shoe-000010.csv", "synth-shoe-000011.csv"]
    for path, seed in zip(csvs, (10, 11), strict=True):
        spec = WalkSpec.from_json(path.with_suffix(".json").read_text())
        assert spec == random_spec(seed, "shoe")
        assert read_trace(path).reference_contacts()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["out.csv"], "say what to walk"),
        ([], "give OUT.csv"),
        (["out.csv", "--walk", "sprint:10s"], "--walk item 1"),
        (["out.csv", "--walk", "forward:10s", "--rate", "5"], "--rate must be between"),
        (["out.csv", "--walk", "forward:10s", "--seed", "-1"], "seed must be"),
        (["out.csv", "--spec", "missing.json"], "missing.json: cannot read"),
        (["--corpus", "c", "--count", "0"], "--count must be"),
        (["out.csv", "--corpus", "c"], "give no OUT.csv"),
    ],
)
def test_bad_options_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["synth", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out.csv").exists()


def test_bad_spec_file_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_path = tmp_path / "bad.json"
    spec_path.write_text(json.dumps({"segments": [{"kind": "walk", "duration_s": 30, "speed_m_s": 9}]}))
    assert main(["synth", str(tmp_path / "o.csv"), "--spec", str(spec_path)]) == 2
    err = capsys.readouterr().err
    assert f"{spec_path}: segment 1: speed_m_s must be between" in err
