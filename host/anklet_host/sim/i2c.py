"""A simulated I2C bus with `machine.I2C`'s method names, carrying chip models, with fault injection.

On an ESP32 a missing or silent device makes `machine.I2C` raise ``OSError(ENODEV)`` (errno 19); a transfer that
goes wrong midway raises ``OSError(EIO)`` (5) or ``ETIMEDOUT`` (116). This bus does the same: `nack` makes a device
stop acknowledging, `fail_transfers` makes chosen transfers fail. The exceptions are made once, so a failing
transfer allocates nothing (the heap-locked driver tests rely on that).

Example::

    bus = I2C(0)
    bus.attach(LIS3DHModel(clock))
    bus.fail_transfers(nth=3, count=2)   # the 3rd and 4th transfers from now raise OSError(EIO)
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    class I2CDevice(Protocol):
        address: int

        def read_into(self, reg: int, buf: "bytearray | memoryview") -> None: ...

        def write(self, reg: int, data: "bytes | bytearray | memoryview") -> None: ...


EIO = 5
ENODEV = 19
ETIMEDOUT = 116


class I2C:
    """The bus; ``transfers`` counts every attempted transfer, ``failed`` the ones that raised."""

    def __init__(self, id: int = 0, *, scl: object = None, sda: object = None, freq: int = 400000) -> None:  # noqa: A002
        self.id = id
        self.scl = scl
        self.sda = sda
        self.freq = freq
        self.devices: dict[int, I2CDevice] = {}
        self.transfers = 0
        self.failed = 0
        self._fail_from = 0
        self._fail_left = 0
        self._fail_errno = EIO
        self._silent: dict[int, bool] = {}
        self._pointer: dict[int, int] = {}
        self._errors = {EIO: OSError(EIO), ENODEV: OSError(ENODEV), ETIMEDOUT: OSError(ETIMEDOUT)}

    # ------------------------------------------------------------------------------------------- set-up and faults
    def attach(self, device: "I2CDevice") -> "I2CDevice":
        """Put a device (anything with ``address``, ``read_into`` and ``write``) on the bus."""
        if device.address in self.devices:
            raise ValueError(f"address 0x{device.address:02x} is taken")
        self.devices[device.address] = device
        return device

    def detach(self, address: int) -> None:
        del self.devices[address]

    def nack(self, address: int, silent: bool = True) -> None:
        """Make the device at ``address`` stop (or resume) acknowledging: transfers raise OSError(ENODEV)."""
        self._silent[address] = silent

    def fail_transfers(self, nth: int = 1, count: int = 1, errno: int = EIO) -> None:
        """Make ``count`` transfers fail with ``errno``, starting at the ``nth`` transfer from now (1 = the next)."""
        if errno not in self._errors:
            self._errors[errno] = OSError(errno)
        self._fail_from = self.transfers + nth
        self._fail_left = count
        self._fail_errno = errno

    def _device(self, addr: int) -> "I2CDevice":
        self.transfers += 1
        if self._fail_left > 0 and self.transfers >= self._fail_from:
            self._fail_left -= 1
            self.failed += 1
            raise self._errors[self._fail_errno]
        device = self.devices.get(addr)
        if device is None or self._silent.get(addr, False):
            self.failed += 1
            raise self._errors[ENODEV]
        return device

    # ------------------------------------------------------------------------------------------ machine.I2C's API
    def scan(self) -> "list[int]":
        return sorted(a for a in self.devices if not self._silent.get(a, False))

    def readfrom_mem_into(self, addr: int, memaddr: int, buf: "bytearray | memoryview", *, addrsize: int = 8) -> None:  # noqa: ARG002 - machine.I2C's signature
        self._device(addr).read_into(memaddr, buf)

    def readfrom_mem(self, addr: int, memaddr: int, nbytes: int, *, addrsize: int = 8) -> bytes:  # noqa: ARG002 - machine.I2C's signature
        buf = bytearray(nbytes)
        self._device(addr).read_into(memaddr, buf)
        return bytes(buf)

    def writeto_mem(self, addr: int, memaddr: int, buf: "bytes | bytearray | memoryview", *, addrsize: int = 8) -> None:  # noqa: ARG002 - machine.I2C's signature
        self._device(addr).write(memaddr, buf)

    def writeto(self, addr: int, buf: "bytes | bytearray | memoryview", stop: bool = True) -> int:  # noqa: ARG002 - machine.I2C's signature
        """A plain write: the first byte sets the register pointer, the rest are written from there."""
        device = self._device(addr)
        if len(buf) > 0:
            self._pointer[addr] = buf[0]
            if len(buf) > 1:
                device.write(buf[0], bytes(buf[1:]))
        return len(buf)

    def readfrom_into(self, addr: int, buf: "bytearray | memoryview", stop: bool = True) -> None:  # noqa: ARG002 - machine.I2C's signature
        """A plain read from the register pointer set by the last `writeto`."""
        self._device(addr).read_into(self._pointer.get(addr, 0), buf)

    def readfrom(self, addr: int, nbytes: int, stop: bool = True) -> bytes:  # noqa: ARG002 - machine.I2C's signature
        buf = bytearray(nbytes)
        self.readfrom_into(addr, buf)
        return bytes(buf)
