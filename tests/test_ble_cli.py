"""`anklet scan`, `live` and `record` end to end: the CLI in this thread, the firmware's GATT server in another,
joined by a bumble controller served over TCP (how `--via sim` reaches the virtual anklet)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from anklet_host import packets
from anklet_host.cli import main as cli_main
from anklet_host.cli.commands.live import Display
from anklet_host.cli.commands.sync import ProgressBar
from anklet_host.store.db import Store
from anklet_host.trace import read_trace
from tests.ble_helpers import ServedAnklet
from tests.conftest import off_main_thread


def main(argv: list[str]) -> int:
    return off_main_thread(cli_main, argv, timeout_s=60)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> ServedAnklet:
    with ServedAnklet(tmp_path_factory.mktemp("served-log"), records=30) as anklet:
        yield anklet


def test_scan_lists_the_anklet(served: ServedAnklet, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--via", served.via, "--scan-timeout", "0.5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ADDRESS", "RSSI", "NAME"]
    assert out[1].split()[0] == "F0:A1:E7:00:00:01"
    assert out[1].split()[-1] == "anklet"


def test_live_prints_a_line_per_update_when_not_a_terminal(
    served: ServedAnklet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["live", "--via", served.via, "--duration", "0.6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 3
    assert all(line.startswith("backward ") and "cadence 104/min" in line for line in lines)
    assert "\r" not in "".join(lines)


def test_record_writes_a_labelled_trace(
    served: ServedAnklet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "walk.csv"
    assert main(["record", str(out), "--label", "backward", "--duration", "1", "--via", served.via, "--mtu", "23"]) == 0
    trace = read_trace(out)
    assert len(trace) >= 20
    assert set(trace.labels["activity"]) == {"backward"}
    assert trace.rate_hz() == pytest.approx(52.0)  # the anklet's own rate, from its settings
    assert 0.5 < float(trace.accel_ms2[:, 2].mean()) / 9.80665 < 1.5  # about 1 g on z
    assert "wrote" in capsys.readouterr().out


def test_record_refuses_to_overwrite(served: ServedAnklet, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "walk.csv"
    out.write_text("precious\n")
    assert main(["record", str(out), "--label", "x", "--via", served.via]) == 2
    assert out.read_text() == "precious\n"
    assert capsys.readouterr().err.strip() == f"anklet: {out}: exists (use --force to overwrite)"


def test_an_unreachable_simulator_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--via", "tcp-client:127.0.0.1:9", "--scan-timeout", "0.2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("anklet: cannot open tcp-client:127.0.0.1:9")
    assert err.count("\n") == 1


def test_sync_downloads_sets_the_clock_and_never_duplicates(
    served: ServedAnklet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "anklet.sqlite3"
    assert main(["sync", "--via", served.via, "--db", str(db), "--mtu", "23"]) == 0
    assert capsys.readouterr().out.splitlines() == ["synced 30 new record(s) from anklet anklet-0001"]
    assert main(["sync", "--via", served.via, "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines() == ["synced 0 new record(s) from anklet anklet-0001"]
    with Store(db) as store:
        assert store.count("minutes") == 30
    assert served.anklet is not None
    assert len(served.anklet.clock_set_unix_s) >= 2
    assert served.anklet.log.acked_seq == 30


def test_sync_with_a_bad_db_path_is_an_input_error(
    served: ServedAnklet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--via", served.via, "--db", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"anklet: {tmp_path} is a folder, not a store: give a file name such as {tmp_path / 'anklet.sqlite3'}"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_display_updates_one_line_in_place_on_a_terminal() -> None:
    terminal = _Terminal()
    display = Display(terminal)
    display.show(packets.Live(0, 10, 6, 3, 20, 98, 75, packets.SESSION_WALKING))
    display.show(packets.Live(1, 11, 7, 3, 22, 99, 76, packets.SESSION_WALKING))
    display.close()
    text = terminal.getvalue()
    assert text.count("\n") == 1
    assert text.endswith("\n")
    frames = text.rstrip("\n").split("\r\x1b[2K")
    assert frames[0] == ""
    assert frames[2] == (
        "backward     7  toe-first  42%  contacts    11  steps     22  cadence  99/min  active 1:16  walking"
    )


def test_sync_progress_bar_redraws_in_place_on_a_terminal() -> None:
    terminal = _Terminal()
    bar = ProgressBar(terminal)
    for done in (0, 720, 1440):
        bar(done, 1440)
    bar.close()
    frames = terminal.getvalue().rstrip("\n").split("\r\x1b[2K")
    assert frames[1:] == [
        "sync [..............................] 0/1440 records",
        "sync [###############...............] 720/1440 records",
        "sync [##############################] 1440/1440 records",
    ]
    piped = io.StringIO()
    quiet = ProgressBar(piped)
    quiet(5, 10)
    quiet.close()
    assert piped.getvalue() == ""  # a pipe gets only the summary lines


def test_status_says_what_waits_to_sync_and_settings_change_what_the_anklet_uses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ServedAnklet(tmp_path / "log", records=7) as anklet:
        assert main(["status", "--via", anklet.via]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [line.split()[0] for line in lines] == ["anklet", "battery", "clock", "history", "settings"]
        assert lines[0].startswith("anklet   F0:A1:E7:00:00:01  serial ")
        assert lines[2].startswith("clock    not set (boot ")
        assert lines[3] == "history  7 record(s) in flash, 7 waiting to sync"
        assert lines[4] == "settings 52 Hz, left leg, goal 10 min/day, sessions start when walking starts"
        assert main(["settings", "--goal-min", "15", "--sessions", "button", "--via", anklet.via]) == 0
        assert capsys.readouterr().out == "52 Hz, left leg, goal 15 min/day, sessions start and end with the button\n"
        assert anklet.anklet.settings_applied[-1] == (52, packets.LEG_LEFT, 15, False)
        assert main(["sync", "--via", anklet.via, "--db", str(tmp_path / "db.sqlite3")]) == 0
        capsys.readouterr()
        # The report measures against the goal the anklet holds, learned at the sync.
        assert main(["report", "--db", str(tmp_path / "db.sqlite3")]) == 0
        rows = capsys.readouterr().out.splitlines()[1:]
        assert rows
        assert all(" / 15 " in row for row in rows), rows
        assert main(["status", "--via", anklet.via]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[2].startswith("clock    20")  # sync set it (UTC date and time)
        assert lines[3] == "history  7 record(s) in flash, 0 waiting to sync"
        assert lines[4].endswith("goal 15 min/day, sessions start and end with the button")


def test_settings_refuses_values_the_firmware_would_not_take(
    served: ServedAnklet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["settings", "--goal-min", "700", "--via", served.via]) == 2
    assert capsys.readouterr().err == (
        "anklet: argument --goal-min: must be a whole number of minutes from 1 to 600, not '700';"
        " see `anklet settings --help`\n"
    )
    assert main(["settings", "--rate-hz", "60", "--via", served.via]) == 2
    assert capsys.readouterr().err == "anklet: --rate-hz must be one of 25, 50, 100, 200, 400, not 60\n"
