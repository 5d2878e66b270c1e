# mypy: ignore-errors
# ruff: noqa: PLC0415, N811
# (MicroPython code that runs inside the simulated board, not on the host: imports stay lazy to keep boots
# light, module state is global as in the ESP32 port's own modules, % formatting as MicroPython prefers.)
"""The simulated board's wiring: which pin reads what, which I2C bus carries which chip model, the ADC voltages.

The supervisor sends a hardware description built from the board file (``CONFIG["hardware"]``); the chip models and
the bus are the shared ones in ``anklet_sim`` (host/anklet_host/sim: clock, i2c, chips), copied into the VM. Pins
read, in order: a source (a chip's INT line), a level the host set (a button press), the level the firmware wrote,
the pull resistor. Host events change levels (``{"op": "pin", "pin": 32, "level": 0}``) and ADC voltages
(``{"op": "adc", "pin": 35, "mv": 1900}``); output changes go back to the host as ``{"ev": "pin", ...}``.

A walk: when the host has put a walk file beside the flash (``<flash>/_sim/walk.bin``, written by
anklet_host.sim.walkfeed, with options in ``walk.json``), the sensor plays it (chips.sources.WalkFileSource) from
the first sample after the firmware turns the chip's FIFO on. The folder is moved out of the flash's sight inside the
VM (to ``/_sim/feed``; the host copy stays), so the firmware and mpremote see the flash as it is on a board. With a
walk the chip's clock moves at polls only, and is paced: it never runs so far ahead of the firmware's FIFO reads that
the FIFO would overflow, so a VM slower than ``--speed`` asks plays the walk slower instead of losing samples
(``lag_us`` counts the board time the chip's clock was held back). Progress goes to the host as
``{"ev": "walk", ...}`` once per second of the chip's time.
"""

import time

import _simboard

sources = {}  # pin -> callable returning 0/1 (a chip's INT line)
host_levels = {}  # pin -> 0/1 set by the host (button)
out_levels = {}  # pin -> 0/1 written by the firmware
pulls = {}  # pin -> +1 pull-up, -1 pull-down
adc_mv = {}  # pin -> millivolts at the pin
buses = {}  # I2C bus id -> bus carrying chip models
watchers = []  # machine.Pin objects with an IRQ handler
clocks = []  # anklet_sim VirtualClock objects following the board's time
models = []
_last_us = [0]
FEED_DIR = "/_sim/feed"
REBASE_AT_US = 1 << 29  # chip clocks stay small ints on MicroPython (see anklet_sim.clock)
walk = [None]  # the WalkFileSource playing, if any
walk_state = {"pace": True, "lag_us": 0, "reported_s": -1}


def level(pin):
    source = sources.get(pin)
    if source is not None:
        return 1 if source() else 0
    if pin in host_levels:
        return host_levels[pin]
    if pin in out_levels:
        return out_levels[pin]
    return 1 if pulls.get(pin, 0) > 0 else 0


def write(pin, value):
    value = 1 if value else 0
    if out_levels.get(pin) != value:
        out_levels[pin] = value
        # With the board's time, so a host can read patterns (the status LED's blinks) at any --speed.
        _simboard.emit({"ev": "pin", "pin": pin, "level": value, "t_ms": time.ticks_ms()})


def sync_clocks(poll=False):
    """Bring the chip models' clocks up to the board's time (before every bus transfer, and at every poll).

    With a walk, only polls move the chip's time (never a bus transfer): the driver's set-up, a run of register
    writes, then happens at one instant, as it nearly does on a board, so no walk sample is made and then thrown
    away by a FIFO reset; and a firmware draining its FIFO in a loop empties it and yields even when the VM runs
    behind the board's clock (were the FIFO refilled at every transfer, it would never leave the loop).
    """
    source = walk[0]
    if source is not None and not poll:
        return
    now = time.ticks_us()
    dt = time.ticks_diff(now, _last_us[0])
    _last_us[0] = now
    if dt <= 0:
        return
    if source is not None and walk_state["pace"]:
        _paced(clocks[0], models[0], dt)
    else:
        for clock in clocks:
            clock.advance_us(dt)


def _paced(clock, model, dt):
    """Advance the chip's clock by up to ``dt`` us, stopping while the FIFO is nearly full (the walk waits)."""
    while dt > 0:
        model.update()
        free = model.capacity_samples() - model.pending_samples() - 2
        if free <= 0:
            walk_state["lag_us"] += dt
            return
        # One sample period is at least 1000 us for every rate the walk plays at (<= 1 kHz): `free` of them fit.
        step = min(free * 1000, dt)
        clock.advance_us(step)
        dt -= step


def check_edges():
    sync_clocks(True)
    check_levels()
    if walk[0] is not None:
        _report_walk()


def check_levels():
    """Let every pin with an IRQ see its line's level now (edges fire their handlers): at every poll, and after every
    bus transfer, which can drop a chip's interrupt line (machine.I2C)."""
    for pin in watchers:
        pin._check_edge()


def _report_walk():
    # Once per second of the chip's time (allocates: a poller, never on the sampling path).
    elapsed_ms = clocks[0].elapsed_us // 1000
    state = walk_state
    if elapsed_ms // 1000 == state["reported_s"]:
        return
    state["reported_s"] = elapsed_ms // 1000
    source = walk[0]
    model = models[0]
    _simboard.emit(
        {
            "ev": "walk",
            "record": source.record,
            "count": source.count,
            "started": source.started,
            "finished": source.finished,
            "produced": model.produced,
            "dropped": model.dropped,
            "lag_ms": state["lag_us"] // 1000,
            "elapsed_ms": elapsed_ms,
        }
    )


def _on_pin(event):
    host_levels[event["pin"]] = 1 if event["level"] else 0
    check_edges()


def _on_adc(event):
    adc_mv[event["pin"]] = event["mv"]


def bus(bus_id):
    found = buses.get(bus_id)
    if found is None:
        from anklet_sim.i2c import I2C as Bus

        found = buses[bus_id] = Bus(bus_id)
    return found


def _shift_model(model, shift_us):
    # The model's sample schedule is on the clock's time line: move it back with the clock.
    model.next_sample_us -= shift_us


def _hide_feed():
    """Move ``<flash>/_sim`` (the host's walk) from the VM's flash to /_sim/feed; the host folder is untouched."""
    import vfs

    flash = vfs.VfsPosix("/flash")
    try:
        flash.stat("_sim")
    except OSError:
        return False
    # Relative paths (the VM's working folder is /flash here): VfsPosix.rename garbles two absolute paths.
    flash.rename("_sim", "../_sim/feed")
    return True


def _open_walk():
    """The walk source if the host put a walk file beside the flash, else None (the chip lies still)."""
    if not _hide_feed():
        return None
    import json

    from anklet_sim.chips.sources import WalkFileSource

    options = {}
    try:
        with open(FEED_DIR + "/walk.json") as f:
            options = json.load(f)
    except (OSError, ValueError):
        pass
    try:
        stream = open(FEED_DIR + "/walk.bin", "rb")  # noqa: SIM115 - open for the whole boot, read in chunks
    except OSError:
        return None
    source = WalkFileSource(stream, options.get("chunk_records", 256), options.get("start_record", 0))
    walk[0] = source
    walk_state["pace"] = bool(options.get("pace", True))
    return source


def setup(config):
    _last_us[0] = time.ticks_us()
    hw = config.get("hardware") or {}
    for pin, mv in hw.get("adc_mv", {}).items():
        adc_mv[int(pin)] = mv
    for pin, value in hw.get("pins", {}).items():
        host_levels[int(pin)] = value
    sensor = hw.get("sensor")
    if sensor:
        from anklet_sim.chips import model_for
        from anklet_sim.clock import VirtualClock

        clock = VirtualClock(rebase_at_us=REBASE_AT_US)
        model = model_for(sensor["chip"], clock, _open_walk(), sensor["address"])
        clock.follow(lambda shift_us: _shift_model(model, shift_us))
        if walk[0] is not None:
            walk[0].gate = model  # the walk starts with the first sample the firmware collects
            clock.follow(walk[0].rebase)
        bus(sensor["bus"]).attach(model)
        clocks.append(clock)
        models.append(model)
        int_pin = sensor.get("int_pin")
        if int_pin is not None:
            line = sensor.get("sensor_int", 1)
            sources[int_pin] = lambda: model.int_level(line)
    _simboard.on("pin", _on_pin)
    _simboard.on("adc", _on_adc)
    _simboard.add_poller(check_edges)
