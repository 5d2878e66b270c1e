# mypy: ignore-errors
# ruff: noqa: PLC0415, UP031, ARG002
# (MicroPython code that runs inside the simulated board, not on the host: imports stay lazy to keep boots
# light, module state is global as in the ESP32 port's own modules, % formatting as MicroPython prefers.)
"""machine for the virtual anklet: the ESP32 port's classes and functions over the simulated wiring (_simhw).

Pin (modes, pulls, value, irq on edges), I2C/SoftI2C (the shared simulated bus and chip models), ADC (voltages the
host sets), Timer, WDT (a starved watchdog resets the board: the supervisor restarts it), RTC, PWM, reset,
soft_reset, deepsleep/lightsleep, reset_cause, wake_reason, unique_id, freq. Reset causes and wake reasons use the
ESP32 port's numbers.
"""

import time

import _simboard
import _simhost
import _simhw

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
PIN_WAKE = 2
EXT0_WAKE = 2
EXT1_WAKE = 3
TIMER_WAKE = 4
TOUCHPAD_WAKE = 5
ULP_WAKE = 6
SLEEP = 2
DEEPSLEEP = 4

_CONFIG = _simboard.CONFIG
_freq_hz = [_CONFIG.get("freq_hz", 160000000)]


def reset_cause():
    return _CONFIG.get("reset_cause", PWRON_RESET)


def wake_reason():
    return _CONFIG.get("wake_reason", 0)


def unique_id():
    return bytes(_CONFIG.get("unique_id", [0x24, 0x0A, 0xC4, 0x00, 0x00, 0x01]))


def freq(hz=None):
    if hz is None:
        return _freq_hz[0]
    # The esp32 port's mp_machine_set_freq (ports/esp32/modmachine.c): whole MHz, these steps only, no 240 on RISC-V.
    mhz = int(hz) // 1000000
    if _CONFIG.get("mcu") == "esp32c3":
        if mhz not in (20, 40, 80, 160):
            raise ValueError("frequency must be 20MHz, 40MHz, 80Mhz or 160MHz")
    elif mhz not in (20, 40, 80, 160, 240):
        raise ValueError("frequency must be 20MHz, 40MHz, 80Mhz, 160MHz or 240MHz")
    _freq_hz[0] = mhz * 1000000
    return None


def reset():
    _simhost.reset("hard")


def soft_reset():
    _simhost.reset("soft")


def deepsleep(time_ms=0):
    import esp32

    # What the sensor was armed to call motion (mg, 0: not armed), for the world that moves on while the VM sleeps.
    motion_mg = [m.wom_threshold_mg for m in _simhw.models]
    _simboard.emit({"ev": "wake_pins", "ext0": esp32._ext0, "ext1": esp32._ext1, "motion_mg": motion_mg})
    _simhost.deepsleep(time_ms)


def lightsleep(time_ms=0):
    _simboard.idle(time_ms or 1 << 20)


def idle():
    _simboard.idle(0)


def disable_irq():
    return 0


def enable_irq(state=0):  # noqa: ARG001 - the board's signature
    return None


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2
    IRQ_LOW_LEVEL = 4
    IRQ_HIGH_LEVEL = 5
    WAKE_LOW = 4
    WAKE_HIGH = 5

    def __init__(self, id, mode=-1, pull=-1, value=None):  # noqa: A002 - the board's signature
        if isinstance(id, Pin):
            id = id.id  # noqa: A001
        self.id = id
        self.mode = self.IN
        self._handler = None
        self._trigger = 0
        self._last = 0
        self.init(mode, pull, value)

    def init(self, mode=-1, pull=-1, value=None):
        if mode != -1:
            self.mode = mode
        if pull == self.PULL_UP:
            _simhw.pulls[self.id] = 1
        elif pull == self.PULL_DOWN:
            _simhw.pulls[self.id] = -1
        elif pull is None:
            _simhw.pulls.pop(self.id, None)
        if value is not None:
            _simhw.write(self.id, value)

    def value(self, x=None):
        if x is None:
            if self.mode == self.OUT:
                return _simhw.out_levels.get(self.id, 0)
            return _simhw.level(self.id)
        _simhw.write(self.id, x)
        return None

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        _simhw.write(self.id, 1)

    def off(self):
        _simhw.write(self.id, 0)

    def toggle(self):
        _simhw.write(self.id, 1 - _simhw.out_levels.get(self.id, 0))

    def irq(self, handler=None, trigger=3, wake=None, hard=False):
        self._handler = handler
        self._trigger = trigger
        self._last = _simhw.level(self.id)
        if handler is None:
            if self in _simhw.watchers:
                _simhw.watchers.remove(self)
        elif self not in _simhw.watchers:
            _simhw.watchers.append(self)
        return self

    def _check_edge(self):
        now = _simhw.level(self.id)
        if now == self._last:
            return
        self._last = now
        edge = self.IRQ_RISING if now else self.IRQ_FALLING
        if self._trigger & edge and self._handler is not None:
            self._handler(self)

    def __repr__(self):
        return "Pin(%d)" % self.id


class I2C:
    """An I2C controller on the simulated bus ``id``; every transfer first brings the chip clocks to now. The chip
    models' time is the simulated hardware's, not the firmware's (`_simboard.hw_begin`); `anklet_host.budget` counts
    the bus's own time from the bytes moved.

    A transfer can change a chip's interrupt line (a FIFO read below its watermark drops it): the pins with an IRQ
    see the new level at once, as a GPIO's edge detector does, so that the next rise is an edge even if no poll saw
    the line low in between (a sampler that drains its FIFO and waits for the next rising edge would wait forever)."""

    def __init__(self, id=0, *, scl=None, sda=None, freq=400000, timeout=50000):  # noqa: A002
        self._bus = _simhw.bus(id)
        self.freq = freq

    def _transfer(self, op, *args, **kwargs):
        t0 = _simboard.hw_begin()
        try:
            _simhw.sync_clocks()
            result = op(*args, **kwargs)
            _simhw.check_levels()
            return result
        finally:
            _simboard.hw_end(t0)

    def scan(self):
        return self._bus.scan()

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        return self._transfer(self._bus.readfrom_mem_into, addr, memaddr, buf, addrsize=addrsize)

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        return self._transfer(self._bus.readfrom_mem, addr, memaddr, nbytes, addrsize=addrsize)

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        return self._transfer(self._bus.writeto_mem, addr, memaddr, buf, addrsize=addrsize)

    def readfrom_into(self, addr, buf, stop=True):
        return self._transfer(self._bus.readfrom_into, addr, buf, stop)

    def readfrom(self, addr, nbytes, stop=True):
        return self._transfer(self._bus.readfrom, addr, nbytes, stop)

    def writeto(self, addr, buf, stop=True):
        return self._transfer(self._bus.writeto, addr, buf, stop)


SoftI2C = I2C


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    WIDTH_12BIT = 3
    _FULL_MV = (950, 1250, 1750, 3300)

    def __init__(self, pin, *, atten=3):
        self.pin = pin.id if isinstance(pin, Pin) else pin
        self._atten = atten

    def atten(self, atten):
        self._atten = atten

    def width(self, width):
        return None

    def read_uv(self):
        return _simhw.adc_mv.get(self.pin, 0) * 1000

    def read_u16(self):
        full = self._FULL_MV[self._atten]
        return min(65535, _simhw.adc_mv.get(self.pin, 0) * 65535 // full)

    def read(self):
        return self.read_u16() >> 4


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, **kwargs):  # noqa: A002 - the board's signature
        self.id = id
        self.due_ms = None
        self._period = 0
        self._mode = self.PERIODIC
        self._callback = None
        if kwargs:
            self.init(**kwargs)

    def init(self, *, mode=1, period=-1, freq=-1, callback=None):
        if freq > 0:
            period = max(1, 1000 // freq)
        self._mode = mode
        self._period = max(1, period)
        self._callback = callback
        self.due_ms = time.ticks_add(time.ticks_ms(), self._period)
        _simboard.add_timer(self)

    def deinit(self):
        self.due_ms = None
        _simboard.remove_timer(self)

    def fire(self, now_ms):
        if self._mode == self.PERIODIC:
            self.due_ms = time.ticks_add(self.due_ms, self._period)
            if time.ticks_diff(self.due_ms, now_ms) < 0:
                self.due_ms = time.ticks_add(now_ms, self._period)
        else:
            self.deinit()
        if self._callback is not None:
            self._callback(self)


class WDT:
    """The watchdog: once started it cannot be stopped; unfed for ``timeout`` ms, the supervisor resets the board."""

    def __init__(self, id=0, timeout=5000):  # noqa: A002 - the board's signature
        self.timeout_ms = timeout
        _simboard.emit({"ev": "wdt", "timeout_ms": timeout})

    def feed(self):
        _simboard.emit({"ev": "feed"})


class RTC:
    def __init__(self, id=0):  # noqa: A002 - the board's signature
        self._offset_s = 0

    def datetime(self, value=None):
        if value is None:
            t = time.localtime(time.time() + self._offset_s)
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)
        target = time.mktime((value[0], value[1], value[2], value[4], value[5], value[6], 0, 0))
        self._offset_s = target - time.time()
        return None


class PWM:
    def __init__(self, pin, freq=5000, duty_u16=0, **kwargs):
        self.pin = pin.id if isinstance(pin, Pin) else pin
        self._freq = freq
        self.duty_u16(duty_u16)

    def freq(self, value=None):
        if value is None:
            return self._freq
        self._freq = value
        return None

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        self._duty = value
        _simboard.emit({"ev": "pwm", "pin": self.pin, "duty_u16": value})
        return None

    def deinit(self):
        self.duty_u16(0)
