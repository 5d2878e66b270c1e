"""Register-level model of the ST LIS3DH (datasheet DocID17530): 32-level FIFO, watermark/overrun on INT1,
INT1 inertial interrupt with high-pass reference for wake-on-motion.

Modelled: WHO_AM_I 0x33; CTRL_REG1 ODR (1..400 Hz, 1.6/1.344 kHz) and LPen; CTRL_REG4 FS and HR (8/10/12-bit
left-justified data); CTRL_REG5 FIFO_EN and LIR_INT1; CTRL_REG3 I1_WTM/I1_OVERRUN/I1_IA1; CTRL_REG6 INT_POLARITY;
FIFO_CTRL_REG modes (bypass empties; FIFO stops when full; stream overwrites the oldest), FTH; FIFO_SRC_REG (WTM when
FSS >= FTH, OVRN_FIFO after an overwrite, EMPTY, FSS saturating at 31); sub-address MSB = auto-increment, rolling
over from OUT_Z_H to OUT_X_L while the FIFO is on; a sample leaves the FIFO when OUT_Z_H is read; INT1_CFG/THS/SRC.
"""

from .base import ChipModel

_WHO_AM_I = 0x0F
_CTRL_REG1 = 0x20
_CTRL_REG2 = 0x21
_CTRL_REG3 = 0x22
_CTRL_REG4 = 0x23
_CTRL_REG5 = 0x24
_CTRL_REG6 = 0x25
_REFERENCE = 0x26
_OUT_X_L = 0x28
_OUT_Z_H = 0x2D
_FIFO_CTRL_REG = 0x2E
_FIFO_SRC_REG = 0x2F
_INT1_CFG = 0x30
_INT1_SRC = 0x31
_INT1_THS = 0x32

_ODR_HZ = (0, 1, 10, 25, 50, 100, 200, 400, 1600, 1344)
# mg per digit by FS for high-resolution (12-bit), normal (10-bit) and low-power (8-bit) modes.
_MG_PER_DIGIT_HR = (1, 2, 4, 12)
_MG_PER_DIGIT_NORMAL = (4, 8, 16, 48)
_MG_PER_DIGIT_LP = (16, 32, 64, 192)
# INT1_THS step by FS.
_THS_MG = (16, 32, 62, 186)


class LIS3DHModel(ChipModel):
    NAME = "LIS3DH"
    DEFAULT_ADDRESS = 0x18
    IDENTITY_REG = _WHO_AM_I
    IDENTITY = 0x33
    FIFO_DEPTH = 32
    RESET_VALUES = ((_CTRL_REG1, 0x07),)

    def _bits(self) -> int:
        if self.regs[_CTRL_REG1] & 0x08:
            return 8
        if self.regs[_CTRL_REG4] & 0x08:
            return 12
        return 10

    def _fifo_mode(self) -> int:
        if not self.regs[_CTRL_REG5] & 0x40:
            return 0
        return self.regs[_FIFO_CTRL_REG] >> 6

    def _configure(self) -> None:
        regs = self.regs
        odr = regs[_CTRL_REG1] >> 4
        rate = _ODR_HZ[odr] if odr < len(_ODR_HZ) else 0
        self.set_rate(1000000 if rate else 0, rate or 1)
        fs = (regs[_CTRL_REG4] >> 4) & 0x03
        bits = self._bits()
        if bits == 12:
            mg_per_digit = _MG_PER_DIGIT_HR[fs]
        elif bits == 10:
            mg_per_digit = _MG_PER_DIGIT_NORMAL[fs]
        else:
            mg_per_digit = _MG_PER_DIGIT_LP[fs]
        self.acc_num = 1
        self.acc_den = mg_per_digit
        self.set_resolution_bits(bits)
        self.follow_fifo_mode(self._fifo_mode())
        cfg = regs[_INT1_CFG]
        if cfg & 0x3F and regs[_INT1_THS]:
            self.wom_threshold_mg = (regs[_INT1_THS] & 0x7F) * _THS_MG[fs]
        else:
            self.wom_threshold_mg = 0
            self.wom_event = False
        self.wom_latched = bool(regs[_CTRL_REG5] & 0x08)
        # With HPIS1 the high-pass filter removes the attitude held at arming time; without it, the threshold
        # applies to the raw value (measured from zero).
        self.wom_compare_previous = False

    def _on_write(self, addr: int, value: int) -> None:
        if addr == _FIFO_CTRL_REG and value >> 6 == 0:
            self.fifo_clear()
            self.overrun = False
        elif addr == _INT1_CFG:
            self.arm_motion_reference()

    def _begin_read(self, reg: int) -> int:
        self._inc = bool(reg & 0x80)
        return reg & 0x7F

    def _next_read(self, addr: int) -> int:
        if not self._inc:
            return addr
        if addr == _OUT_Z_H and self.fifo_on:
            return _OUT_X_L
        return (addr + 1) & 0x7F

    def _fss(self) -> int:
        return min(31, self.fifo_count)

    def _wtm(self) -> bool:
        return self.fifo_on and self._fss() >= (self.regs[_FIFO_CTRL_REG] & 0x1F)

    def _read_byte(self, addr: int) -> int:
        if _OUT_X_L <= addr <= _OUT_Z_H:
            k = (addr - _OUT_X_L) >> 1
            raw = (self.fifo_value(k) << (16 - self._bits())) & 0xFFFF
            if addr == _OUT_Z_H and self.fifo_on and self.fifo_count:
                self.fifo_pop()
                self.overrun = False
            return raw >> 8 if addr & 1 else raw & 0xFF
        if addr == _FIFO_SRC_REG:
            value = self._fss()
            if self._wtm():
                value |= 0x80
            if self.overrun:
                value |= 0x40
            if self.fifo_count == 0:
                value |= 0x20
            return value
        if addr == _INT1_SRC:
            value = 0x40 if self.wom_event else 0
            self.wom_event = False
            return value
        if addr == _REFERENCE:
            self.arm_motion_reference()
        return ChipModel._read_byte(self, addr)

    def _check_motion(self, v: "list[float]") -> None:
        if self.regs[_CTRL_REG2] & 0x01:
            ChipModel._check_motion(self, v)
            return
        # No high-pass filter: the raw value against the threshold.
        for k in range(3):
            d = v[k]
            if d < 0:
                d = -d
            if d > self.wom_threshold_mg:
                self.wom_event = True

    def _int_active(self, pin: int) -> bool:
        if pin != 1:
            return False
        ctrl3 = self.regs[_CTRL_REG3]
        if ctrl3 & 0x04 and self._wtm():
            return True
        if ctrl3 & 0x02 and self.overrun:
            return True
        return bool(ctrl3 & 0x40 and self.wom_event)

    def _int_active_low(self) -> bool:
        return bool(self.regs[_CTRL_REG6] & 0x02)
