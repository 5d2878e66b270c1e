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
  final. An event is final once its stance has ended (or lasted a second), so it arrives up to a stride after its
  contact; it carries the sample index (0-based count of samples fed) of the contact itself.
- ``finish() -> int``: at the end of a recording, the last contact becomes final now (a board streaming on
  finalizes it once its stance has lasted a second).
- Counters: ``contacts``, ``backward``, ``toe_first``, ``cadence_spm`` (steps per minute, both feet),
  ``steps_both_feet`` (two steps per contact of the instrumented foot); ``reset_counters()`` zeroes them.
- Events: ``event_count`` (cumulative), ring arrays ``ev_index``, ``ev_direction`` (``DIR_*``), ``ev_strike``
  (``anklet.packets.STRIKE_*``, the codes the packets and the flash log carry); event n is at slot ``n % EVENT_RING``.
- ``state_bytes()``: the detector's memory (arrays and scalar slots).

How it works (per stride, one foot):

- Samples above ~150 Hz are averaged in blocks so the core runs at 25-150 Hz (the index stays the input's).
- Activity is the low-passed deviation of acceleration from its short mean; a swing is activity above a threshold
  for at least 150 ms, a stance is activity below a lower threshold for 100 ms. Thresholds follow the strides seen.
- At stance onset the contact is the first sample, in the 300 ms before the stance settles, whose impact score
  (how far x and z stand out from their neighbours 20 ms either side) reaches 70% of the largest there: the landing
  transient, not the swing's smooth braking before it. A landing less than half a stride (0.55-0.75 s) after the
  last contact replaces it: a pause in mid swing split that stride (a slow walker's foot can glide so smoothly that
  its swing reads as quiet, and the lift-off's jolt before it as a landing).
- When the stance ends (the next swing is under way) 25 integer features of the stride are measured from the rings:
  foot/shank pitch (tilt-corrected forward acceleration, i.e. the gravity direction) and vertical acceleration in
  windows just before contact, just after it (fixed and stride-relative windows) and just before lift-off, all
  relative to mid-stance; the swing's speed-up/brake score; the pitch rate (gyro) over stance, just after contact,
  before contact and before lift-off; the swing's activity peak, the impact score, stance and stride durations (in
  centiseconds, the same at every rate), how far the pitch and the vertical acceleration ranged over the swing, and
  the swing displacement: the forward acceleration (tilt-corrected, mg) integrated twice over the swing, the
  velocity's linear trend removed (the foot starts and ends the swing at rest, so that trend is mostly gravity from
  the foot's pitch), i.e. ``sum(x_j * ((n - 1) / 2 - j))`` in mm: large and positive when the foot swung forward.
- Direction and strike come from `anklet.detect_mlp`: a small integer neural network (one hidden layer) per
  placement and sensor set (accelerometer only / with gyro) scores direction (its sign) and heel, toe and flat (the
  largest wins; the accelerometer-only shoe network is three fits averaged, merged into one wider layer). Ankle
  models were fitted on synthetic walks (`anklet synth` seeds 0-199); shoe models on those plus
  the real shoe recordings, whose reported figures come from leave-one-recording-out fits (README). A stride whose
  swing displacement is clearly forward (`_SWING_FORWARD_SHOE_MM`) is forward even if the network reads its landing
  as backward. The strike scores are blended with the walker's style in that direction (the mean
  of the walk's strides before, `_blend_style`): a walker keeps one way of landing through a walk, and one stride's
  landing is a noisy reading of it.
- Only walking counts: contacts are held back until three come at consistent stride intervals, at least two of them
  after a real swing (the pitch ranged over 300 mg at the ankle, 350 mg on the shoe: the limb turned by some 20
  degrees; a seated tap or a vibrating floor turns it by a few) and a real stance (0.3 s still: a tapping foot is
  down for less), then released with their original indices; a gap longer than the slowest stride closes the gate
  again.
- Mounting tilt: after a second at rest, the gravity direction sets the pitch reference used by the features;
  each stride's own mid-stance is the reference the pitch features are taken against.
"""

from array import array

from anklet.compat import const
from anklet.detect_mlp import hidden_units, model_name, scores
from anklet.detect_mlp import load as load_model
from anklet.packets import STRIKE_FLAT, STRIKE_HEEL, STRIKE_TOE

PLACEMENT_ANKLE = const(0)
PLACEMENT_SHOE = const(1)
DIR_FORWARD = const(0)
DIR_BACKWARD = const(1)

_EVENT_RING = const(32)
_PENDING_MAX = const(8)
_GATE_CONTACTS = const(3)
# A walking swing turns the foot or shank through well over 20 degrees: the range of its pitch (the forward component
# of the low-passed acceleration) over the movement exceeds this; a seated tap or a vibrating floor stays far below.
_RING_S_X10 = const(34)  # the rings' span, tenths of a second
_SWING_MIN_ANKLE_MG = const(400)
_SWING_MIN_SHOE_MG = const(450)
# ... and a walking foot then stands still for a good part of the stride: even at 130 steps/min its quiet stance lasts
# over 0.35 s, where a tapping foot is down for a fifth of a second.
_STANCE_MIN_CS = const(30)
# A stride is forward, whatever its landing looks like, when its swing carried the foot clearly forward: the swing
# displacement (`_swing_displacement`) beyond these. A landing can mislead (a flat-footed forward walker with hard
# impacts lands like a backward one); the swing cannot. On synthetic walks (seeds 0-199) no backward swing reached
# 140 mm on the shoe or 310 mm at the ankle (the shank's swing is shorter and its pitch swings wider); the
# thresholds are about twice that.
_SWING_FORWARD_SHOE_MM = const(300)
_SWING_FORWARD_ANKLE_MM = const(600)
_MOVE = const(1)
_STANCE = const(0)
# Activity (mg) is clipped so landing impacts do not inflate the stride's activity level.
_ACT_CLIP = const(1500)
_QUIET_FLOOR_MG = const(30)
_I16_MAX = const(32767)
_N_FEATURES = const(25)
_FEATURE_CLIP = const(8191)
# A stride's strike scores are blended with the mean of the walker's strides before (`_blend_style`): a plain mean of
# the walk's first strides, then a running one in which each new stride weighs 1/_STYLE_MEAN_N.
_STYLE_MEAN_N = const(4)
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
        # Two landings closer than half a stride (0.55-0.75 s) are one contact split by a pause (`_stance_onset`).
        self._refractory_n = int(0.55 * core_hz)
        self._refractory_max_n = int(0.75 * core_hz)
        # Feature windows (core samples).
        self._w20 = int(0.02 * core_hz + 0.5)
        self._w60 = int(0.06 * core_hz + 0.5)
        self._w80 = int(0.08 * core_hz + 0.5)
        self._w100 = int(0.10 * core_hz + 0.5)
        self._w120 = int(0.12 * core_hz + 0.5)
        self._w160 = int(0.16 * core_hz + 0.5)
        self._stride_default_core = int(1.1 * core_hz)
        # Core samples -> centiseconds (Q8), so the duration features mean the same at every rate.
        self._cs_q8 = int(25600 / core_hz + 0.5)
        self._final_n = int(1.0 * core_hz)
        self._rest_n = int(1.0 * core_hz)
        # Stride interval bounds (input samples) for the walking gate.
        self._stride_min = int(0.6 * rate_hz)
        self._stride_max = int(3.4 * rate_hz)
        self._stride_max_core = int(3.4 * core_hz)
        self._spm_num = int(120 * rate_hz * 256)

        self._hp_w = int(0.02 * core_hz + 0.5)
        if self._hp_w < 1:
            self._hp_w = 1
        self._pick_n = int(0.30 * core_hz + 0.5)
        # The rings hold the last 3.4 s (the longest stride the walking gate takes), indexed modulo their length:
        # a power-of-two length (a mask instead of a modulo) would cost up to half as much RAM again per ring.
        ring = int(_RING_S_X10 * core_hz) // 10 + 1
        self._ring_n = ring
        self._r_px = array("h", bytes(2 * ring))
        self._r_pz = array("h", bytes(2 * ring))
        self._r_x = array("h", bytes(2 * ring))
        self._r_z = array("h", bytes(2 * ring))
        # Without a gyroscope the pitch-rate ring stays empty: one slot, written at index 0 and never read.
        self._r_gyro = array("h", bytes(2 * ring if self._has_gyro else 2))

        self._feat = array("h", bytes(2 * _N_FEATURES))
        # Only this detector's model is imported (`anklet.mlp_weights`): the other three never take the board's RAM.
        self._model = load_model(model_name(placement == PLACEMENT_SHOE, self._has_gyro))
        self._swing_min_mg = _SWING_MIN_SHOE_MG if placement == PLACEMENT_SHOE else _SWING_MIN_ANKLE_MG
        self._swing_forward_mm = _SWING_FORWARD_SHOE_MM if placement == PLACEMENT_SHOE else _SWING_FORWARD_ANKLE_MM
        self._hidden = array("i", bytes(4 * hidden_units(self._model)))
        self._scores = array("i", bytes(16))
        # Strike style per direction (`_blend_style`): running heel, toe, flat scores, and how many strides made
        # them (counted up to _STYLE_MEAN_N - 1: from there on each new stride weighs the same).
        self._style = array("i", bytes(4 * 6))
        self._style_n = array("b", bytes(2))
        self.ev_index = array("i", bytes(4 * _EVENT_RING))
        self.ev_direction = array("b", bytes(_EVENT_RING))
        self.ev_strike = array("b", bytes(_EVENT_RING))
        self._pend_index = array("i", bytes(4 * _PENDING_MAX))
        self._pend_direction = array("b", bytes(_PENDING_MAX))
        self._pend_strike = array("b", bytes(_PENDING_MAX))
        self._pend_big = array("b", bytes(_PENDING_MAX))
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
        self._mx = 0
        self._my = 0
        self._mz = 0
        self._act = 0
        self._lx = 0
        self._lz = 0
        self._primed = False
        self._pick_top = 0
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
        self._open_impact = 0
        self._open_done = False
        self._open_dir_score = 0
        self._open_swing_mm = 0
        self._open_swing_range = 0
        self._open_swing_z = 0
        self._open_move_peak = 0
        self._interval_core = self._stride_default_core
        self._interval_prev_core = self._stride_default_core
        # Walking gate.
        self._gate_open = False
        self._pend_count = 0
        self._last_final_index = -(1 << 28)
        self._style_n[0] = 0
        self._style_n[1] = 0

    def finish(self) -> int:
        """The recording ended: classify the contact still open (its stance cut short) and pass it to the walking
        gate; returns how many events became final. A board streaming on never needs it."""
        if not self._open:
            return 0
        return self._finalize()

    def reset_counters(self) -> None:
        self.contacts = 0
        self.backward = 0
        self.toe_first = 0
        self.steps_both_feet = 0
        self.cadence_spm = 0

    def state_bytes(self) -> int:
        arrays = len(self._r_x) * 2 * 4 + len(self._r_gyro) * 2 + len(self._feat) * 2
        arrays += len(self.ev_index) * 6 + len(self._pend_index) * 7
        arrays += len(self._hidden) * 4 + len(self._scores) * 4 + len(self._style) * 4 + len(self._style_n)
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
            km = self._k_mean
            self._mx = x << km
            self._my = y << km
            self._mz = z << km
            self._lx = x << self._k_pitch
            self._lz = z << self._k_pitch
            self._rx = x << self._k_rest
            self._ry = y << self._k_rest
            self._rz = z << self._k_rest
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
        i = t % self._ring_n
        self._r_px[i] = lx >> kp
        self._r_pz[i] = lz >> kp
        self._r_x[i] = x if -_I16_MAX < x < _I16_MAX else (_I16_MAX if x > 0 else -_I16_MAX)
        self._r_z[i] = z if -_I16_MAX < z < _I16_MAX else (_I16_MAX if z > 0 else -_I16_MAX)
        if self._has_gyro:
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
        if self._open and self._phase == _STANCE and t - self._open_t >= self._final_n:
            # A walk that stops: the last stance never ends with a swing. A second of standing is enough to
            # classify it (a very slow stride's stance is measured over that second), and the contact is not lost
            # when the recording ends soon after.
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
        i = t % self._ring_n
        return int((self._r_px[i] * self._tilt_c - self._r_pz[i] * self._tilt_s) >> _TILT_Q)

    def _stance_onset(self, onset_t: int) -> int:
        """A swing just ended: find its contact (first impact of the last impact cluster) and open its stance."""
        if self._peak_avg == 0:
            self._peak_avg = self._move_peak
        else:
            self._peak_avg += (self._move_peak - self._peak_avg) >> 2
        contact_t = self._pick_contact(onset_t)
        top = self._pick_top
        made = 0
        # Half the last stride: a slow walker's swing can go quiet in mid air (the foot glides at a steady speed),
        # and the lift-off's jolt before that pause must not pass for a contact of its own.
        refractory = self._interval_core
        if self._interval_prev_core > refractory:
            refractory = self._interval_prev_core  # the stride before, in case the last contact was such a jolt
        refractory >>= 1
        if refractory < self._refractory_n:
            refractory = self._refractory_n
        elif refractory > self._refractory_max_n:
            refractory = self._refractory_max_n
        split = contact_t - self._last_contact_t < refractory
        if split:
            # Two landings within one stride: a pause in mid swing split it, and the later one, whose stance
            # lasts, is the contact.
            if not self._open:
                return 0
        elif self._open:
            made = self._finalize()
        self._open_impact = top
        self._open_move_peak = self._move_peak
        if split:
            # The stride runs from the contact before the one this landing replaces.
            if self._interval_core + contact_t - self._open_t < self._stride_max_core:
                self._interval_core += contact_t - self._open_t
        elif contact_t - self._open_t < self._stride_max_core:
            self._interval_prev_core = self._interval_core
            self._interval_core = contact_t - self._open_t
        self._open_dir_score = self._swing_direction_score(contact_t)
        self._open_swing_mm = self._swing_displacement(contact_t)
        self._measure_swing(contact_t)
        self._open_done = False
        self._last_contact_t = contact_t
        self._open = True
        self._open_t = contact_t
        return made

    def _hp_at(self, k: int) -> int:
        """Impact score at core sample k: how far x and z stand out from their neighbours w samples either side."""
        n_ring = self._ring_n
        w = self._hp_w
        rx = self._r_x
        rz = self._r_z
        a = 2 * rx[k % n_ring] - rx[(k - w) % n_ring] - rx[(k + w) % n_ring]
        b = 2 * rz[k % n_ring] - rz[(k - w) % n_ring] - rz[(k + w) % n_ring]
        return (a if a > 0 else -a) + (b if b > 0 else -b)

    def _pick_contact(self, onset_t: int) -> int:
        """The contact: the first sample, in the 300 ms before the stance settles, whose impact score reaches 70% of
        the largest there."""
        w = self._hp_w
        hi = onset_t
        if hi > self._t - 1 - w:
            hi = self._t - 1 - w
        lo = onset_t - self._pick_n
        if lo < self._t - self._ring_n + 1 + w:
            lo = self._t - self._ring_n + 1 + w
        top = 0
        k = lo
        while k <= hi:
            v = self._hp_at(k)
            if v > top:
                top = v
            k += 1
        self._pick_top = top
        thr = (top * 7) // 10
        k = lo
        while k <= hi:
            if self._hp_at(k) >= thr:
                return k
            k += 1
        return hi

    def _swing_direction_score(self, contact_t: int) -> int:
        """Forward acceleration early in the movement minus late in it (mg): a forward swing speeds up then brakes,
        a backward one the reverse."""
        start = self._move_start
        lo = self._t - self._ring_n + 1
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

    def _swing_displacement(self, contact_t: int) -> int:
        """How far the foot moved forward over the movement before this contact (mm, a score more than a length).

        The forward acceleration x (tilt-corrected, raw, mg) integrated to a velocity, less that velocity's linear
        trend (the foot is at rest at both ends, so the trend is mostly the gravity the foot's pitch adds), integrated
        again: ``sum(x_j * ((n - 1) / 2 - j)) * g / rate**2``. Weights are in Q6 and x is clipped to 8 g so every
        partial sum stays below 2**30 for the longest movement the ring holds."""
        start = self._move_start
        lo = self._t - self._ring_n + 1
        if start < lo:
            start = lo
        n = contact_t - start
        if n < 2:
            return 0
        n_ring = self._ring_n
        rx = self._r_x
        rz = self._r_z
        c = self._tilt_c
        s = self._tilt_s
        span = n - 1
        total = 0
        k = 0
        i = start % n_ring  # walked with a wrap: one modulo per window, not one per sample
        while k < n:
            x = (rx[i] * c - rz[i] * s) >> _TILT_Q
            if x > _FEATURE_CLIP:
                x = _FEATURE_CLIP
            elif x < -_FEATURE_CLIP:
                x = -_FEATURE_CLIP
            total += x * (((span - 2 * k) << 6) // n)
            k += 1
            i += 1
            if i == n_ring:
                i = 0
        # mm = mean(x * w) * duration_s**2 * 9.81 / 128 (w in Q6), the duration taken in centiseconds and the
        # product formed in steps that stay under 2**30.
        dur_cs = (n * self._cs_q8) >> 8
        part = ((total // n) * dur_cs) // 1280
        return ((part * dur_cs) // 1000) * 981 // 100

    def _measure_swing(self, contact_t: int) -> None:
        """How far the limb turned in the movement before this contact: the range of its pitch (tilt-corrected
        low-passed forward acceleration, mg), and of its low-passed vertical acceleration (mg)."""
        k = self._move_start
        lo = self._t - self._ring_n + 1
        if k < lo:
            k = lo
        n_ring = self._ring_n
        px = self._r_px
        pz = self._r_pz
        c = self._tilt_c
        s = self._tilt_s
        top = -_I16_MAX
        low = _I16_MAX
        ztop = -_I16_MAX
        zlow = _I16_MAX
        i = k % n_ring
        while k < contact_t:
            v = (px[i] * c - pz[i] * s) >> _TILT_Q  # the pitch (`_pitch_at`), inline: a call per sample costs more
            if v > top:
                top = v
            if v < low:
                low = v
            v = pz[i]
            if v > ztop:
                ztop = v
            if v < zlow:
                zlow = v
            k += 1
            i += 1
            if i == n_ring:
                i = 0
        self._open_swing_range = top - low if top > low else 0
        self._open_swing_z = ztop - zlow if ztop > zlow else 0

    def _win_mean(self, ring: array, a: int, b: int, pitched: bool) -> int:
        """Mean of ``ring`` over core samples a..b (clamped to what the ring holds); x rotated by the mounting tilt."""
        lo = self._t - self._ring_n + 1
        if a < lo:
            a = lo
        if b > self._t - 1:
            b = self._t - 1
        if b < a:
            b = a
        n_ring = self._ring_n
        total = 0
        k = a
        i = a % n_ring
        if pitched:
            rz = self._r_z
            c = self._tilt_c
            s = self._tilt_s
            while k <= b:
                total += (ring[i] * c - rz[i] * s) >> _TILT_Q
                k += 1
                i += 1
                if i == n_ring:
                    i = 0
        else:
            while k <= b:
                total += ring[i]
                k += 1
                i += 1
                if i == n_ring:
                    i = 0
        return total // (b - a + 1)

    def _set_feature(self, i: int, value: int) -> None:
        if value > _FEATURE_CLIP:
            value = _FEATURE_CLIP
        elif value < -_FEATURE_CLIP:
            value = -_FEATURE_CLIP
        self._feat[i] = value

    def _end_stance(self, end_t: int) -> None:
        """The open contact's stance ended at core sample end_t (the next swing began, or the walk stopped): measure
        the stride's features while the ring still holds the landing (see the module docstring)."""
        self._open_done = True
        c = self._open_t
        stance = end_t - c
        if stance < 4:
            stance = 4
        stride = self._interval_core
        rx = self._r_x
        rz = self._r_z
        rg = self._r_gyro
        w2 = self._w20
        w6 = self._w60
        w8 = self._w80
        w12 = self._w120
        w16 = self._w160
        # Mid-stance (foot flat, shank passing upright) is each stride's own attitude reference.
        x_mid = self._win_mean(rx, c + 2 * stance // 5, c + 3 * stance // 5, True)
        z_mid = self._win_mean(rz, c + 2 * stance // 5, c + 3 * stance // 5, False)
        self._set_feature(0, self._win_mean(rx, end_t - w12, end_t, True) - x_mid)
        self._set_feature(1, self._win_mean(rx, c + w2, c + w8, True) - x_mid)
        self._set_feature(2, self._win_mean(rx, c + w8, c + w16, True) - x_mid)
        self._set_feature(3, self._win_mean(rx, c - w6, c, True) - x_mid)
        self._set_feature(4, self._win_mean(rz, c + w2, c + w8, False) - z_mid)
        self._set_feature(5, self._win_mean(rx, c + stance // 4, c + 2 * stance // 5, True) - x_mid)
        self._set_feature(6, self._win_mean(rx, c + 3 * stance // 5, c + 4 * stance // 5, True) - x_mid)
        self._set_feature(7, self._open_dir_score)
        self._set_feature(8, self._win_mean(rz, end_t - w12, end_t, False) - z_mid)
        self._set_feature(9, self._win_mean(rz, c - w6, c, False) - z_mid)
        self._set_feature(10, self._win_mean(rx, c + stride // 100, c + stride // 20, True) - x_mid)
        self._set_feature(11, self._win_mean(rz, c + stride // 100, c + stride // 20, False) - z_mid)
        if self._has_gyro:
            self._set_feature(12, self._win_mean(rg, c, end_t, False))
            self._set_feature(13, self._win_mean(rg, c, c + w8, False))
            self._set_feature(14, self._win_mean(rg, c + w8, c + w16, False))
            self._set_feature(15, self._win_mean(rg, end_t - w12, end_t, False))
            self._set_feature(16, self._win_mean(rg, c - self._w100, c, False))
            self._set_feature(17, self._win_mean(rg, c + stride // 100, c + stride // 20, False))
        else:
            k = 12
            while k < 18:
                self._set_feature(k, 0)  # no pitch rate: what an all-zero ring would give
                k += 1
        self._set_feature(18, self._open_move_peak)
        self._set_feature(19, self._open_impact)
        self._set_feature(20, (stance * self._cs_q8) >> 8)
        self._set_feature(21, (stride * self._cs_q8) >> 8)
        self._set_feature(22, self._open_swing_range)
        self._set_feature(23, self._open_swing_z)
        self._set_feature(24, self._open_swing_mm)

    def _finalize(self) -> int:
        """Classify the open contact and pass it to the walking gate."""
        self._open = False
        if not self._open_done:
            self._end_stance(self._t - 1)
        out = self._scores
        scores(self._model, self._feat, self._hidden, out)
        direction = DIR_BACKWARD if out[0] > 0 else DIR_FORWARD
        if self._feat[24] > self._swing_forward_mm:
            direction = DIR_FORWARD
        index = self._open_t * self._decim + self._decim - 1
        if self._starts_walk(index):
            # The style of the strides before is not this walk's.
            self._style_n[0] = 0
            self._style_n[1] = 0
        self._blend_style(direction, out)
        # The largest score wins. (Forward toe-first calls once had to clear a margin, to keep real heel strikes
        # from reading toe-first; with the style a plain mean that weighs a walk's first step less, the margin
        # stopped paying: leave-one-recording-out, 3 of 159 real heel strikes read toe-first with or without it.)
        heel = out[1]
        toe = out[2]
        flat = out[3]
        strike = STRIKE_HEEL
        if toe > heel and toe >= flat:
            strike = STRIKE_TOE
        elif flat > heel and flat > toe:
            strike = STRIKE_FLAT
        return self._gate(index, direction, strike)

    def _starts_walk(self, index: int) -> bool:
        """The contact at input sample ``index`` comes after a gap longer than the slowest stride: a new walk (the
        walking gate closes for the same gap)."""
        return index - self._last_final_index > self._stride_max

    def _blend_style(self, direction: int, out: array) -> None:
        """Strike scores out[1..3] blended with the walker's style in this direction: a walker keeps one way of
        landing through a walk, and one stride's landing is a noisy reading of it.

        The style is the mean of the walk's strides before in this direction (a plain mean of the first ones, then
        each new stride weighs a quarter), and it weighs half in the blend once two strides made it, a quarter when
        it is a single stride: a walk's first step, from standing, is often unlike the rest."""
        style = self._style
        base = 3 * direction
        seen = self._style_n[direction]
        if seen < _STYLE_MEAN_N - 1:
            self._style_n[direction] = seen + 1
        if seen == 0:
            k = 0
            while k < 3:
                style[base + k] = out[k + 1]
                k += 1
            return
        weight = 4 if seen == 1 else 2  # 1/weight: the style's share of the blend
        mean = seen + 1  # this stride's share of the new style: 1/mean (seen stops at _STYLE_MEAN_N - 1)
        k = 0
        while k < 3:
            now = out[k + 1]
            before = style[base + k]
            # Each part divided before adding: scores stay under 2**30 (`detect_mlp`), and so does every sum (small
            # ints on the board).
            out[k + 1] = now - now // weight + before // weight
            style[base + k] = before - before // mean + now // mean
            k += 1

    def _gate(self, index: int, direction: int, strike: int) -> int:
        """Walking gate: hold contacts until three come at consistent stride intervals, at least two of them after
        a full swing and a real stance (see `_SWING_MIN_ANKLE_MG`, `_STANCE_MIN_CS`), then release them all."""
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
                self._pend_big[0] = self._pend_big[p - 1]
                p = 1
        if p == _PENDING_MAX:
            p = 0
        self._pend_index[p] = index
        self._pend_direction[p] = direction
        self._pend_strike[p] = strike
        big = self._open_swing_range >= self._swing_min_mg and self._feat[20] >= _STANCE_MIN_CS
        self._pend_big[p] = 1 if big else 0
        self._pend_count = p + 1
        if self._pend_count < _GATE_CONTACTS:
            return 0
        big = 0
        k = 0
        while k < self._pend_count:
            big += self._pend_big[k]
            k += 1
        if big < _GATE_CONTACTS - 1:
            # Rhythmic but no swing (taps, a vibrating floor): slide the chain on without releasing it.
            k = 1
            while k < self._pend_count:
                self._pend_index[k - 1] = self._pend_index[k]
                self._pend_direction[k - 1] = self._pend_direction[k]
                self._pend_strike[k - 1] = self._pend_strike[k]
                self._pend_big[k - 1] = self._pend_big[k]
                k += 1
            self._pend_count -= 1
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
