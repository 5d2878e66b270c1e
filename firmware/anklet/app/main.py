"""The anklet application: boot (`anklet.app.boot` prepares, `start` finishes), then one asyncio task per concern,
joined with ``gather``.

- sampler: waits for the sensor's FIFO watermark interrupt (or polls where the board does not route it), drains the
  FIFO in one burst through the detector (no allocation per batch) and hands contacts to the day's activity, the log
  and the BLE step stream;
- live: once a second closes minutes/sessions, streams live counters and RSC cadence, saves counters at a bounded rate;
- button: short press starts or ends a walk session, long press resets the day's counters;
- LED, battery monitor, watchdog (fed only while the sampler makes progress), idle power saving (the sensor in
  wake-on-motion and the ESP32 in deep sleep after ``idle_sleep_s`` without walking);
- BLE: the GATT server (``anklet.ble.peripheral``).

The first line on the console says what booted: ``anklet 0.1.0 board=... chip=... rate=...Hz range=±16g gyro=...
boot=N py_heap_free=...B sys_heap_free=...B`` (the free heaps once Bluetooth is on: the margin on a real board).
A board file naming the wrong chip stops here with one clear line instead (and the LED blinks fast).
"""

import asyncio
import gc

import machine
from machine import ADC, WDT, Pin

from anklet import VERSION, packets
from anklet.activity import Activity
from anklet.app.battery import cell_mv, percent_from_mv
from anklet.app.button import GESTURE_LONG, GESTURE_SHORT, ButtonGestures
from anklet.app.led import MODE_BACKWARD, MODE_IDLE, MODE_LOW_BATTERY, MODE_WALKING
from anklet.app.persist import PersistedState
from anklet.app.sampler import Sampler
from anklet.compat import forget, ticks_diff, ticks_ms
from anklet.detector import DIR_BACKWARD
from anklet.devclock import DeviceClock, next_boot_id
from anklet.flashlog import FlashLog

WATCHDOG_MS = 10000
STALL_MS = 5000  # the sampler must have made progress this recently for the watchdog to be fed
LOW_BATTERY_PCT = 15
MOTION_WAKE_MG = 120
# 160 MHz, set at boot whatever the build's default: the FIFO headroom `make budget` reports is for this clock, and
# 240 MHz would cost current for room the default rate does not need (README, Benchmarks).
CPU_HZ = 160000000


class App:
    def __init__(self, board, settings, sensor, detector):
        self.board = board
        self.settings = settings
        self.sensor = sensor
        self.detector = detector
        self.sampler = Sampler(sensor, detector)
        self.boot_id = next_boot_id("/boot_id")
        self.clock = DeviceClock(self.boot_id)
        self.log = FlashLog("/log")
        self.activity = Activity(self.log, self.boot_id, auto_start=settings["auto_start"])
        self.state = PersistedState("/state.bin")
        self.battery_pct = 100
        self.ble = None
        self._progress_ms = ticks_ms()
        self._last_contact_ms = ticks_ms()
        self._start_ms = 0
        self._flag = None  # the sampler's watermark flag (`watchdog_task` sets it if an edge went missing)

    # ------------------------------------------------------------------------------------------------------ start
    def start_sensor(self):
        self.sensor.start()
        self._start_ms = self.clock.uptime_ms()

    def restore(self):
        state = self.state
        if state.load():
            self.activity.restore_today(
                self.clock.uptime_ms(), state.contacts, state.backward, state.toe_first, state.active_s * 1000
            )
            if state.session_active:
                self.activity.start_session(self.clock.uptime_ms())

    def boot_line(self):
        import esp32

        sensor = self.sensor
        # The margin a user can read off a real board: free Python heap (on the ESP32 port this counts what the heap
        # can still take from the system heap) and free system heap, what NimBLE and native code come out of.
        gc.collect()
        py_free = gc.mem_free()
        sys_free = 0
        for region in esp32.idf_heap_info(esp32.HEAP_DATA):
            sys_free += region[1]
        return "anklet %s board=%s chip=%s rate=%dHz range=±%dg gyro=%s boot=%d py_heap_free=%dB sys_heap_free=%dB" % (
            VERSION,
            self.board.name,
            self.board.chip,
            sensor.rate_hz,
            self.settings["range_g"],
            "yes" if sensor.has_gyro else "no",
            self.boot_id,
            py_free,
            sys_free,
        )

    # ---------------------------------------------------------------------------------------------------- contacts
    def _take_events(self):
        sampler = self.sampler
        det = self.detector
        rate_hz = self.sensor.rate_hz
        slot = sampler.take_event()
        while slot >= 0:
            t_ms = self._start_ms + det.ev_index[slot] * 1000 // rate_hz
            backward = 1 if det.ev_direction[slot] == DIR_BACKWARD else 0
            strike = det.ev_strike[slot]
            self.activity.contact(t_ms, backward, strike)
            if self.ble is not None:
                self.ble.add_step(t_ms, backward, strike)
            self._last_contact_ms = ticks_ms()
            slot = sampler.take_event()

    # ------------------------------------------------------------------------------------------------------- tasks
    async def sampler_task(self):
        sensor = self.sensor
        flag = self._flag = asyncio.ThreadSafeFlag()
        period_ms = 1000 * sensor.watermark // sensor.rate_hz
        if sensor.has_watermark_int and self.board.int_pin is not None:
            pin = Pin(self.board.int_pin, Pin.IN)
            trigger = Pin.IRQ_RISING if self.board.int_active_high else Pin.IRQ_FALLING
            pin.irq(lambda _p: flag.set(), trigger)
            use_irq = True
        else:
            use_irq = False
        failed = sensor.failed_reads
        while True:
            while self.sampler.drain():  # first: the FIFO may have passed its watermark (and raised its edge) already
                self._take_events()
            self._progress_ms = ticks_ms()
            if use_irq and sensor.failed_reads == failed:
                # The FIFO is below its watermark, so its next edge wakes this task: one hop (wait_for_ms would wake
                # a helper task, then a runner, then this one, each behind every task due: README, Benchmarks).
                await flag.wait()
            else:
                failed = sensor.failed_reads  # a read failed, leaving the FIFO full and its pin high: poll once
                await asyncio.sleep_ms(period_ms)

    async def live_task(self):
        a = self.activity
        while True:
            await asyncio.sleep_ms(1000)
            now = self.clock.uptime_ms()
            a.tick(now)
            st = self.state
            self._copy_to_state()
            st.maybe_save(ticks_ms())
            if self.ble is not None:
                self.ble.send_live(
                    a.contacts, a.backward, a.toe_first, a.steps(), a.cadence_spm, a.active_ms_today // 1000, a.state()
                )

    def _copy_to_state(self):
        """Bring the persisted state up to the day's counters and session (marked for saving if they changed)."""
        a = self.activity
        st = self.state
        if (st.contacts, st.backward, st.toe_first, st.session_active) != (
            a.contacts,
            a.backward,
            a.toe_first,
            1 if a.in_session else 0,
        ):
            st.contacts = a.contacts
            st.backward = a.backward
            st.toe_first = a.toe_first
            st.forward = a.contacts - a.backward
            st.active_s = a.active_ms_today // 1000
            st.session_active = 1 if a.in_session else 0
            st.mark_dirty()

    async def button_task(self):
        b = self.board
        pull = Pin.PULL_UP if b.button_internal_pull_up else None
        pin = Pin(b.button_pin, Pin.IN, pull) if pull is not None else Pin(b.button_pin, Pin.IN)
        gestures = ButtonGestures()
        pressed_level = 0 if b.button_active_low else 1
        while True:
            await asyncio.sleep_ms(10)
            g = gestures.update(pin.value() == pressed_level, ticks_ms())
            if g == GESTURE_SHORT:
                now = self.clock.uptime_ms()
                if self.activity.in_session:
                    self.activity.stop_session(now)
                else:
                    self.activity.start_session(now)
                # Saved at once, session flag included: a session the user started must survive a power cut.
                self._copy_to_state()
                self.state.maybe_save(ticks_ms(), force=True)
            elif g == GESTURE_LONG:
                self.activity.reset_today()
                self.state.clear()
                self.state.maybe_save(ticks_ms(), force=True)

    async def led_task(self, led):
        async def pick():
            while True:
                if self.battery_pct <= LOW_BATTERY_PCT:
                    led.mode = MODE_LOW_BATTERY
                elif ticks_diff(ticks_ms(), self._last_contact_ms) < 3000 and self.activity.contacts:
                    last = (self.detector.event_count - 1) % self.detector.EVENT_RING
                    led.mode = MODE_BACKWARD if self.detector.ev_direction[last] == DIR_BACKWARD else MODE_WALKING
                else:
                    led.mode = MODE_IDLE
                await asyncio.sleep_ms(500)

        await asyncio.gather(pick(), led.run())

    async def battery_task(self):
        b = self.board
        if b.battery_adc_pin is None:
            return
        adc = ADC(Pin(b.battery_adc_pin), atten=ADC.ATTN_11DB)
        while True:
            pin_mv = adc.read_uv() // 1000
            self.battery_pct = percent_from_mv(cell_mv(pin_mv, b.battery_divider_milli // 10))
            if self.ble is not None:
                self.ble.set_battery(self.battery_pct)
            await asyncio.sleep_ms(60000)

    async def watchdog_task(self):
        wdt = WDT(timeout=WATCHDOG_MS)
        while True:
            # Fed only while samples flow: a wedged sensor or a stuck task ends in a clean reset, counters kept.
            if ticks_diff(ticks_ms(), self._progress_ms) < STALL_MS:
                wdt.feed()
            if self._flag is not None and ticks_diff(ticks_ms(), self._progress_ms) >= 1000:
                self._flag.set()  # no drain for a second: its edge went missing (a full FIFO keeps INT up), drain now
            await asyncio.sleep_ms(1000)

    async def power_task(self):
        idle_s = self.settings["idle_sleep_s"]
        can_wake = self.board.int_pin is not None
        if idle_s == 0 or not can_wake:
            return
        while True:
            await asyncio.sleep_ms(5000)
            if ticks_diff(ticks_ms(), self._last_contact_ms) < idle_s * 1000:
                continue
            if self.ble is not None and self.ble.connected:
                continue  # the laptop is talking to us: stay up
            self.sleep_until_motion()

    def sleep_until_motion(self):
        """Save everything, arm the sensor's wake-on-motion interrupt and deep-sleep until it fires."""
        import esp32

        self.activity.flush()
        self._copy_to_state()
        self.state.maybe_save(ticks_ms(), force=True)
        self.log.close()
        self.sensor.wake_on_motion(MOTION_WAKE_MG)
        level = esp32.WAKEUP_ANY_HIGH if self.board.int_active_high else esp32.WAKEUP_ALL_LOW
        esp32.wake_on_ext0(Pin(self.board.int_pin, Pin.IN), level)
        print("anklet: idle, sleeping until motion")
        machine.deepsleep()

    def start_ble(self):
        try:
            import bluetooth

            from anklet.ble.peripheral import Peripheral
        except ImportError:
            return  # a port without Bluetooth: everything else still works
        s = self.settings
        # The serial number must stay the same across resets: the laptop keys its records by it.
        serial = "".join("%02x" % b for b in machine.unique_id())
        info = ("anklet project", self.board.name, serial, VERSION, self.board.mcu)
        leg = packets.LEG_RIGHT if not s["left_leg"] else packets.LEG_LEFT
        self.ble = Peripheral(
            bluetooth.BLE(),
            "anklet",
            info,
            self.log,
            (self.sensor.rate_hz, leg, s["goal_min"], s["auto_start"]),
            on_settings=self._on_settings,
            on_clock=self._on_clock,
            device_time=self.clock.device_time,
        )
        axes = self.board.axes_left if s["left_leg"] else self.board.axes
        self.sampler.stream_raw(self.ble, axes, self.sensor.accel_lsb_per_g)

    def _on_settings(self, rate_hz, leg, goal_min, auto_start):
        """Settings written over BLE: the valid ones apply, the others stay; returns what is now in effect."""
        s = self.settings
        left_leg = leg == packets.LEG_LEFT
        changes = {}
        for name, value in (
            ("rate_hz", rate_hz),
            ("goal_min", goal_min),
            ("auto_start", bool(auto_start)),
            ("left_leg", left_leg),
        ):
            if name == "rate_hz" and value == self.sensor.rate_hz:
                continue  # what the host read back: the chip's rate for the setting, not a new one
            if s.accepts(name, value) and s[name] != value:
                changes[name] = value
        if changes:
            s.update(**changes)
            self.activity.auto_start = s["auto_start"]
        if "rate_hz" in changes or "left_leg" in changes:
            # Rate and leg change the sensor and detector set-up: restart cleanly (counters are saved first).
            self._copy_to_state()
            self.state.maybe_save(ticks_ms(), force=True)
            machine.reset()
        leg = packets.LEG_LEFT if s["left_leg"] else packets.LEG_RIGHT
        # The rate the sensor runs at (the chip's nearest to the setting, e.g. 104 Hz for 100), as at connection.
        return (self.sensor.rate_hz, leg, s["goal_min"], s["auto_start"])

    def _on_clock(self, unix_s):
        self.clock.set_wall(unix_s)
        self.activity.set_wall_offset(self.clock.wall_offset_s)

    async def main(self, led):
        tasks = [
            self.sampler_task(),
            self.live_task(),
            self.button_task(),
            self.led_task(led),
            self.battery_task(),
            self.watchdog_task(),
            self.power_task(),
        ]
        if self.ble is not None:
            tasks.append(self.ble.run())
        await asyncio.gather(*tasks)


def run(board_path="/board.json", settings_path="/settings.json"):
    """Boot the anklet (``firmware/main.py`` calls this). Returns only on a fatal set-up error, after saying why."""
    if machine.freq() != CPU_HZ:
        machine.freq(CPU_HZ)
    asyncio.run(start(board_path, settings_path))


async def start(board_path, settings_path):
    """Boot in stages: the start-up module's work first (`anklet.app.boot.prepare`: board file, settings, sensor,
    detector), then, with that module gone from the heap, the app, its Bluetooth services and the sensor's stream."""
    from anklet.app.boot import prepare

    parts = await prepare(board_path, settings_path)
    del prepare
    forget("anklet.app.boot")
    if parts is None:
        return
    board, settings, led, sensor, detector = parts
    del parts
    app = App(board, settings, sensor, detector)
    await asyncio.sleep_ms(0)
    app.restore()
    await asyncio.sleep_ms(0)
    app.start_ble()
    await asyncio.sleep_ms(0)
    # The sensor last: its FIFO starts filling now, and the loop drains it from the next step on (registering the
    # Bluetooth services takes a long step on the chip).
    app.start_sensor()
    print(app.boot_line())  # once Bluetooth is on, so the free heap it reports is what the app runs with
    await app.main(led)
