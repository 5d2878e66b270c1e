# ADXL345 against a plain register file: the registers its configuration writes, an empty FIFO, errors.
from _regfile import Bus, show

from anklet.drivers.adxl345 import ADXL345
from anklet.drivers.common import SensorError

Chip = ADXL345


bus = Bus(0x53, 0x00, 0xE5)
sensor = Chip(bus, 0x53, rate_hz=100, range_g=8)
show(sensor, bus)
print(sensor.wake_on_motion(200), bus.mem[0x24], bus.mem[0x27], bus.mem[0x2C])

bus = Bus(0x53, 0x00, 0xE5)
sensor = Chip(bus, 0x53, rate_hz=30, range_g=2, int_pin=2, int_active_high=False)
show(sensor, bus)
print(sensor.wake_on_motion(200), bus.mem[0x24], bus.mem[0x27], bus.mem[0x2C])

bus = Bus(0x53, 0x00, 0xE5)
bus.mem[0x00] = 0x00
try:
    Chip(bus, 0x53)
except SensorError as e:
    print(e)
try:
    Chip(bus, 0x54)
except SensorError as e:
    print(e)
