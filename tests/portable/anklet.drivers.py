# The factory: chip names, addresses, and its one-line errors.
from anklet.drivers import ADDRESSES, CHIPS, GYRO_CHIPS, SensorError, driver_class, open_sensor

print(CHIPS)
print(GYRO_CHIPS)
print([(c, ADDRESSES[c]) for c in CHIPS])
print([driver_class(c).CHIP for c in CHIPS])
# Each chip's watermark and highest rate setting (the 32-sample FIFOs: 8 and 100 Hz; the MPUs' 400 Hz is 500 Hz).
print([(c, driver_class(c).WATERMARK, driver_class(c).MAX_RATE_HZ) for c in CHIPS])
for chip, gyro in (("bmi160", 0), ("adxl345", 250)):
    try:
        open_sensor(None, chip, 0x53, gyro_dps=gyro)
    except SensorError as e:
        print(e)
