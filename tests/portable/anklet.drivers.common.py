# Shared driver pieces: rate/range choice, sign extension, prefix views, the lost-sample estimate, errors.
from anklet.drivers.common import SensorBase, SensorError, clamp, pick_at_least, prefix_views, refuse_gyro, sign16

print(pick_at_least((1, 10, 25, 50, 100), 30), pick_at_least((1, 10, 25, 50, 100), 100), pick_at_least((1, 10), 99))
print(sign16(0x7FFF), sign16(0x8000), sign16(0xFFFF))
views = prefix_views(bytearray(12), 6, 2)
print([len(v) for v in views])


class Bus:
    def __init__(self):
        self.fail = 0

    def readfrom_mem_into(self, addr, reg, buf):
        if self.fail:
            self.fail -= 1
            raise OSError(5)
        for i in range(len(buf)):
            buf[i] = reg + i

    def writeto_mem(self, addr, reg, buf):
        raise OSError(19)


now = [0]
base = SensorBase(Bus(), 0x18, False, 8, 2, lambda: now[0])
base.rate_hz = 100
base._begin_stream()
now[0] = 1000
base.account(8, 32, True)  # 100 produced in 1 s, the FIFO held 32: 68 lost
print(base.overflows, base.samples_lost, base.samples_read, base.stride, len(base.samples))
buf = bytearray(3)
base.i2c.fail = 2
print(base.burst(0x10, buf), list(buf), base.i2c_errors, base.retried)
base.i2c.fail = 5
print(base.burst(0x10, buf), base.failed_reads, base.last_errno)
try:
    base.write_reg(0x20, 1)
except SensorError as e:
    print(e)
print(clamp(0, 1, 31), clamp(16, 1, 31), clamp(99, 1, 31))
refuse_gyro("LIS3DH", 0)
try:
    refuse_gyro("LIS3DH", 2000)
except SensorError as e:
    print(e)
