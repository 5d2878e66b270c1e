"""Bad input tried as a careless user would, one test per row of the README's table "Bad input -> what anklet says".

Each row runs the real `anklet` command in a folder of real files (a store with records, another program's database,
a damaged store, traces in the wrong units, ...): in this process, or as a subprocess where a signal, a read-only
mount or a second process is part of the case. The command must answer with the row's one line (on stderr; for an
input that is accepted, a line of its output), the row's exit status and no traceback, and leave every file in the
folder as it was, and the anklet's log unacknowledged.

``python -m tests.test_bad_inputs`` prints the table for the README; `test_the_readme_shows_every_row` keeps the two
equal.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from anklet_host import packets
from anklet_host.ble.client import VIA_ENV
from anklet_host.cli import main
from anklet_host.paths import PROJECT_ROOT
from anklet_host.store.db import Store
from anklet_host.synth import WalkSpec, generate_walk, parse_walk_shorthand
from anklet_host.trace import Trace, trace_to_text, write_trace
from tests.ble_helpers import ServedAnklet
from tests.conftest import off_main_thread
from tests.realdata.convert import gaitmap_traces

ANKLET = str(Path(sys.executable).with_name("anklet"))
README = PROJECT_ROOT / "README.md"

# What a row needs besides its files: another program holding the store, a read-only folder, Ctrl-C, a virtual
# anklet already running on the flash folder, a real shoe recording (../shared/data).
LOCKED = "locked"
READ_ONLY = "read-only"
CTRL_C = "ctrl-c"
SIM_RUNNING = "sim-running"
REAL_SHOE = "real-shoe"


@dataclass(frozen=True)
class Row:
    what: str  # the careless input, as the README's first column says it
    command: str  # as typed in the folder `workspace` makes
    says: str  # the one line anklet answers with
    status: int = 2
    stream: str = "err"  # where ``says`` is: the one line on stderr, or a line of the output ("out")
    needs: str = ""  # LOCKED, READ_ONLY, ...


ROWS = [
    # ------------------------------------------------------------------------------------------------ the command
    Row(
        "a command misspelt",
        "anklet analyse walk.csv",
        "anklet: argument COMMAND: invalid choice: 'analyse' (choose from 'analyze', 'bench', 'boards', 'demo',"
        " 'deploy', 'eval', 'export', 'live', 'record', 'report', 'scan', 'settings', 'sim', 'status', 'sync',"
        " 'synth'); see `anklet --help`",
    ),
    Row(
        "an option the command does not have",
        "anklet analyze walk.csv --gyro",
        "anklet: unrecognized arguments: --gyro; see `anklet analyze --help`",
    ),
    Row(
        "no trace given",
        "anklet analyze",
        "anklet: the following arguments are required: trace; see `anklet analyze --help`",
    ),
    Row(
        "a placement that does not exist",
        "anklet analyze walk.csv --placement foot",
        "anklet: argument --placement: invalid choice: 'foot' (choose from 'ankle', 'shoe');"
        " see `anklet analyze --help`",
    ),
    # ---------------------------------------------------------------------------------------------------- traces
    Row(
        "a sample rate that is not a number",
        "anklet analyze walk.csv --rate nan",
        "anklet: argument --rate: must be a sample rate in Hz (a number above 0), not 'nan';"
        " see `anklet analyze --help`",
    ),
    Row(
        "a negative sample rate",
        "anklet analyze walk.csv --rate -100",
        "anklet: argument --rate: must be a sample rate in Hz (a number above 0), not '-100';"
        " see `anklet analyze --help`",
    ),
    Row(
        "--rate 50 for a trace whose t_s says 100 Hz",
        "anklet analyze walk.csv --rate 50",
        "warning: walk.csv: analysed at --rate 50 Hz; its t_s says 100 Hz",
        status=0,
    ),
    Row(
        "--rate 1000 for a trace whose t_s says 100 Hz",
        "anklet analyze walk.csv --rate 1000",
        "warning: walk.csv: analysed at --rate 1000 Hz; its t_s says 100 Hz",
        status=0,
    ),
    Row(
        "a 1 kHz lab trace",
        "anklet analyze walk-1khz.csv",
        "rate: 200 Hz (resampled from 1000 Hz)",
        status=0,
        stream="out",
    ),
    Row(
        "acceleration in g instead of m/s²",
        "anklet analyze walk-in-g.csv",
        "anklet: walk-in-g.csv: gravity reads 1.12 m/s² (ax,ay,az averaged), not about 9.81: ax,ay,az look like g;"
        " the trace format wants m/s² (multiply them by 9.80665)",
    ),
    Row(
        "acceleration scaled by 1e6",
        "anklet analyze walk-x1e6.csv",
        "anklet: walk-x1e6.csv: gravity reads 1.1e+07 m/s² (ax,ay,az averaged), not about 9.81: ax,ay,az look"
        " scaled by about 1e+06; the trace format wants m/s² (divide them by 1e+06)",
    ),
    Row(
        "acceleration with gravity removed",
        "anklet analyze walk-no-gravity.csv",
        "anklet: walk-no-gravity.csv: gravity reads 0 m/s² (ax,ay,az averaged), not about 9.81: gravity looks"
        " removed; the trace format wants m/s² with gravity included",
    ),
    Row(
        "t_s in milliseconds",
        "anklet analyze walk-ms.csv",
        "anklet: walk-ms.csv: t_s gives 0.1 samples a second, below the detector's lowest rate, 25 Hz; is t_s in"
        " milliseconds? the trace format wants seconds (or give --rate HZ)",
    ),
    Row(
        "a CSV saved by a spreadsheet (UTF-8 with a byte-order mark)",
        "anklet analyze walk-bom.csv",
        "contacts of this foot: 18 (0 backward, 0 toe-first)",
        status=0,
        stream="out",
    ),
    Row(
        "a CSV separated by semicolons",
        "anklet analyze walk-semicolons.csv",
        "anklet: walk-semicolons.csv:1: columns separated by semicolons: save the trace as comma-separated CSV",
    ),
    Row(
        "an empty file",
        "anklet analyze empty.csv",
        "anklet: empty.csv:1: empty file: expected a header starting t_s,ax,ay,az",
    ),
    Row(
        "a header and no samples",
        "anklet analyze header-only.csv",
        "anklet: header-only.csv:2: no samples after the header",
    ),
    Row(
        "a column missing",
        "anklet analyze no-az.csv",
        "anklet: no-az.csv:1: missing column(s) az: the header must start t_s,ax,ay,az",
    ),
    Row(
        "text where a number belongs",
        "anklet analyze typo.csv",
        "anklet: typo.csv:4: ay is not a number: '0.1O'",
    ),
    Row(
        "time going backward",
        "anklet analyze time-backward.csv",
        "anklet: time-backward.csv:4: time goes backward or repeats (0.01 s after 0.02 s)",
    ),
    Row(
        "a single sample",
        "anklet analyze one-sample.csv",
        "anklet: one-sample.csv: one sample is no walk: a trace needs samples over at least a few seconds",
    ),
    Row(
        "a spreadsheet file instead of a CSV",
        "anklet analyze walk.xlsx",
        "anklet: walk.xlsx: not a text CSV file",
    ),
    Row(
        "a file that is not there",
        "anklet analyze walk2.csv",
        "anklet: walk2.csv: cannot read: No such file or directory",
    ),
    Row(
        "a folder instead of a trace",
        "anklet analyze traces",
        "anklet: traces: is a folder, not a trace CSV (`anklet eval` reads a folder of them)",
    ),
    Row(
        "a folder of traces in g for eval",
        "anklet eval traces-in-g",
        "anklet: traces-in-g/walk.csv: gravity reads 1.12 m/s² (ax,ay,az averaged), not about 9.81: ax,ay,az look"
        " like g; the trace format wants m/s² (multiply them by 9.80665)",
    ),
    Row(
        "a trace in g played on the virtual anklet",
        "anklet sim --board esp32-devkitc-gy521 --trace walk-in-g.csv --flash flash --no-pty --socket 0",
        "anklet: walk-in-g.csv: gravity reads 1.12 m/s² (ax,ay,az averaged), not about 9.81: ax,ay,az look like g;"
        " the trace format wants m/s² (multiply them by 9.80665)",
    ),
    Row(
        "a trace instead of a folder for eval",
        "anklet eval walk.csv",
        "anklet: walk.csv: not a folder of labelled traces (`anklet analyze` reads one trace)",
    ),
    Row(
        "a shoe trace analysed without --placement",
        "anklet analyze shoe.csv",
        "placement: ankle (the default; a sensor on the shoe needs --placement shoe)",
        status=0,
        stream="out",
    ),
    Row(
        "a real shoe recording analysed as an ankle one",
        "anklet analyze shoe-recording.csv --placement ankle",
        "hint: 32 of 32 contacts land toe first walking forward or heel first walking backward, as walkers rarely"
        " do: if the sensor was on the shoe, give --placement shoe",
        status=0,
        needs=REAL_SHOE,
    ),
    # ----------------------------------------------------------------------------------------------- synth files
    Row(
        "a walk written over an existing trace",
        "anklet synth walk.csv --walk forward:10s",
        "anklet: walk.csv: exists (use --force to overwrite)",
    ),
    Row(
        "a trace written into a folder that is not there",
        "anklet synth no-such-folder/walk.csv --walk forward:10s",
        "anklet: no-such-folder: no such folder",
    ),
    Row(
        "a negative duration",
        "anklet synth new.csv --walk forward:-5s",
        "anklet: --walk item 1 ('forward:-5s'): duration must look like 30s, 6min or 1h",
    ),
    Row(
        "a walk kind that does not exist",
        "anklet synth new.csv --walk sideways:10s",
        "anklet: --walk item 1 ('sideways:10s'): kind must be one of forward, backward, stand, shift, tap, vehicle",
    ),
    Row(
        "a sample rate no sensor has",
        "anklet synth new.csv --walk forward:10s --rate 5",
        "anklet: --rate must be between 10 and 2000 Hz, not 5",
    ),
    Row(
        "a board file given as a walk description",
        "anklet synth new.csv --spec board.json",
        'anklet: board.json: a walk description needs "format": "anklet-walk"',
    ),
    # ---------------------------------------------------------------------------------------------------- stores
    Row(
        "another program's database as the store",
        "anklet report --db other-app.sqlite3",
        "anklet: other-app.sqlite3 is not an anklet store (its tables: notes); pass --db the anklet's store or a new"
        " file",
    ),
    Row(
        "syncing into another program's database",
        "anklet sync --db other-app.sqlite3",
        "anklet: other-app.sqlite3 is not an anklet store (its tables: notes); pass --db the anklet's store or a new"
        " file",
    ),
    Row(
        "a store with a damaged page",
        "anklet report --db damaged.sqlite3",
        "anklet: the store damaged.sqlite3 is damaged (database disk image is malformed); put back a copy from a"
        " backup, or pass --db a new file and sync",
    ),
    Row(
        "a text file as the store",
        "anklet export --format json --db notes.txt",
        "anklet: notes.txt is not an anklet store (not an SQLite database); pass --db the anklet's store",
    ),
    Row(
        "an empty file as the store",
        "anklet report --db empty.sqlite3",
        "anklet: empty.sqlite3 is empty, not an anklet store (`anklet sync --db empty.sqlite3` fills it)",
    ),
    Row(
        "a folder as the store",
        "anklet report --db traces",
        "anklet: traces is a folder, not a store: give a file name such as traces/anklet.sqlite3",
    ),
    Row(
        "a store in a folder that is not there",
        "anklet sync --db no-such-folder/anklet.sqlite3",
        "anklet: no folder no-such-folder for the store no-such-folder/anklet.sqlite3: create it first, or pass --db"
        " a file in a folder",
    ),
    Row(
        "a report while another program holds the store",
        "anklet report --db anklet.sqlite3",
        "anklet: the store anklet.sqlite3 is locked by another program (another `anklet sync`, or a database browser"
        " with unsaved changes); close it and try again",
        status=1,
        needs=LOCKED,
    ),
    Row(
        "a sync while another program holds the store",
        "anklet sync --db anklet.sqlite3",
        "anklet: the store anklet.sqlite3 is locked by another program (another `anklet sync`, or a database browser"
        " with unsaved changes); close it and try again",
        status=1,
        needs=LOCKED,
    ),
    Row(
        "a store on a read-only mount",
        "anklet sync --db read-only/anklet.sqlite3",
        "anklet: the store read-only/anklet.sqlite3 is read-only; make it and its folder writable, or pass --db"
        " another file",
        needs=READ_ONLY,
    ),
    Row(
        "Ctrl-C in the first second of a sync",
        "anklet sync --db anklet.sqlite3",
        "anklet: interrupted",
        status=130,
        needs=CTRL_C,
    ),
    # ------------------------------------------------------------------------------------------ reports, exports
    Row(
        "a goal of a fraction of a minute",
        "anklet report --db anklet.sqlite3 --goal-min 7.5",
        "anklet: argument --goal-min: must be a whole number of minutes from 1 to 600, not '7.5';"
        " see `anklet report --help`",
    ),
    Row(
        "a goal the anklet would refuse",
        "anklet settings --goal-min 700",
        "anklet: argument --goal-min: must be a whole number of minutes from 1 to 600, not '700';"
        " see `anklet settings --help`",
    ),
    Row(
        "a chart written over an existing file",
        "anklet report --db anklet.sqlite3 --chart report.html",
        "anklet: report.html: exists (use --force to overwrite)",
    ),
    Row(
        "an export written over an existing file",
        "anklet export --format csv --db anklet.sqlite3 -o minutes.csv",
        "anklet: minutes.csv: exists (use --force to overwrite)",
    ),
    Row(
        "an export format that does not exist",
        "anklet export --format xml --db anklet.sqlite3",
        "anklet: argument --format: invalid choice: 'xml' (choose from 'csv', 'json'); see `anklet export --help`",
    ),
    # ----------------------------------------------------------------------------------------- boards, the sim
    Row(
        "a binary file named .json among the board files",
        "anklet boards --dir my-boards",
        "anklet: my-boards/photo.json: not a board file (not UTF-8 text): a board file is JSON like boards/*.json",
    ),
    Row(
        "a board that does not exist",
        "anklet deploy --board esp32-devkit --port /dev/ttyUSB0",
        "anklet: unknown board 'esp32-devkit' (known: esp32-devkitc-gy291, esp32-devkitc-gy521, huzzah32-lsm6dsox,"
        " m5stack-atom-matrix, xiao-esp32c3-lis3dh; see `anklet boards`)",
    ),
    Row(
        "a second virtual anklet on the same flash folder",
        "anklet sim --flash flash --no-pty --socket 0 --radio-port 0",
        "anklet: another virtual anklet (pid N) runs on --flash flash; stop it, or give this one another --flash"
        " folder",
        needs=SIM_RUNNING,
    ),
    Row(
        "no sync attempts",
        "anklet sync --attempts 0",
        "anklet: argument --attempts: must be 1..100, not 0; see `anklet sync --help`",
    ),
]


# ---------------------------------------------------------------------------------------------------- the folder
def _write_store(path: Path) -> None:
    with Store(path) as store:
        minute = packets.MinuteRecord(True, 1, 29_000_000, 2, 0, 0, 5, 15, 0, 80, 60)
        store.ingest("anklet-0001", 1, [minute])


def _damage(path: Path) -> None:
    """Overwrite the head of the minutes table's first page, as a torn write on a failing disk would."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'minutes'").fetchone()[0]
    with path.open("r+b") as stream:
        stream.seek(page_size * (root - 1))
        stream.write(b"\x42" * 16)


def _scaled(trace: Trace, factor: float) -> Trace:
    return Trace(trace.t_s, trace.accel_ms2 * factor, trace.gyro_rads, trace.labels)


def _write_traces(folder: Path) -> None:
    walk = generate_walk(WalkSpec(segments=parse_walk_shorthand("forward:20s,stand:3s")))
    write_trace(folder / "walk.csv", walk)
    write_trace(folder / "walk-in-g.csv", _scaled(walk, 1 / 9.80665))
    write_trace(folder / "walk-x1e6.csv", _scaled(walk, 1e6))
    no_gravity = walk.accel_ms2 - walk.accel_ms2.mean(axis=0)  # as a sensor's "linear acceleration" output
    write_trace(folder / "walk-no-gravity.csv", Trace(walk.t_s, no_gravity, walk.gyro_rads, walk.labels))
    write_trace(folder / "walk-ms.csv", Trace(walk.t_s * 1000, walk.accel_ms2, walk.gyro_rads, walk.labels))
    (folder / "walk-bom.csv").write_text(trace_to_text(walk), encoding="utf-8-sig")
    (folder / "walk-semicolons.csv").write_text(trace_to_text(walk).replace(",", ";"), encoding="utf-8")
    fast = generate_walk(WalkSpec(segments=parse_walk_shorthand("forward:12s"), rate_hz=1000.0))
    write_trace(folder / "walk-1khz.csv", fast)
    shoe = WalkSpec(segments=parse_walk_shorthand("backward:20s@0.3m/s"), placement="shoe")
    write_trace(folder / "shoe.csv", generate_walk(shoe))
    (folder / "empty.csv").write_bytes(b"")
    (folder / "header-only.csv").write_text("t_s,ax,ay,az\n")
    (folder / "no-az.csv").write_text("t_s,ax,ay\n0,0.1,9.8\n")
    (folder / "typo.csv").write_text("t_s,ax,ay,az\n0,0.1,0.1,9.8\n0.01,0.1,0.1,9.8\n0.02,0.1,0.1O,9.8\n")
    (folder / "time-backward.csv").write_text("t_s,ax,ay,az\n0,0,0,9.8\n0.02,0,0,9.8\n0.01,0,0,9.8\n")
    (folder / "one-sample.csv").write_text("t_s,ax,ay,az\n0,0,0,9.8\n")
    (folder / "walk.xlsx").write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4)
    (folder / "traces").mkdir()
    (folder / "traces-in-g").mkdir()
    write_trace(folder / "traces-in-g" / "walk.csv", _scaled(walk, 1 / 9.80665))


def _write_stores(folder: Path) -> None:
    _write_store(folder / "anklet.sqlite3")
    _write_store(folder / "damaged.sqlite3")
    _damage(folder / "damaged.sqlite3")
    with contextlib.closing(sqlite3.connect(folder / "other-app.sqlite3")) as other:
        other.execute("CREATE TABLE notes (day TEXT, text TEXT)")
        other.execute("INSERT INTO notes VALUES ('monday', 'knee better')")
        other.commit()
    (folder / "empty.sqlite3").write_bytes(b"")
    (folder / "notes.txt").write_text("knee better on monday\n")
    (folder / "read-only").mkdir()
    _write_store(folder / "read-only" / "anklet.sqlite3")


def _write_other_files(folder: Path) -> None:
    (folder / "report.html").write_text("<p>last week's chart</p>\n")
    (folder / "minutes.csv").write_text("last week's export\n")
    (folder / "board.json").write_text((PROJECT_ROOT / "boards" / "esp32-devkitc-gy521.json").read_text())
    (folder / "my-boards").mkdir()
    (folder / "my-boards" / "photo.json").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("careless")
    _write_traces(folder)
    _write_stores(folder)
    _write_other_files(folder)
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAnklet]:
    """An anklet with records waiting: a sync refused before it starts must not acknowledge any."""
    with ServedAnklet(tmp_path_factory.mktemp("served-log"), records=20) as anklet:
        yield anklet


def snapshot(folder: Path, ignore: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes (and every folder), except names starting ``ignore``."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if ignore and name.startswith(ignore):
            continue
        found[name] = "folder" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


# ------------------------------------------------------------------------------------------------ running a row
@dataclass
class Ran:
    status: int
    out: str
    err: str


def _in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Ran:
    status = off_main_thread(main, argv, timeout_s=60)
    out, err = capsys.readouterr()
    return Ran(status, out, err)


def _subprocess(command: list[str], folder: Path, timeout_s: float = 60) -> Ran:
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=timeout_s, check=False)
    return Ran(done.returncode, done.stdout, done.stderr)


@contextlib.contextmanager
def _locked(store: Path) -> Iterator[None]:
    """Another program holding the store: an exclusive lock, as SQLite takes it to write a transaction out."""
    other = sqlite3.connect(store, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def _read_only_run(argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> Ran:
    """The command with ``folder/read-only`` read-only: for root (whom permissions do not stop) a read-only bind
    mount in a mount namespace of its own (the command runs inside it); for anyone else, its permissions."""
    target = folder / READ_ONLY
    if os.geteuid() == 0:
        script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
        return _subprocess(["unshare", "-m", "sh", "-c", script, "sh", str(target), ANKLET, *argv], folder)
    modes = {path: path.stat().st_mode for path in (target, *target.iterdir())}
    for path in modes:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        return _in_process(argv, capsys)
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


# Ctrl-C lands in the command's first second: after `anklet` has started, while its commands are being imported
# (bumble, numpy, the synthesizer), where an interrupt used to end in a traceback.
_INTERRUPT_SOON = """
import os, signal, sys
from anklet_host.cli import main
signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
signal.setitimer(signal.ITIMER_REAL, 0.05)
sys.exit(main(sys.argv[1:]))
"""


@contextlib.contextmanager
def _sim_running(folder: Path, argv: list[str]) -> Iterator[None]:
    """A first virtual anklet running on the row's flash folder (the same command)."""
    first = subprocess.Popen([ANKLET, *argv], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = folder / "flash.lock"
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first virtual anklet did not take the lock"
            time.sleep(0.05)
        yield
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)


def run_row(row: Row, folder: Path, capsys: pytest.CaptureFixture[str]) -> Ran:
    argv = shlex.split(row.command)[1:]
    if row.needs == LOCKED:
        with _locked(folder / "anklet.sqlite3"):
            return _in_process(argv, capsys)
    if row.needs == READ_ONLY:
        return _read_only_run(argv, folder, capsys)
    if row.needs == CTRL_C:
        return _subprocess([sys.executable, "-c", _INTERRUPT_SOON, *argv], folder)
    if row.needs == SIM_RUNNING:
        with _sim_running(folder, argv):
            return _subprocess([ANKLET, *argv], folder)
    return _in_process(argv, capsys)


def _prepare(row: Row, folder: Path, request: pytest.FixtureRequest) -> None:
    if row.needs == REAL_SHOE and not (folder / "shoe-recording.csv").exists():
        shared_data = request.getfixturevalue("shared_data")  # skipped outside CI without ../shared/data
        write_trace(folder / "shoe-recording.csv", gaitmap_traces(shared_data)["gaitmap-2x20m-left"])


@pytest.mark.parametrize("row", ROWS, ids=[row.what for row in ROWS])
def test_bad_input_gets_one_line_and_changes_nothing(  # noqa: PLR0917 - pytest passes fixtures by position
    row: Row,
    workspace: Path,
    served: ServedAnklet,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    _prepare(row, workspace, request)
    monkeypatch.chdir(workspace)
    monkeypatch.setenv(VIA_ENV, served.via)  # commands that talk to an anklet find this one
    # A running virtual anklet writes its own flash: the row checks that the second one leaves the lock alone.
    ignore = ("flash",) if row.needs == SIM_RUNNING else ()
    before = snapshot(workspace, ignore)
    assert served.anklet is not None
    acked = served.anklet.log.acked_seq
    ran = run_row(row, workspace, capsys)
    assert "Traceback" not in ran.out + ran.err
    assert ran.status == row.status, ran
    err = re.sub(r"\(pid \d+\)", "(pid N)", ran.err)
    if row.stream == "err":
        assert err == row.says + "\n"
    else:
        assert err == ""
        assert row.says in ran.out.splitlines()
    if row.status != 0:
        assert ran.out == ""
    assert snapshot(workspace, ignore) == before
    assert served.anklet.log.acked_seq == acked


# ------------------------------------------------------------------------------------------------ the README
def _cell(text: str) -> str:
    """A table cell showing ``text`` as code: double backticks (the text holds single ones), pipes escaped."""
    return "`` " + text.replace("|", "\\|") + " ``"


def readme_table() -> str:
    lines = ["| Bad input | Command | What anklet says | Exit |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.what} | {_cell(r.command)} | {_cell(r.says)} | {r.status} |" for r in ROWS]
    return "\n".join(lines) + "\n"


def test_the_readme_shows_every_row() -> None:
    assert len(ROWS) >= 30
    assert readme_table() in README.read_text(encoding="utf-8"), "run: python -m tests.test_bad_inputs"


def test_every_row_is_a_different_input() -> None:
    assert len({r.what for r in ROWS}) == len(ROWS)
    assert len({(r.command, r.needs) for r in ROWS}) == len(ROWS)


if __name__ == "__main__":
    sys.stdout.write(readme_table())
