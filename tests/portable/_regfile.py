"""Shared by the driver scenarios: a plain register file on a bus stand-in, and a printout of what a driver set up.

tests/test_portable_modules.py makes the ``tests/portable/_*.py`` helpers importable under both runtimes.
"""


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
