"""User settings kept in flash (``/settings.json``): sample rate, placement, daily goal, session auto-start, idle sleep.

The host changes them over BLE (the settings characteristic); bad or missing values fall back to the defaults, so a
damaged file never stops the anklet from counting.
"""

import json

PLACEMENTS = ("ankle", "shoe")
RATES_HZ = (25, 50, 100, 200, 400)

DEFAULTS = {
    "rate_hz": 100,
    "range_g": 16,  # shoe heel strikes reach 8 g; 16-bit chips still resolve 0.5 mg
    "placement": "",  # empty: the board file's placement
    "goal_min": 10,  # the usual advice is 5-10 minutes of backward walking a day
    "auto_start": True,  # sessions start on walking; off: the button starts and ends them
    "idle_sleep_s": 600,  # deep sleep after this long without walking (0: never)
    "left_leg": False,
}


class Settings:
    def __init__(self, path="/settings.json"):
        self.path = path
        self.values = dict(DEFAULTS)

    def load(self):
        """Read the file; returns the names of values that were bad and replaced by defaults."""
        rejected = []
        try:
            with open(self.path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return rejected
        if not isinstance(data, dict):
            return ["(whole file)"]
        for name, value in data.items():
            if name in DEFAULTS and self._valid(name, value):
                self.values[name] = value
            else:
                rejected.append(name)
        return rejected

    @staticmethod
    def valid(name: str, value: object) -> bool:
        """Whether ``value`` is allowed for setting ``name`` (the one definition; the laptop checks with it too)."""
        return name in DEFAULTS and Settings._valid(name, value)

    @staticmethod
    def _valid(name, value):
        default = DEFAULTS[name]
        if type(value) is not type(default):
            return False
        if name == "rate_hz":
            return value in RATES_HZ
        if name == "range_g":
            return value in (2, 4, 8, 16)
        if name == "placement":
            return value == "" or value in PLACEMENTS
        if name == "goal_min":
            return 1 <= value <= 600
        if name == "idle_sleep_s":
            return value == 0 or 30 <= value <= 86400
        return True

    def update(self, **changes):
        """Apply valid changes and save; returns True if anything changed. Unknown or bad values raise ValueError."""
        changed = False
        for name, value in changes.items():
            if name not in DEFAULTS or not self._valid(name, value):
                raise ValueError("bad setting %s=%r" % (name, value))
            if self.values[name] != value:
                self.values[name] = value
                changed = True
        if changed:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.values, f)
            import os

            os.rename(tmp, self.path)
        return changed

    def __getitem__(self, name):
        return self.values[name]
