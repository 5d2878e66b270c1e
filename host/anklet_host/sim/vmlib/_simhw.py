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
        _simboard.emit({"ev": "pin", "pin": pin, "level": value})


def sync_clocks():
    """Bring the chip models' clocks up to the board's time (before every bus transfer and poll)."""
    now = time.ticks_us()
    dt = time.ticks_diff(now, _last_us[0])
    _last_us[0] = now
    if dt > 0:
        for clock in clocks:
            clock.advance_us(dt)


def check_edges():
    sync_clocks()
    for pin in watchers:
        pin._check_edge()


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

        clock = VirtualClock()
        model = model_for(sensor["chip"], clock, None, sensor["address"])
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
