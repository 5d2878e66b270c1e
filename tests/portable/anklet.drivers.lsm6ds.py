# LSM6DS against a plain register file: the registers its configuration writes, an empty FIFO, errors.
from _regfile import Bus, show

from anklet.drivers.common import SensorError
from anklet.drivers.lsm6ds import LSM6DS3, LSM6DSOX

Chip = LSM6DSOX


bus = Bus(0x6A, 0x0F, 0x6C)
sensor = Chip(bus, 0x6A, rate_hz=100, range_g=8)
show(sensor, bus)
print(sensor.wake_on_motion(200), bus.mem[0x5B], bus.mem[0x5E], bus.mem[0x5F])

bus = Bus(0x6A, 0x0F, 0x6C)
sensor = Chip(bus, 0x6A, rate_hz=200, range_g=4, gyro_dps=1000, int_pin=2)
show(sensor, bus)
print(sensor.wake_on_motion(200), bus.mem[0x5B], bus.mem[0x5E], bus.mem[0x5F])

bus = Bus(0x6A, 0x0F, 0x6C)
bus.mem[0x0F] = 0x00
try:
    Chip(bus, 0x6A)
except SensorError as e:
    print(e)
try:
    Chip(bus, 0x6B)
except SensorError as e:
    print(e)

bus = Bus(0x6B, 0x0F, 0x69)
sensor = LSM6DS3(bus, 0x6B, gyro_dps=250)
show(sensor, bus)
