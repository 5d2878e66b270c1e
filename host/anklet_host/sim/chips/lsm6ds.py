"""Register-level models of the ST LSM6DS3 and LSM6DSOX (accelerometer + gyroscope) and their FIFOs.

Shared: WHO_AM_I (0x69 / 0x6C); CTRL1_XL ODR and FS (2/16/4/8 g for codes 0..3, 16-bit little-endian data);
CTRL2_G ODR, FS and FS_125 (4.375..70 mdps/LSB); CTRL3_C IF_INC (auto-increment), H_LACTIVE, SW_RESET;
INT1_CTRL/INT2_CTRL FIFO threshold (b3), overrun (b4), full (b5); wake-up: WAKE_UP_THS (FS/64 per LSB) against the
slope (half the difference of consecutive samples), WAKE_UP_SRC WU_IA (b3), latched with LIR, routed by
MD1_CFG/MD2_CFG INT_WU (b5). The gyroscope is sampled at the accelerometer's ODR (the drivers run both at one rate).

- LSM6DS3: 8 KB FIFO of 16-bit words (4096) in the pattern Gx Gy Gz Ax Ay Az (gyro words only when DEC_FIFO_GYRO
  is set), FIFO_CTRL1/2 threshold in words, FIFO_CTRL5 ODR_FIFO and mode (0 bypass empties, 1 FIFO stops when
  full, 6 continuous overwrites the oldest word); FIFO_STATUS1..4 (DIFF_FIFO, WaterM, OVER_RUN, FIFO_FULL,
  FIFO_EMPTY, FIFO_PATTERN of the next word); FIFO_DATA_OUT_L/H, a word leaves when its high byte is read and the
  address rolls back from 0x3F to 0x3E.
- LSM6DSOX: tagged FIFO of 7-byte words (tag: sensor b7:3, 1 gyro / 2 accel; counter b2:1 shared by the words of one
  batch instant; parity b0), 512 words in this model; FIFO_CTRL1/2 watermark (9 bits, words), FIFO_CTRL3 BDR_GY /
  BDR_XL, FIFO_CTRL4 mode; FIFO_STATUS1/2 (DIFF_FIFO 10 bits, FIFO_WTM_IA, FIFO_OVR_IA, FIFO_FULL_IA,
  FIFO_OVR_LATCHED); FIFO_DATA_OUT_TAG 0x78 and X/Y/Z 0x79..0x7E, a word leaves when 0x7E is read and the address
  rolls back to 0x78.
"""

from array import array

from .base import ChipModel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..clock import VirtualClock
    from .base import SampleSource

_INT1_CTRL = 0x0D
_INT2_CTRL = 0x0E
_WHO_AM_I = 0x0F
_CTRL1_XL = 0x10
_CTRL2_G = 0x11
_CTRL3_C = 0x12
_WAKE_UP_SRC = 0x1B
_OUTX_L_G = 0x22
_OUTZ_H_A = 0x2D
_FIFO_STATUS1 = 0x3A
_FIFO_STATUS2 = 0x3B
_FIFO_STATUS3 = 0x3C
_FIFO_STATUS4 = 0x3D
_TAP_CFG = 0x58
_WAKE_UP_THS = 0x5B
_MD1_CFG = 0x5E
_MD2_CFG = 0x5F

_DS3_FIFO_CTRL1 = 0x06
_DS3_FIFO_CTRL2 = 0x07
_DS3_FIFO_CTRL3 = 0x08
_DS3_FIFO_CTRL5 = 0x0A
_DS3_DATA_OUT_L = 0x3E
_DS3_DATA_OUT_H = 0x3F

_OX_FIFO_CTRL1 = 0x07
_OX_FIFO_CTRL2 = 0x08
_OX_FIFO_CTRL3 = 0x09
_OX_FIFO_CTRL4 = 0x0A
_OX_TAP_CFG0 = 0x56
_OX_DATA_OUT_TAG = 0x78
_OX_DATA_OUT_Z_H = 0x7E

# ODR codes 1..10 as (num_us, den): 12.5, 26, 52, 104, 208, 416, 833, 1666, 3333, 6666 Hz.
_ODR_HZ = (0, 12.5, 26, 52, 104, 208, 416, 833, 1666, 3333, 6666)
_FS_G = (2, 16, 4, 8)
# Gyro counts per mdps as (num, den): 125 dps (4.375 mdps/LSB), then FS_G 0..3: 8.75, 17.5, 35, 70.
_GYRO_125 = (8, 35)
_GYRO_FS = ((4, 35), (2, 35), (1, 35), (1, 70))


# Writing these re-arms the motion reference (a tuple made once: building one per call would allocate).
_MOTION_REGS = (_WAKE_UP_THS, _MD1_CFG, _MD2_CFG)


class _LSM6DSModel(ChipModel):
    DEFAULT_ADDRESS = 0x6A
    IDENTITY_REG = _WHO_AM_I
    FIFO_DEPTH = 1  # the generic ring is unused: these FIFOs hold words
    RESET_VALUES = ((_CTRL3_C, 0x04),)
    LIR_REG = _TAP_CFG
    WORD_DEPTH = 4096

    def __init__(self, clock: "VirtualClock", source: "SampleSource | None" = None, address: int = -1) -> None:
        self.w_vals = array("h", bytes(2 * 3 * self.WORD_DEPTH))
        self.w_tags = bytearray(self.WORD_DEPTH)
        self.w_head = 0
        self.w_count = 0
        self.batch_counter = 0
        self.fifo_status_overrun = False
        super().__init__(clock, source, address)

    def fifo_clear(self) -> None:
        self.w_head = 0
        self.w_count = 0

    def _configure(self) -> None:
        regs = self.regs
        if regs[_CTRL3_C] & 0x01:
            self.reset()
            return
        odr = regs[_CTRL1_XL] >> 4
        rate = _ODR_HZ[odr] if odr < len(_ODR_HZ) else 0
        if rate == 12.5:
            self.set_rate(2000000, 25)
        elif rate:
            self.set_rate(1000000, int(rate))
        else:
            self.set_rate(0, 1)
        fs_g = _FS_G[(regs[_CTRL1_XL] >> 2) & 0x03]
        self.acc_num = 32768
        self.acc_den = fs_g * 1000
        self._fs_mg = fs_g * 1000
        ctrl2 = regs[_CTRL2_G]
        self.gyro_on = (ctrl2 >> 4) != 0
        if ctrl2 & 0x02:
            self.gyro_num, self.gyro_den = _GYRO_125
        else:
            self.gyro_num, self.gyro_den = _GYRO_FS[(ctrl2 >> 2) & 0x03]
        self._configure_fifo()
        if not self.fifo_on:
            self.fifo_clear()
            self.fifo_status_overrun = False
        ths = regs[_WAKE_UP_THS] & 0x3F
        routed = (regs[_MD1_CFG] | regs[_MD2_CFG]) & 0x20
        if ths and routed and self._wake_enabled():
            self.wom_threshold_mg = ths * self._fs_mg // 64
        else:
            self.wom_threshold_mg = 0
        self.wom_compare_previous = True
        self.wom_divisor = 2  # slope filter: (a[n] - a[n-1]) / 2 against the threshold
        self.wom_latched = bool(regs[self.LIR_REG] & 0x01)

    def _configure_fifo(self) -> None:
        raise NotImplementedError

    def _wake_enabled(self) -> bool:
        return True

    def _on_write(self, addr: int, value: int) -> None:  # noqa: ARG002 - the hook's signature
        if addr in _MOTION_REGS:
            self.arm_motion_reference()

    def _next_read(self, addr: int) -> int:
        if not self.regs[_CTRL3_C] & 0x04:
            return addr
        return (addr + 1) & 0x7F

    # --------------------------------------------------------------------------------------------- word ring
    def _push_word(self, tag: int, a: int, b: int, c: int) -> bool:
        """Append one FIFO word; False if it was refused (FIFO mode, full)."""
        depth = self.WORD_DEPTH
        lost = False
        if self.w_count == depth:
            lost = True
            self.fifo_status_overrun = True
            if not self.fifo_overwrites:
                return False
            self.w_head = (self.w_head + 1) % depth
            self.w_count -= 1
        slot = (self.w_head + self.w_count) % depth
        self.w_tags[slot] = tag
        v = self.w_vals
        v[3 * slot] = a
        v[3 * slot + 1] = b
        v[3 * slot + 2] = c
        self.w_count += 1
        return not lost

    def _pop_word(self) -> None:
        if self.w_count:
            self.w_head = (self.w_head + 1) % self.WORD_DEPTH
            self.w_count -= 1
            self.fifo_status_overrun = False

    def _threshold(self) -> int:
        raise NotImplementedError

    def _words_per_sample(self) -> int:
        raise NotImplementedError

    def capacity_samples(self) -> int:
        per = self._words_per_sample()
        return self.WORD_DEPTH // per if per else self.WORD_DEPTH

    def _fifo_flags(self) -> int:
        """Bits 7..5 of FIFO_STATUS2 (watermark, overrun, full) for the INT routing."""
        bits = 0
        if self.fifo_on and self.w_count >= self._threshold() > 0:
            bits |= 0x80
        if self.fifo_status_overrun:
            bits |= 0x40
        if self.w_count >= self.WORD_DEPTH:
            bits |= 0x20
        return bits

    def _int_active(self, pin: int) -> bool:
        ctrl = self.regs[_INT1_CTRL if pin == 1 else _INT2_CTRL]
        flags = self._fifo_flags()
        if ctrl & 0x08 and flags & 0x80:
            return True
        if ctrl & 0x10 and flags & 0x40:
            return True
        if ctrl & 0x20 and flags & 0x20:
            return True
        md = self.regs[_MD1_CFG if pin == 1 else _MD2_CFG]
        return bool(md & 0x20 and self.wom_event)

    def _int_active_low(self) -> bool:
        return bool(self.regs[_CTRL3_C] & 0x20)

    def _read_common(self, addr: int) -> int:
        if _OUTX_L_G <= addr <= _OUTZ_H_A:
            # Output registers: gyro X/Y/Z then accel X/Y/Z, little-endian, the latest sample.
            i = (addr - _OUTX_L_G) >> 1
            value = self.counts[3 + i if i < 3 else i - 3] & 0xFFFF
            return value >> 8 if (addr - _OUTX_L_G) & 1 else value & 0xFF
        if addr == _WAKE_UP_SRC:
            value = 0x08 if self.wom_event else 0
            self.wom_event = False
            return value
        return ChipModel._read_byte(self, addr)


class LSM6DS3Model(_LSM6DSModel):
    NAME = "LSM6DS3"
    IDENTITY = 0x69
    WORD_DEPTH = 4096

    def _configure_fifo(self) -> None:
        ctrl5 = self.regs[_DS3_FIFO_CTRL5]
        mode = ctrl5 & 0x07
        self.fifo_on = mode != 0 and (ctrl5 >> 3) != 0
        self.fifo_overwrites = mode != 1

    def _threshold(self) -> int:
        return ((self.regs[_DS3_FIFO_CTRL2] & 0x0F) << 8) | self.regs[_DS3_FIFO_CTRL1]

    def pending_samples(self) -> int:
        per = self._words_per_sample()
        return self.w_count // per if per else 0

    def _words_per_sample(self) -> int:
        ctrl3 = self.regs[_DS3_FIFO_CTRL3]
        n = 3 if ctrl3 & 0x07 else 0
        if ctrl3 & 0x38 and self.gyro_on:
            n += 3
        return n

    def _push(self) -> None:
        ctrl3 = self.regs[_DS3_FIFO_CTRL3]
        c = self.counts
        ok = True
        pattern = 0
        if ctrl3 & 0x38 and self.gyro_on:
            for k in range(3):
                ok = self._push_word(pattern, c[3 + k], 0, 0) and ok
                pattern += 1
        if ctrl3 & 0x07:
            for k in range(3):
                ok = self._push_word(pattern, c[k], 0, 0) and ok
                pattern += 1
        if not ok:
            self.dropped += 1  # a full FIFO lost one sample's worth of words (the oldest, or this one)

    def _begin_read(self, reg: int) -> int:
        return reg & 0x7F

    def _next_read(self, addr: int) -> int:
        if addr == _DS3_DATA_OUT_H and self.regs[_CTRL3_C] & 0x04:
            return _DS3_DATA_OUT_L
        return _LSM6DSModel._next_read(self, addr)

    def _read_byte(self, addr: int) -> int:  # noqa: PLR0911 - one return per register reads best
        if _DS3_DATA_OUT_L <= addr <= _DS3_DATA_OUT_H:
            value = self.w_vals[3 * self.w_head] & 0xFFFF if self.w_count else 0
            if addr == _DS3_DATA_OUT_H:
                self._pop_word()
                return value >> 8
            return value & 0xFF
        diff = min(4095, self.w_count)
        if addr == _FIFO_STATUS1:
            return diff & 0xFF
        if addr == _FIFO_STATUS2:
            empty = 0x10 if self.w_count == 0 else 0
            return self._fifo_flags() | empty | ((diff >> 8) & 0x0F)
        if addr == _FIFO_STATUS3:
            return self.w_tags[self.w_head] if self.w_count else 0
        if addr == _FIFO_STATUS4:
            return 0
        return self._read_common(addr)


class LSM6DSOXModel(_LSM6DSModel):
    NAME = "LSM6DSOX"
    IDENTITY = 0x6C
    WORD_DEPTH = 512
    LIR_REG = _OX_TAP_CFG0

    def _configure_fifo(self) -> None:
        mode = self.regs[_OX_FIFO_CTRL4] & 0x07
        self.fifo_on = mode != 0
        self.fifo_overwrites = mode != 1

    def _wake_enabled(self) -> bool:
        return bool(self.regs[_TAP_CFG] & 0x80)  # TAP_CFG2.INTERRUPTS_ENABLE

    def _threshold(self) -> int:
        return ((self.regs[_OX_FIFO_CTRL2] & 0x01) << 8) | self.regs[_OX_FIFO_CTRL1]

    def pending_samples(self) -> int:
        per = self._words_per_sample()
        return self.w_count // per if per else 0

    def _words_per_sample(self) -> int:
        bdr = self.regs[_OX_FIFO_CTRL3]
        n = 1 if bdr & 0x0F else 0
        if bdr >> 4 and self.gyro_on:
            n += 1
        return n

    @staticmethod
    def _tag(sensor: int, counter: int) -> int:
        tag = (sensor << 3) | (counter << 1)
        ones = 0
        t = tag
        while t:
            ones += t & 1
            t >>= 1
        return tag | (ones & 1)  # parity bit makes the count of ones even

    def _push(self) -> None:
        bdr = self.regs[_OX_FIFO_CTRL3]
        c = self.counts
        cnt = self.batch_counter & 0x03
        self.batch_counter += 1
        ok = True
        if bdr >> 4 and self.gyro_on:
            ok = self._push_word(self._tag(0x01, cnt), c[3], c[4], c[5]) and ok
        if bdr & 0x0F:
            ok = self._push_word(self._tag(0x02, cnt), c[0], c[1], c[2]) and ok
        if not ok:
            self.dropped += 1

    def _begin_read(self, reg: int) -> int:
        return reg & 0x7F

    def _next_read(self, addr: int) -> int:
        if addr == _OX_DATA_OUT_Z_H and self.regs[_CTRL3_C] & 0x04:
            return _OX_DATA_OUT_TAG
        return _LSM6DSModel._next_read(self, addr)

    def _read_byte(self, addr: int) -> int:
        if _OX_DATA_OUT_TAG <= addr <= _OX_DATA_OUT_Z_H:
            if not self.w_count:
                return 0
            if addr == _OX_DATA_OUT_TAG:
                return self.w_tags[self.w_head]
            i = addr - _OX_DATA_OUT_TAG - 1
            value = self.w_vals[3 * self.w_head + (i >> 1)] & 0xFFFF
            if addr == _OX_DATA_OUT_Z_H:
                self._pop_word()
            return value >> 8 if i & 1 else value & 0xFF
        diff = min(1023, self.w_count)
        if addr == _FIFO_STATUS1:
            return diff & 0xFF
        if addr == _FIFO_STATUS2:
            return self._fifo_flags() | ((diff >> 8) & 0x03)
        return self._read_common(addr)
