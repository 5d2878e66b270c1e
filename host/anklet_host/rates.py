"""When a chip's own sample rate delivers a rate setting: within `RATE_TOLERANCE` of it.

A chip runs at the rate it has nearest above the setting (`anklet.drivers.common.pick_at_least`): the LSM6DS's
104 Hz for 100 is the setting (4% off), the MPU-6050/6886's 500 Hz for 400 is not (25% off; the detector refuses it
too). `make budget` checks every rate of `anklet.app.settings.rates_for` with it; `anklet settings` with it tells a
rate the anklet kept from one it took.
"""

from __future__ import annotations

from typing import Final

RATE_TOLERANCE: Final = 0.05


def delivers(setting_hz: int, rate_hz: float) -> bool:
    """Whether a chip running at ``rate_hz`` delivers the rate setting ``setting_hz``."""
    return abs(rate_hz - setting_hz) <= RATE_TOLERANCE * setting_hz
