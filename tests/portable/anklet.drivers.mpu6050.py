# MPU6050 against a plain register file: the registers its configuration writes, an empty FIFO, errors.
from _regfile import Bus, show

from anklet.drivers.common import SensorError
from anklet.drivers.mpu6050 import MPU6050, MPU6886

Chip = MPU6050


bus = Bus(0x68, 0x75, 0x68)
sensor = Chip(bus, 0x68, rate_hz=100, range_g=8)
show(sensor, bus)
print(sensor.wake_on_motion(100), bus.mem[0x1F], bus.mem[0x38])

bus = Bus(0x68, 0x75, 0x68)
sensor = Chip(bus, 0x68, rate_hz=60, range_g=16, gyro_dps=300)
show(sensor, bus)
print(sensor.wake_on_motion(100), bus.mem[0x1F], bus.mem[0x38])

bus = Bus(0x68, 0x75, 0x68)
bus.mem[0x75] = 0x00
try:
    Chip(bus, 0x68)
except SensorError as e:
    print(e)
try:
    Chip(bus, 0x69)
except SensorError as e:
    print(e)

bus = Bus(0x68, 0x75, 0x19)
sensor = MPU6886(bus, 0x68, gyro_dps=500)
show(sensor, bus)
print(sensor.wake_on_motion(100), bus.mem[0x20], bus.mem[0x69])
