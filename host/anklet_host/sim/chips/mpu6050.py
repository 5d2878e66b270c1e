"""Register-level models of the InvenSense MPU-6050 and MPU-6886: a 1024-byte FIFO read through FIFO_R_W.

Modelled: WHO_AM_I (0x68 / 0x19); PWR_MGMT_1 SLEEP/CYCLE; sample rate = (8 kHz without DLPF, 1 kHz with DLPF_CFG
1..6) / (1 + SMPLRT_DIV); ACCEL_CONFIG/GYRO_CONFIG full scales (16-bit big-endian data); USER_CTRL FIFO_EN and the
self-clearing FIFO_RST; FIFO_EN packet contents in register order (MPU-6886: temperature always rides along);
FIFO_COUNTH/L in bytes; FIFO_R_W pops one byte per read and does not auto-increment; when full, the MPU-6050 (and
the MPU-6886 with CONFIG.FIFO_MODE = 0) overwrites its oldest bytes, the MPU-6886 with FIFO_MODE = 1 refuses new
bytes; INT_STATUS FIFO_OFLOW (b4), motion bits; MPU-6886 FIFO_WM_TH1/2 watermark (bytes) and FIFO_WM_INT_STATUS;
INT_PIN_CFG active level, latch and clear-on-any-read; wake-on-motion (MPU-6050 MOT_THR 2 mg/LSB against the
attitude at arming, MPU-6886 ACCEL_WOM_x_THR 4 mg/LSB against the previous sample).
"""

from .base import ChipModel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..clock import VirtualClock
    from .base import SampleSource

_SMPLRT_DIV = 0x19
_CONFIG = 0x1A
_GYRO_CONFIG = 0x1B
_ACCEL_CONFIG = 0x1C
_MOT_THR = 0x1F
_WOM_X_THR = 0x20
_FIFO_EN = 0x23
_INT_PIN_CFG = 0x37
_INT_ENABLE = 0x38
_FIFO_WM_INT_STATUS = 0x39
_INT_STATUS = 0x3A
_ACCEL_XOUT_H = 0x3B
_GYRO_ZOUT_L = 0x48
_FIFO_WM_TH1 = 0x60
_FIFO_WM_TH2 = 0x61
_ACCEL_INTEL_CTRL = 0x69
_USER_CTRL = 0x6A
_PWR_MGMT_1 = 0x6B
_PWR_MGMT_2 = 0x6C
_FIFO_COUNTH = 0x72
_FIFO_COUNTL = 0x73
_FIFO_R_W = 0x74
_WHO_AM_I = 0x75

_FIFO_BYTES = 1024
_OFLOW = 0x10
# LSB per deg/s x 10 for FS_SEL 0..3 (131, 65.5, 32.8, 16.4).
_GYRO_LSB_PER_DPS_X10 = (1310, 655, 328, 164)
# MPU-6050 LP_WAKE_CTRL: cycle wake-ups per second (x 100): 1.25, 5, 20, 40 Hz.
_LP_WAKE_CHZ = (125, 500, 2000, 4000)


# Writing these re-arms the motion reference (a tuple made once: building one per call would allocate).
_MOTION_REGS = (_INT_ENABLE, _ACCEL_INTEL_CTRL, _MOT_THR)


class _MPUModel(ChipModel):
    DEFAULT_ADDRESS = 0x68
    IDENTITY_REG = _WHO_AM_I
    FIFO_DEPTH = 1  # the generic ring is unused: this FIFO holds bytes
    IS_6886 = False
    # Temperature register at 25 degC.
    TEMP_AT_25C = 0

    def __init__(self, clock: "VirtualClock", source: "SampleSource | None" = None, address: int = -1) -> None:
        self.ring = bytearray(_FIFO_BYTES)
        self.ring_head = 0
        self.ring_count = 0
        self.packet = bytearray(14)
        self.packet_len = 0
        self.status = 0  # INT_STATUS bits
        self.wm_status = False
        self._last_fifo_byte = 0
        self._cycle = False
        super().__init__(clock, source, address)

    # ---------------------------------------------------------------------------------------------- the FIFO
    def fifo_clear(self) -> None:
        self.ring_head = 0
        self.ring_count = 0

    def capacity_samples(self) -> int:
        return _FIFO_BYTES // (self.packet_len or 6)

    def pending_samples(self) -> int:
        return self.ring_count // self.packet_len if self.packet_len else 0

    def _build_packet(self) -> int:
        """Serialise the latest sample as the FIFO packet FIFO_EN asks for; its length."""
        en = self.regs[_FIFO_EN]
        c = self.counts
        p = self.packet
        n = 0
        accel = bool(en & 0x08)
        if self.IS_6886:
            gyro_axes = (0x10, 0x10, 0x10) if en & 0x10 else (0, 0, 0)
            temp = accel or bool(en & 0x10)
        else:
            gyro_axes = (en & 0x40, en & 0x20, en & 0x10)
            temp = bool(en & 0x80)
        if accel:
            for k in range(3):
                p[n] = (c[k] >> 8) & 0xFF
                p[n + 1] = c[k] & 0xFF
                n += 2
        if temp:
            p[n] = (self.TEMP_AT_25C >> 8) & 0xFF
            p[n + 1] = self.TEMP_AT_25C & 0xFF
            n += 2
        for k in range(3):
            if gyro_axes[k]:
                p[n] = (c[3 + k] >> 8) & 0xFF
                p[n + 1] = c[3 + k] & 0xFF
                n += 2
        return n

    def _push(self) -> None:
        n = self._build_packet()
        self.packet_len = n
        keep_oldest = self.IS_6886 and bool(self.regs[_CONFIG] & 0x40)
        lost = False
        for i in range(n):
            if self.ring_count == _FIFO_BYTES:
                lost = True
                if keep_oldest:
                    break
                self.ring_head = (self.ring_head + 1) % _FIFO_BYTES
                self.ring_count -= 1
            self.ring[(self.ring_head + self.ring_count) % _FIFO_BYTES] = self.packet[i]
            self.ring_count += 1
        if lost:
            self.dropped += 1
            self.status |= _OFLOW
        self._check_watermark()

    def _check_watermark(self) -> None:
        if not self.IS_6886:
            return
        threshold = ((self.regs[_FIFO_WM_TH1] & 0x03) << 8) | self.regs[_FIFO_WM_TH2]
        if threshold and self.ring_count >= threshold:
            self.wm_status = True

    def _pop_byte(self) -> int:
        if self.ring_count == 0:
            return self._last_fifo_byte  # the register map: an empty FIFO repeats the last byte read
        b = self.ring[self.ring_head]
        self.ring_head = (self.ring_head + 1) % _FIFO_BYTES
        self.ring_count -= 1
        self._last_fifo_byte = b
        return b

    # ------------------------------------------------------------------------------------------------ config
    def _configure(self) -> None:
        regs = self.regs
        pwr = regs[_PWR_MGMT_1]
        asleep = bool(pwr & 0x40)
        self._cycle = bool(pwr & 0x20)
        dlpf = regs[_CONFIG] & 0x07
        base_us = 1000 if 1 <= dlpf <= 6 else 125
        if asleep:
            self.set_rate(0, 1)
        elif self._cycle and not self.IS_6886:
            self.set_rate(100000000, _LP_WAKE_CHZ[regs[_PWR_MGMT_2] >> 6])
        else:
            self.set_rate(base_us * (1 + regs[_SMPLRT_DIV]), 1)
        afs = (regs[_ACCEL_CONFIG] >> 3) & 0x03
        self.acc_num = 16384 >> afs
        self.acc_den = 1000
        gfs = (regs[_GYRO_CONFIG] >> 3) & 0x03
        self.gyro_num = _GYRO_LSB_PER_DPS_X10[gfs]
        self.gyro_den = 10000
        self.gyro_on = (regs[_PWR_MGMT_2] & 0x07) != 0x07 and not self._cycle
        self.fifo_on = bool(regs[_USER_CTRL] & 0x40) and not asleep and not self._cycle
        self._configure_motion()

    def _configure_motion(self) -> None:
        raise NotImplementedError

    def _on_write(self, addr: int, value: int) -> None:
        if addr == _USER_CTRL and value & 0x04:
            self.fifo_clear()
            self.regs[_USER_CTRL] = value & ~0x04  # FIFO_RST clears itself
        elif addr == _PWR_MGMT_1 and value & 0x80:
            self.reset()
        elif addr in _MOTION_REGS:
            self.arm_motion_reference()

    # -------------------------------------------------------------------------------------------------- reads
    def _next_read(self, addr: int) -> int:
        if addr == _FIFO_R_W:
            return addr
        return (addr + 1) & 0xFF

    def _read_byte(self, addr: int) -> int:
        value = self._register(addr)
        if self.regs[_INT_PIN_CFG] & 0x10:
            self._clear_latched()  # INT_RD_CLEAR: any read clears the interrupt status
        return value

    def _register(self, addr: int) -> int:  # noqa: PLR0911 - one return per register reads best
        if _ACCEL_XOUT_H <= addr <= _GYRO_ZOUT_L:
            i = addr - _ACCEL_XOUT_H
            if i < 6:
                value = self.counts[i >> 1]
            elif i < 8:
                value = self.TEMP_AT_25C
            else:
                value = self.counts[3 + ((i - 8) >> 1)]
            return (value >> 8) & 0xFF if i % 2 == 0 else value & 0xFF
        if addr == _FIFO_COUNTH:
            return (self.ring_count >> 8) & 0x1F
        if addr == _FIFO_COUNTL:
            return self.ring_count & 0xFF
        if addr == _FIFO_R_W:
            return self._pop_byte()
        if addr == _INT_STATUS:
            value = self.status
            self._clear_latched()
            return value
        if addr == _FIFO_WM_INT_STATUS and self.IS_6886:
            value = 0x40 if self.wm_status else 0
            self.wm_status = False
            return value
        return ChipModel._read_byte(self, addr)

    def _clear_latched(self) -> None:
        self.status = 0
        self.wm_status = False
        self.wom_event = False

    def _after_sample(self) -> None:
        if self.wom_event:
            self.status |= self._motion_bits()

    def _motion_bits(self) -> int:
        raise NotImplementedError

    def _int_active(self, pin: int) -> bool:
        if pin != 1:
            return False
        enabled = self.regs[_INT_ENABLE]
        if self.status & enabled:
            return True
        return self.IS_6886 and self.wm_status

    def _int_active_low(self) -> bool:
        return bool(self.regs[_INT_PIN_CFG] & 0x80)


class MPU6050Model(_MPUModel):
    NAME = "MPU6050"
    IDENTITY = 0x68
    RESET_VALUES = ((_PWR_MGMT_1, 0x40),)
    TEMP_AT_25C = -3920  # (25 - 36.53) * 340

    def _configure_motion(self) -> None:
        if self.regs[_INT_ENABLE] & 0x40 and self.regs[_MOT_THR]:
            self.wom_threshold_mg = 2 * self.regs[_MOT_THR]
        else:
            self.wom_threshold_mg = 0
        self.wom_compare_previous = False

    def _motion_bits(self) -> int:
        return 0x40


class MPU6886Model(_MPUModel):
    NAME = "MPU6886"
    IDENTITY = 0x19
    IS_6886 = True
    RESET_VALUES = ((_PWR_MGMT_1, 0x41),)
    TEMP_AT_25C = 0

    def _configure_motion(self) -> None:
        regs = self.regs
        if regs[_ACCEL_INTEL_CTRL] & 0x80 and regs[_INT_ENABLE] & 0xE0:
            self.wom_threshold_mg = 4 * regs[_WOM_X_THR]
        else:
            self.wom_threshold_mg = 0
        self.wom_compare_previous = bool(regs[_ACCEL_INTEL_CTRL] & 0x40)

    def _motion_bits(self) -> int:
        return 0xE0 & self.regs[_INT_ENABLE]
