"""Accelerometer drivers, one module per chip family, and `open_sensor` to pick one by the board file's chip name.

Every driver has the same shape (see `anklet.drivers.common.SensorBase`): ``rate_hz``, ``accel_lsb_per_g``,
``gyro_lsb_per_dps`` (0 without gyro), ``has_gyro``, ``stride``, ``samples`` (``array('h')``), ``read_fifo() -> n``
(never raises), ``has_watermark_int``, ``start()``, ``wake_on_motion(threshold_mg)``, ``motion_detected()``,
``power_down()`` and the counters ``overflows``, ``samples_lost``, ``i2c_errors``, ``retried``, ``failed_reads``.

Example::

    from anklet.drivers import open_sensor
    sensor = open_sensor(i2c, "lis3dh", 0x18, rate_hz=100, range_g=8)
"""

from anklet.drivers.common import SensorError

CHIPS = ("adxl345", "lis3dh", "lsm6ds3", "lsm6dsox", "mpu6050", "mpu6886")
# Chips with a gyroscope: the board may ask for ``gyro_dps``.
GYRO_CHIPS = ("lsm6ds3", "lsm6dsox", "mpu6050", "mpu6886")
# I2C addresses each chip can answer on (address pin low, high).
ADDRESSES = {
    "adxl345": (0x53, 0x1D),
    "lis3dh": (0x18, 0x19),
    "lsm6ds3": (0x6A, 0x6B),
    "lsm6dsox": (0x6A, 0x6B),
    "mpu6050": (0x68, 0x69),
    "mpu6886": (0x68, 0x69),
}


def driver_class(chip_name):
    """The driver class for a chip name from `CHIPS`; imported on demand so a board loads only its own driver."""
    if chip_name == "lis3dh":
        from anklet.drivers.lis3dh import LIS3DH

        return LIS3DH
    if chip_name == "mpu6050":
        from anklet.drivers.mpu6050 import MPU6050

        return MPU6050
    if chip_name == "mpu6886":
        from anklet.drivers.mpu6050 import MPU6886

        return MPU6886
    if chip_name == "adxl345":
        from anklet.drivers.adxl345 import ADXL345

        return ADXL345
    if chip_name == "lsm6ds3":
        from anklet.drivers.lsm6ds import LSM6DS3

        return LSM6DS3
    if chip_name == "lsm6dsox":
        from anklet.drivers.lsm6ds import LSM6DSOX

        return LSM6DSOX
    raise SensorError("unknown sensor chip %r; supported: %s" % (chip_name, ", ".join(CHIPS)))


def open_sensor(
    i2c,
    chip_name,
    address,
    rate_hz=100,
    range_g=8,
    gyro_dps=0,
    watermark=0,
    int_pin=1,
    int_active_high=True,
    batch_samples=32,
    retries=2,
    clock_ms=None,
):
    """Check the chip's identity and start it streaming into its FIFO; raises `SensorError` with a one-line reason.
    ``watermark`` 0 is the chip's own (its driver's ``WATERMARK``)."""
    cls = driver_class(chip_name)
    if gyro_dps and chip_name not in GYRO_CHIPS:
        raise SensorError("%s has no gyroscope; set gyro_dps to 0" % chip_name)
    return cls(
        i2c,
        address,
        rate_hz=rate_hz,
        range_g=range_g,
        gyro_dps=gyro_dps,
        watermark=watermark or cls.WATERMARK,
        int_pin=int_pin,
        int_active_high=int_active_high,
        batch_samples=batch_samples,
        retries=retries,
        clock_ms=clock_ms,
    )


__all__ = ["ADDRESSES", "CHIPS", "GYRO_CHIPS", "SensorError", "driver_class", "open_sensor"]
