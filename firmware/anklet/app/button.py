"""Button gestures from debounced edges: a short press starts or ends a walk session, a long press resets the day.

Pure logic, fed with pin levels and millisecond ticks by the button task, so it is tested off the board.
"""

from anklet.compat import const, ticks_diff

GESTURE_NONE = const(0)
GESTURE_SHORT = const(1)
GESTURE_LONG = const(2)

DEBOUNCE_MS = const(30)
LONG_PRESS_MS = const(2000)


class ButtonGestures:
    """Turns (pressed, now_ms) readings into gestures. A long press fires while still held, once."""

    def __init__(self, debounce_ms=DEBOUNCE_MS, long_press_ms=LONG_PRESS_MS):
        self.debounce_ms = debounce_ms
        self.long_press_ms = long_press_ms
        self._stable = False
        self._candidate = False
        self._candidate_since = 0
        self._pressed_at = 0
        self._long_fired = False

    def update(self, pressed, now_ms):
        """Feed one reading; returns GESTURE_SHORT on release of a short press, GESTURE_LONG once when held long."""
        if pressed != self._candidate:
            self._candidate = pressed
            self._candidate_since = now_ms
        if self._candidate != self._stable and ticks_diff(now_ms, self._candidate_since) >= self.debounce_ms:
            self._stable = self._candidate
            if self._stable:
                self._pressed_at = self._candidate_since
                self._long_fired = False
            elif not self._long_fired:
                return GESTURE_SHORT
        if self._stable and not self._long_fired and ticks_diff(now_ms, self._pressed_at) >= self.long_press_ms:
            self._long_fired = True
            return GESTURE_LONG
        return GESTURE_NONE
