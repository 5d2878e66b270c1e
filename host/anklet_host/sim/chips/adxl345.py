"""Register-level model of the Analog Devices ADXL345 (datasheet Rev. G): 32-entry FIFO popped one entry per read
of the data registers.

Modelled: DEVID 0xE5; BW_RATE rate codes (3200 Hz >> (15 - code)); POWER_CTL Measure; DATA_FORMAT range, FULL_RES
(3.9 mg/LSB, 10 + range bits) or 10-bit, INT_INVERT; DATAX0..DATAZ1 little-endian, right-justified, with the FIFO on
a read that reaches DATAZ1 takes the oldest entry out; FIFO_CTL modes (bypass empties, FIFO stops when full, stream
overwrites the oldest) and Samples; FIFO_STATUS Entries; INT_SOURCE Watermark (entries >= Samples), Overrun (an
entry was lost; cleared when data are read), Activity (cleared when INT_SOURCE is read); INT_ENABLE; INT_MAP (set
bit = INT2); THRESH_ACT (62.5 mg/LSB) with ACT_INACT_CTL ac/dc coupling and axis enables.
"""

from .base import ChipModel

_DEVID = 0x00
_THRESH_ACT = 0x24
_ACT_INACT_CTL = 0x27
_BW_RATE = 0x2C
_POWER_CTL = 0x2D
_INT_ENABLE = 0x2E
_INT_MAP = 0x2F
_INT_SOURCE = 0x30
_DATA_FORMAT = 0x31
_DATAX0 = 0x32
_DATAZ1 = 0x37
_FIFO_CTL = 0x38
_FIFO_STATUS = 0x39

_DATA_READY = 0x80
_ACTIVITY = 0x10
_WATERMARK = 0x02
_OVERRUN = 0x01


# Writing these re-arms the motion reference (a tuple made once: building one per call would allocate).
_MOTION_REGS = (_INT_ENABLE, _ACT_INACT_CTL, _THRESH_ACT)


class ADXL345Model(ChipModel):
    NAME = "ADXL345"
    DEFAULT_ADDRESS = 0x53
    IDENTITY_REG = _DEVID
    IDENTITY = 0xE5
    FIFO_DEPTH = 32
    RESET_VALUES = ((_BW_RATE, 0x0A),)

    def _fifo_mode(self) -> int:
        return self.regs[_FIFO_CTL] >> 6

    def _configure(self) -> None:
        regs = self.regs
        code = regs[_BW_RATE] & 0x0F
        if regs[_POWER_CTL] & 0x08 and code >= 1:
            # 3200 Hz >> (15 - code), in mHz for 6.25 and 12.5 Hz.
            rate_mhz = 3200000 >> (15 - code)
            self.set_rate(1000000000, rate_mhz)
        else:
            self.set_rate(0, 1)
        fmt = regs[_DATA_FORMAT]
        rng = fmt & 0x03
        if fmt & 0x08:
            bits = 10 + rng
            self.acc_num = 256
        else:
            bits = 10
            self.acc_num = 256 >> rng
        self.acc_den = 1000
        self.set_resolution_bits(bits)
        self.follow_fifo_mode(self._fifo_mode())
        act = regs[_ACT_INACT_CTL]
        if regs[_INT_ENABLE] & _ACTIVITY and act & 0x70 and regs[_THRESH_ACT]:
            self.wom_threshold_mg = regs[_THRESH_ACT] * 625 // 10
        else:
            self.wom_threshold_mg = 0
        self.wom_compare_previous = False

    def _on_write(self, addr: int, value: int) -> None:
        if addr == _FIFO_CTL and value >> 6 == 0:
            self.fifo_clear()
            self.overrun = False
        elif addr in _MOTION_REGS:
            self.arm_motion_reference()

    def _check_motion(self, v: "list[float]") -> None:
        if self.regs[_ACT_INACT_CTL] & 0x80:
            ChipModel._check_motion(self, v)  # ac-coupled: against the value at arming
            return
        for k in range(3):
            d = v[k]
            if d < 0:
                d = -d
            if d > self.wom_threshold_mg:
                self.wom_event = True

    def _source_bits(self) -> int:
        bits = _DATA_READY if self.sampling else 0
        if self.fifo_on and self.fifo_count >= (self.regs[_FIFO_CTL] & 0x1F):
            bits |= _WATERMARK
        if self.overrun:
            bits |= _OVERRUN
        if self.wom_event:
            bits |= _ACTIVITY
        return bits

    def _read_byte(self, addr: int) -> int:
        if _DATAX0 <= addr <= _DATAZ1:
            k = (addr - _DATAX0) >> 1
            raw = self.fifo_value(k) & 0xFFFF
            if addr == _DATAZ1 and self.fifo_on and self.fifo_count:
                self.fifo_pop()
                self.overrun = False
            return raw >> 8 if addr & 1 else raw & 0xFF
        if addr == _FIFO_STATUS:
            return self.fifo_count & 0x3F
        if addr == _INT_SOURCE:
            value = self._source_bits()
            self.wom_event = False
            return value
        return ChipModel._read_byte(self, addr)

    def _int_active(self, pin: int) -> bool:
        active = self._source_bits() & self.regs[_INT_ENABLE]
        mapped = self.regs[_INT_MAP]
        if pin == 2:
            return bool(active & mapped)
        return bool(active & ~mapped)

    def _int_active_low(self) -> bool:
        return bool(self.regs[_DATA_FORMAT] & 0x20)
