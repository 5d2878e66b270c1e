"""The streaming step detector: foot contacts, walking direction and foot strike from an ankle or shoe IMU.

One source runs on the board (MicroPython) and on the laptop (CPython, `anklet analyze`). The per-sample path is
integer-only, allocates nothing and keeps constant memory; heavier work runs once per stride.

Usage::

    from anklet.detector import StepDetector, PLACEMENT_ANKLE, DIR_BACKWARD
    det = StepDetector(rate_hz=100, accel_lsb_per_g=2048, gyro_lsb_per_dps=0.0,  # 0.0 = no gyro
                       placement=PLACEMENT_ANKLE, axes=(1, 2, 3))
    for ax, ay, az in samples:                      # raw chip counts
        for _ in range(det.feed(ax, ay, az)):       # usually 0 new events
            ...
    n = det.event_count - 1                         # the newest event lives at slot n % StepDetector.EVENT_RING
    det.ev_index[n % StepDetector.EVENT_RING], det.ev_direction[...], det.ev_strike[...]

API:

- ``StepDetector(rate_hz, accel_lsb_per_g, gyro_lsb_per_dps=0.0, placement=PLACEMENT_ANKLE, axes=(1, 2, 3))``:
  ``rate_hz`` 25-400, ``accel_lsb_per_g`` from the configured range (e.g. 2048 at ±16 g), ``gyro_lsb_per_dps``
  0 for no gyro, ``axes`` maps body x, y, z (forward, left, up) to a signed 1-based chip axis, e.g. ``(-3, 2, 1)``.
  Constructor arguments may be floats (init time only).
- ``feed(ax, ay, az, gx=0, gy=0, gz=0) -> int``: one sample in raw chip counts; returns how many new events became
  final. An event is final once its stance has ended, so it arrives up to a stride after its contact; it carries
  the sample index (0-based count of samples fed) of the contact itself.
- Counters: ``contacts``, ``backward``, ``toe_first``, ``cadence_spm`` (steps per minute, both feet),
  ``steps_both_feet`` (two steps per contact of the instrumented foot); ``reset_counters()`` zeroes them.
- Events: ``event_count`` (cumulative), ring arrays ``ev_index``, ``ev_direction`` (``DIR_*``), ``ev_strike``
  (``STRIKE_*``); event n is at slot ``n % EVENT_RING``.
- ``state_bytes()``: the detector's memory (arrays and scalar slots).

How it works (per stride, one foot):

- Samples above ~150 Hz are averaged in blocks so the core runs at 25-150 Hz (the index stays the input's).
- Activity is the low-passed deviation of acceleration from its short mean; a swing is activity above a threshold
  for at least 150 ms, a stance is activity below a lower threshold for 100 ms. Thresholds follow the strides seen.
- At stance onset the contact is the first impact (sample-to-sample jerk above 40% of the largest nearby one) of the
  impact cluster before the stance: toe then heel in a toe-first landing, heel then forefoot in a heel-first one.
- Direction, accelerometer only: a forward swing speeds the limb up then brakes it (forward acceleration positive
  early in the movement, negative before the landing); a backward swing the reverse. With a gyro: the sign of the
  pitch rotation integrated over stance (shank and foot tip forward through a forward stance).
- Strike, with a gyro: the pitch rotation in the 30-120 ms after contact (toe slapping down after a heel strike,
  heel dropping after a toe strike). Accelerometer only: the gait's rule (heel first forward, toe first backward);
  flat strikes are not told apart yet.
- Only walking counts: contacts are held back until three come at consistent stride intervals, then released with
  their original indices; a gap longer than the slowest stride closes the gate again.
- Mounting tilt: after a second at rest, the gravity direction sets the pitch reference used by the features.
"""

from array import array

from anklet.compat import const

PLACEMENT_ANKLE = const(0)
PLACEMENT_SHOE = const(1)
DIR_FORWARD = const(0)
DIR_BACKWARD = const(1)
STRIKE_HEEL = const(0)
STRIKE_TOE = const(1)
STRIKE_FLAT = const(2)

_EVENT_RING = const(32)
_PENDING_MAX = const(8)
_GATE_CONTACTS = const(3)
_MOVE = const(1)
_STANCE = const(0)
# Activity (mg) is clipped so landing impacts do not inflate the stride's activity level.
_ACT_CLIP = const(1500)
_QUIET_FLOOR_MG = const(30)
_I16_MAX = const(32767)
# Fixed-point scale of the tilt reference (cosine and sine of the mounting pitch).
_TILT_Q = const(12)


def _shift_for(tau_s: float, rate_hz: float) -> int:
    """The shift k of a one-pole low-pass y += (x - y) >> k with time constant ~tau_s at rate_hz."""
    k = 1  # k = 0 would be no filter at all
    while (1 << (k + 1)) <= tau_s * rate_hz * 1.41:
        k += 1
    return k


def _isqrt(n: int) -> int:
    """Integer square root (Newton), allocation-free for small ints."""
    if n <= 0:
        return 0
    x = n
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


def _axis_code(spec: int) -> tuple[int, int]:
    """A signed 1-based chip axis (1..3 or -1..-3) as (index 0..2, sign)."""
    index = abs(int(spec)) - 1
    if index < 0 or index > 2:
        raise ValueError("axes entries must be +-1, +-2 or +-3")
    return index, (1 if spec > 0 else -1)


class StepDetector:
    """Streaming contact, direction and strike detector for one instrumented leg (see the module docstring)."""

    EVENT_RING = _EVENT_RING

    def __init__(
        self,
        rate_hz: float,
        accel_lsb_per_g: float,
        gyro_lsb_per_dps: float = 0.0,
        placement: int = PLACEMENT_ANKLE,
        axes: tuple[int, int, int] = (1, 2, 3),
    ) -> None:
        if rate_hz < 20 or rate_hz > 420:
            raise ValueError("rate_hz must be 25-400")
        if accel_lsb_per_g <= 0:
            raise ValueError("accel_lsb_per_g must be positive")
        if placement != PLACEMENT_ANKLE and placement != PLACEMENT_SHOE:
            raise ValueError("placement must be PLACEMENT_ANKLE or PLACEMENT_SHOE")
        codes = [_axis_code(a) for a in axes]
        if len(codes) != 3 or len(set(c[0] for c in codes)) != 3:
            raise ValueError("axes must name each chip axis once")
        self.placement = placement
        self.rate_hz = rate_hz
        # Block averaging keeps the core at 25-150 Hz.
        decim = int(rate_hz / 100 + 0.25)
        if decim < 1:
            decim = 1
        self._decim = decim
        core_hz = rate_hz / decim
        self._core_hz = core_hz
        # counts (summed over a block) -> mg: (sum * mul) >> q, with mul * 32768 * decim kept under 2**29.
        scale = 1000.0 / (accel_lsb_per_g * decim)
        q = 0
        while scale * (1 << (q + 1)) * 32768 * decim < (1 << 29) and q < 24:
            q += 1
        self._q = q
        mul = int(scale * (1 << q) + 0.5)
        self._mulx = mul * codes[0][1]
        self._muly = mul * codes[1][1]
        self._mulz = mul * codes[2][1]
        self._ix = codes[0][0]
        self._iy = codes[1][0]
        self._iz = codes[2][0]
        self._remap = codes[0][0] != 0 or codes[1][0] != 1 or codes[2][0] != 2
        # Gyro: body pitch rate (about y, left) in mrad/s.
        self._has_gyro = gyro_lsb_per_dps > 0
        gq = 0
        gmul = 0
        if self._has_gyro:
            gscale = 17.453292519943 / (gyro_lsb_per_dps * decim)  # mrad/s per count (per block sum)
            while gscale * (1 << (gq + 1)) * 32768 * decim < (1 << 29) and gq < 24:
                gq += 1
            gmul = int(gscale * (1 << gq) + 0.5) * codes[1][1]
        self._gq = gq
        self._gmul = gmul

        # Filter shifts at the core rate.
        self._k_mean = _shift_for(0.04, core_hz)
        self._k_act = _shift_for(0.04, core_hz)
        self._k_pitch = _shift_for(0.06, core_hz)
        self._k_rest = _shift_for(0.5, core_hz)

        # Durations in core samples.
        self._swing_min_n = int(0.15 * core_hz + 0.5)
        self._quiet_n = int(0.10 * core_hz + 0.5)
        self._search_n = int(0.30 * core_hz + 0.5)
        self._cluster_n = int(0.15 * core_hz + 0.5)
        self._refractory_n = int(0.55 * core_hz)
        self._early0_n = int(0.03 * core_hz + 0.5)
        self._early1_n = int(0.12 * core_hz + 0.5) + 1
        self._late_n = int(0.15 * core_hz + 0.5) + 1
        self._final_n = int(1.2 * core_hz)
        self._rest_n = int(1.0 * core_hz)
        # Stride interval bounds (input samples) for the walking gate.
        self._stride_min = int(0.6 * rate_hz)
        self._stride_max = int(3.4 * rate_hz)
        self._stride_max_core = int(3.4 * core_hz)
        self._spm_num = int(120 * rate_hz * 256)

        ring = 64
        while ring < 1.6 * core_hz:
            ring <<= 1
        self._ring_mask = ring - 1
        self._r_jerk = array("h", bytes(2 * ring))
        self._r_px = array("h", bytes(2 * ring))
        self._r_pz = array("h", bytes(2 * ring))
        self._r_gyro = array("h", bytes(2 * ring))

        self.ev_index = array("i", bytes(4 * _EVENT_RING))
        self.ev_direction = array("b", bytes(_EVENT_RING))
        self.ev_strike = array("b", bytes(_EVENT_RING))
        self._pend_index = array("i", bytes(4 * _PENDING_MAX))
        self._pend_direction = array("b", bytes(_PENDING_MAX))
        self._pend_strike = array("b", bytes(_PENDING_MAX))
        self.event_count = 0
        self.contacts = 0
        self.backward = 0
        self.toe_first = 0
        self.cadence_spm = 0
        self.steps_both_feet = 0
        self._init_state()

    def _init_state(self) -> None:
        self._n = 0  # input samples fed
        self._t = 0  # core samples
        self._blk = 0
        self._sx = 0
        self._sy = 0
        self._sz = 0
        self._sg = 0
        self._px = 0
        self._py = 0
        self._pz = 0
        self._mx = 0
        self._my = 0
        self._mz = 0
        self._act = 0
        self._lx = 0
        self._lz = 0
        self._primed = False
        # Mounting tilt: cosine/sine of the pitch of gravity in the x-z plane (Q12).
        self._tilt_c = 1 << _TILT_Q
        self._tilt_s = 0
        self._rest_count = 0
        self._rx = 0
        self._rz = 0
        self._ry = 0
        # Stride state machine.
        self._phase = _STANCE
        self._move_start = 0
        self._move_peak = 0
        self._move_closed = False
        self._below_n = 0
        self._peak_avg = 0
        self._last_contact_t = -(1 << 28)
        # The contact awaiting the end of its stance.
        self._open = False
        self._open_t = 0
        self._open_early = 0
        self._open_mid = 0
        self._open_impact = 0
        self._open_done = False
        self._open_late = 0
        self._open_dir_score = 0
        self._open_gyro_sum = 0
        self._open_gyro_early = 0
        self._early_due = -1
        self._mid_due = -1
        # Walking gate.
        self._gate_open = False
        self._pend_count = 0
        self._last_final_index = -(1 << 28)

    def reset_counters(self) -> None:
        self.contacts = 0
        self.backward = 0
        self.toe_first = 0
        self.steps_both_feet = 0
        self.cadence_spm = 0

    def state_bytes(self) -> int:
        arrays = len(self._r_jerk) * 2 * 4 + len(self.ev_index) * 6 + len(self._pend_index) * 6
        return arrays + 4 * len(self.__dict__)

    # ------------------------------------------------------------------------------------------ per-sample path
    def feed(self, ax: int, ay: int, az: int, gx: int = 0, gy: int = 0, gz: int = 0) -> int:
        """One sample of raw counts; returns how many events became final."""
        self._n += 1
        if self._remap:
            ix = self._ix
            bx = ax if ix == 0 else (ay if ix == 1 else az)
            ix = self._iy
            by = ax if ix == 0 else (ay if ix == 1 else az)
            ix = self._iz
            bz = ax if ix == 0 else (ay if ix == 1 else az)
            bg = gy if self._iy == 1 else (gx if self._iy == 0 else gz)
        else:
            bx = ax
            by = ay
            bz = az
            bg = gy
        if self._decim > 1:
            self._sx += bx
            self._sy += by
            self._sz += bz
            self._sg += bg
            self._blk += 1
            if self._blk < self._decim:
                return 0
            bx = self._sx
            by = self._sy
            bz = self._sz
            bg = self._sg
            self._sx = 0
            self._sy = 0
            self._sz = 0
            self._sg = 0
            self._blk = 0
        q = self._q
        x = (bx * self._mulx) >> q
        y = (by * self._muly) >> q
        z = (bz * self._mulz) >> q
        return self._core(x, y, z, (bg * self._gmul) >> self._gq)

    def _core(self, x: int, y: int, z: int, g: int) -> int:
        t = self._t
        self._t = t + 1
        if not self._primed:
            self._primed = True
            self._px = x
            self._py = y
            self._pz = z
            km = self._k_mean
            self._mx = x << km
            self._my = y << km
            self._mz = z << km
            self._lx = x << self._k_pitch
            self._lz = z << self._k_pitch
            self._rx = x << self._k_rest
            self._ry = y << self._k_rest
            self._rz = z << self._k_rest
        jerk = abs(x - self._px) + abs(y - self._py) + abs(z - self._pz)
        self._px = x
        self._py = y
        self._pz = z
        km = self._k_mean
        mx = self._mx + x - (self._mx >> km)
        my = self._my + y - (self._my >> km)
        mz = self._mz + z - (self._mz >> km)
        self._mx = mx
        self._my = my
        self._mz = mz
        dev = abs(x - (mx >> km)) + abs(y - (my >> km)) + abs(z - (mz >> km))
        ka = self._k_act
        act_s = self._act + dev - (self._act >> ka)
        self._act = act_s
        act = act_s >> ka
        kp = self._k_pitch
        lx = self._lx + x - (self._lx >> kp)
        lz = self._lz + z - (self._lz >> kp)
        self._lx = lx
        self._lz = lz
        i = t & self._ring_mask
        self._r_jerk[i] = jerk if jerk < _I16_MAX else _I16_MAX
        self._r_px[i] = lx >> kp
        self._r_pz[i] = lz >> kp
        if g > _I16_MAX:
            g = _I16_MAX
        elif g < -_I16_MAX:
            g = -_I16_MAX
        self._r_gyro[i] = g

        # Rest: a still second (low activity) sets the mounting tilt from gravity.
        if act < 25:
            kr = self._k_rest
            self._rx += x - (self._rx >> kr)
            self._ry += y - (self._ry >> kr)
            self._rz += z - (self._rz >> kr)
            self._rest_count += 1
            if self._rest_count == self._rest_n:
                self._set_tilt()
        else:
            self._rest_count = 0

        made = 0
        if self._open and not self._open_done:
            self._open_gyro_sum += g
            if t == self._early_due:
                self._early_features()
            if t == self._mid_due:
                self._mid_features()
        # Stride phases: MOVE (from leaving stance to the end of the landing) and STANCE (quiet). A movement
        # shorter than a swing is a bump (a heel drop, a tap) and leaves the stance open.
        if act > _ACT_CLIP:
            act = _ACT_CLIP
        thr_move = self._peak_avg // 6
        if thr_move < 2 * _QUIET_FLOOR_MG:
            thr_move = 2 * _QUIET_FLOOR_MG
        if self._phase == _STANCE:
            if act > thr_move:
                self._phase = _MOVE
                self._move_start = t
                self._move_peak = act
                self._below_n = 0
                self._move_closed = False
        else:
            if act > self._move_peak:
                self._move_peak = act
            # Stance is quiet relative to this stride's own movement (a walking foot is never perfectly still).
            thr_quiet = self._move_peak // 5
            if thr_quiet < _QUIET_FLOOR_MG:
                thr_quiet = _QUIET_FLOOR_MG
            if not self._move_closed and t - self._move_start >= self._swing_min_n:
                self._move_closed = True
                if self._open and not self._open_done:
                    self._end_stance(self._move_start)
            if act < thr_quiet:
                self._below_n += 1
                if self._below_n >= self._quiet_n:
                    self._phase = _STANCE
                    end = t - self._quiet_n
                    if end - self._move_start >= self._swing_min_n:
                        made = self._stance_onset(end)
            else:
                self._below_n = 0
        if self._open:
            # A walk that stops: the last stance never ends with a swing.
            if not self._open_done and self._phase == _STANCE and t - self._open_t >= self._final_n:
                self._end_stance(t)
            if self._open_done and self._phase == _STANCE and t - self._open_t >= self._stride_max_core:
                made += self._finalize()
        if self._gate_open and self._n - self._last_final_index > self._stride_max and not self._open:
            self._gate_open = False
            self._pend_count = 0
        return made

    # -------------------------------------------------------------------------------------- per-stride work
    def _set_tilt(self) -> None:
        kr = self._k_rest
        gx = self._rx >> kr
        gz = self._rz >> kr
        norm = _isqrt(gx * gx + gz * gz)
        if norm < 500:
            return
        # Small mounting pitch only: a sensor far from upright is mis-mounted, not tilted.
        if abs(gx) * 2 > norm:
            return
        self._tilt_c = (gz << _TILT_Q) // norm
        self._tilt_s = (gx << _TILT_Q) // norm

    def _pitch_at(self, t: int) -> int:
        """Forward component of the low-passed acceleration at core sample t, corrected for mounting tilt (mg)."""
        i = t & self._ring_mask
        return int((self._r_px[i] * self._tilt_c - self._r_pz[i] * self._tilt_s) >> _TILT_Q)

    def _stance_onset(self, onset_t: int) -> int:
        """A swing just ended: find its contact (first impact of the last impact cluster) and open its stance."""
        if self._peak_avg == 0:
            self._peak_avg = self._move_peak
        else:
            self._peak_avg += (self._move_peak - self._peak_avg) >> 2
        mask = self._ring_mask
        start = onset_t - self._search_n
        lo = self._t - mask
        if start < lo:
            start = lo
        end = onset_t + self._quiet_n
        r = self._r_jerk
        top = 0
        top_t = onset_t
        k = start
        while k <= end:
            v = r[k & mask]
            if v > top:
                top = v
                top_t = k
            k += 1
        thr = (top * 2) // 5
        contact_t = top_t
        # A toe-first landing's first touch can be softer than the heel drop after it, but not long before it.
        k = top_t - self._cluster_n
        if k < start:
            k = start
        while k < top_t:
            if r[k & mask] >= thr:
                contact_t = k
                break
            k += 1
        made = 0
        if contact_t - self._last_contact_t < self._refractory_n:
            # Two landings within one stride: a pause in mid swing split it, and the later one, whose stance
            # lasts, is the contact.
            if not self._open:
                return 0
        elif self._open:
            made = self._finalize()
        self._open_impact = top
        self._open_dir_score = self._swing_direction_score(contact_t)
        self._open_done = False
        self._last_contact_t = contact_t
        self._open = True
        self._open_t = contact_t
        # Gyro pitch accumulated since the contact (it is in the ring).
        s = 0
        k = contact_t
        while k <= self._t - 1:
            s += self._r_gyro[k & mask]
            k += 1
        self._open_gyro_sum = s
        self._open_early = 0
        self._open_mid = 0
        self._open_gyro_early = 0
        self._early_due = contact_t + self._early1_n
        if self._early_due < self._t:
            self._early_due = self._t
        self._mid_due = contact_t + 3 * self._early1_n
        if self._mid_due <= self._early_due:
            self._mid_due = self._early_due + 1
        return made

    def _swing_direction_score(self, contact_t: int) -> int:
        """Forward acceleration early in the movement minus late in it (mg): a forward swing speeds up then brakes,
        a backward one the reverse."""
        start = self._move_start
        lo = self._t - self._ring_mask
        if start < lo:
            start = lo
        third = (contact_t - start) // 3
        if third < 1:
            return 0
        early = 0
        late = 0
        k = 0
        while k < third:
            early += self._pitch_at(start + k)
            late += self._pitch_at(contact_t - k)
            k += 1
        return (early - late) // third

    def _early_features(self) -> None:
        c = self._open_t
        k = c + self._early0_n
        end = c + self._early1_n
        s = 0
        gs = 0
        cnt = 0
        while k <= end:
            s += self._pitch_at(k)
            gs += self._r_gyro[k & self._ring_mask]
            cnt += 1
            k += 1
        self._open_early = s // cnt
        self._open_gyro_early = gs

    def _mid_features(self) -> None:
        self._open_mid = self._pitch_at(self._t)

    def _end_stance(self, end_t: int) -> None:
        """The open contact's stance ended at core sample end_t (the next swing began, or the walk stopped)."""
        self._open_done = True
        late = 0
        cnt = 0
        k = end_t - self._late_n
        lo = self._t - self._ring_mask
        if k < lo:
            k = lo
        if k <= self._open_t:
            k = self._open_t + 1
        while k <= end_t:
            late += self._pitch_at(k)
            cnt += 1
            k += 1
        self._open_late = late // cnt if cnt else self._open_mid

    def _finalize(self) -> int:
        """Classify the open contact and pass it to the walking gate."""
        self._open = False
        if not self._open_done:
            self._end_stance(self._t - 1)
        late = self._open_late
        early = self._open_early
        if self._has_gyro:
            direction = DIR_FORWARD if self._open_gyro_sum >= 0 else DIR_BACKWARD
            ge = self._open_gyro_early
            strike = STRIKE_HEEL if ge > 0 else STRIKE_TOE
        else:
            direction = DIR_FORWARD if self._open_dir_score >= 0 else DIR_BACKWARD
            # Without a gyro the landing posture is not observable through the impact; the gait's own rule
            # stands in: heel first walking forward, toe first walking backward.
            strike = STRIKE_HEEL if direction == DIR_FORWARD else STRIKE_TOE
            if early == late:
                strike = STRIKE_FLAT if early < -(1 << 20) else strike
        index = self._open_t * self._decim + self._decim - 1
        return self._gate(index, direction, strike)

    def _gate(self, index: int, direction: int, strike: int) -> int:
        """Walking gate: hold contacts until three come at consistent stride intervals, then release them."""
        interval = index - self._last_final_index
        self._last_final_index = index
        if interval > self._stride_max or (interval < self._stride_min and not self._gate_open):
            self._gate_open = False
            self._pend_count = 0
        if self._gate_open:
            self._update_cadence(interval)
            return self._emit(index, direction, strike)
        p = self._pend_count
        if p >= 2:
            last = self._pend_index[p - 1] - self._pend_index[p - 2]
            if interval * 10 < last * 6 or interval * 6 > last * 10:
                # Inconsistent stride: the chain restarts from the previous contact.
                self._pend_index[0] = self._pend_index[p - 1]
                self._pend_direction[0] = self._pend_direction[p - 1]
                self._pend_strike[0] = self._pend_strike[p - 1]
                p = 1
        if p == _PENDING_MAX:
            p = 0
        self._pend_index[p] = index
        self._pend_direction[p] = direction
        self._pend_strike[p] = strike
        self._pend_count = p + 1
        if self._pend_count < _GATE_CONTACTS:
            return 0
        self._gate_open = True
        self._update_cadence(interval)
        made = 0
        k = 0
        while k < self._pend_count:
            made += self._emit(self._pend_index[k], self._pend_direction[k], self._pend_strike[k])
            k += 1
        self._pend_count = 0
        return made

    def _update_cadence(self, interval: int) -> None:
        spm = (self._spm_num // interval) >> 8
        if self.cadence_spm == 0:
            self.cadence_spm = spm
        else:
            self.cadence_spm = (3 * self.cadence_spm + spm) >> 2

    def _emit(self, index: int, direction: int, strike: int) -> int:
        slot = self.event_count % _EVENT_RING
        self.ev_index[slot] = index
        self.ev_direction[slot] = direction
        self.ev_strike[slot] = strike
        self.event_count += 1
        self.contacts += 1
        self.steps_both_feet += 2
        if direction == DIR_BACKWARD:
            self.backward += 1
        if strike == STRIKE_TOE:
            self.toe_first += 1
        return 1
