# LIS3DH against a plain register file: the registers its configuration writes, an empty FIFO, errors.
from _regfile import Bus, show

from anklet.drivers.common import SensorError
from anklet.drivers.lis3dh import LIS3DH

Chip = LIS3DH


bus = Bus(0x18, 0x0F, 0x33)
sensor = Chip(bus, 0x18, rate_hz=100, range_g=8, watermark=16)
show(sensor, bus)
print(sensor.wake_on_motion(100), bus.mem[0x32], bus.mem[0x30], bus.mem[0x22])

bus = Bus(0x18, 0x0F, 0x33)
sensor = Chip(bus, 0x18, rate_hz=30, range_g=3, watermark=40, int_active_high=False)
show(sensor, bus)
print(sensor.wake_on_motion(100), bus.mem[0x32], bus.mem[0x30], bus.mem[0x22])

bus = Bus(0x18, 0x0F, 0x33)
bus.mem[0x0F] = 0x00
try:
    Chip(bus, 0x18)
except SensorError as e:
    print(e)
try:
    Chip(bus, 0x19)
except SensorError as e:
    print(e)
