# LIS3DH against a plain register file: the registers its configuration writes, an empty FIFO, errors.
from anklet.drivers.common import SensorError
from anklet.drivers.lis3dh import LIS3DH

Chip = LIS3DH


class Bus:
    """Registers in a bytearray; reads of the FIFO registers find it empty."""

    def __init__(self, address, identity_reg, identity):
        self.address = address
        self.mem = bytearray(256)
        self.mem[identity_reg] = identity
        self.writes = []

    def readfrom_mem_into(self, addr, reg, buf):
        if addr != self.address:
            raise OSError(19)
        reg &= 0x7F
        for i in range(len(buf)):
            buf[i] = self.mem[reg + i]

    def writeto_mem(self, addr, reg, buf):
        if addr != self.address:
            raise OSError(19)
        self.mem[reg & 0x7F] = buf[0]
        self.writes.append((reg, buf[0]))


def show(sensor, bus):
    print(sensor.CHIP, sensor.rate_hz, sensor.accel_lsb_per_g, sensor.gyro_lsb_per_dps, sensor.stride, sensor.watermark)
    print(" ".join([f"{r:02x}={bus.mem[r]:02x}" for r in sorted({w[0] & 0x7F for w in bus.writes})]))
    print("read", sensor.read_fifo(), sensor.samples_read, sensor.i2c_errors)


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
