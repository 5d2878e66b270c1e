"""Start-up work that runs once: read the board file and the settings, open the sensor, build the detector.

It lives apart from `anklet.app.main` so that it leaves the heap before the rest of the firmware arrives:
`anklet.app.main.start` calls `prepare`, forgets this module (`anklet.compat.forget`), and only then registers the
Bluetooth services, the largest single step of the boot. The board loader and the driver table (`anklet.drivers`)
go the same way once they have done their job; what stays is the board's values, the chip's driver and the detector.
"""

import asyncio

from machine import I2C, Pin

from anklet.app.led import MODE_ERROR, StatusLed
from anklet.app.settings import Settings
from anklet.compat import forget
from anklet.detector import PLACEMENT_ANKLE, PLACEMENT_SHOE, StepDetector
from anklet.drivers.common import SensorError


def open_board_sensor(board, settings):
    """The board's sensor, configured from the settings, and a detector matched to it; raises SensorError."""
    from anklet.drivers import GYRO_CHIPS, open_sensor

    i2c = I2C(board.i2c_bus, scl=Pin(board.scl_pin), sda=Pin(board.sda_pin), freq=board.i2c_freq_hz)
    sensor = open_sensor(
        i2c,
        board.chip,
        board.address,
        rate_hz=settings["rate_hz"],
        range_g=settings["range_g"],
        gyro_dps=2000 if board.chip in GYRO_CHIPS else 0,
        int_pin=board.sensor_int,
        int_active_high=board.int_active_high,
    )
    if settings["placement"]:
        placement = PLACEMENT_SHOE if settings["placement"] == "shoe" else PLACEMENT_ANKLE
    else:
        placement = board.detector_placement
    detector = StepDetector(
        rate_hz=sensor.rate_hz,
        accel_lsb_per_g=sensor.accel_lsb_per_g,
        gyro_lsb_per_dps=sensor.gyro_lsb_per_dps,
        placement=placement,
        axes=board.axes_left if settings["left_leg"] else board.axes,
    )
    return sensor, detector


async def prepare(board_path, settings_path):
    """``(board, settings, led, sensor, detector)``, or None after saying why the anklet cannot run (a board file
    naming the wrong chip blinks the LED fast and never returns). Each stage ends with a yield to the scheduler: the
    virtual anklet's budget mode collects garbage and measures the heap between them; on a board it costs nothing."""
    from anklet import board as boardfile

    try:
        board = boardfile.load(board_path)
    except (OSError, ValueError) as exc:
        print("anklet: cannot load %s: %s" % (board_path, exc))
        return None
    del boardfile
    forget("anklet.board")
    # The chip's rates are the ones the settings take (board.py builds the board's class at run time).
    settings = Settings(settings_path, board.chip)  # type: ignore[attr-defined]
    for name in settings.load():
        print("anklet: ignoring bad setting %s in %s" % (name, settings_path))
    led = StatusLed(board)
    await asyncio.sleep_ms(0)
    try:
        sensor, detector = open_board_sensor(board, settings)
    except SensorError as exc:
        print("anklet: %s" % exc)
        led.mode = MODE_ERROR
        await led.run()
        return None
    # The driver table picked the chip's driver; the driver stays (its module holds the class), the table goes.
    forget("anklet.drivers")
    await asyncio.sleep_ms(0)
    return board, settings, led, sensor, detector
