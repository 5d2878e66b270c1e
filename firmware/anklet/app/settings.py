"""User settings kept in flash (``/settings.json``): sample rate, placement, daily goal, session auto-start, idle sleep.

The host changes them over BLE (the settings characteristic); bad or missing values fall back to the defaults, so a
damaged file never stops the anklet from counting. The sample rates a board takes are its chip's (`rates_for`): a
file naming another one (written for another board, or before the list shrank) boots at the default rate instead,
and says so on the console.
"""

import json

PLACEMENTS = ("ankle", "shoe")
RATES_HZ = (25, 50, 100, 200, 400)  # every rate a setting may name; each chip runs some of them (`rates_for`)

DEFAULTS = {
    "rate_hz": 100,
    "range_g": 16,  # shoe heel strikes reach 8 g; 16-bit chips still resolve 0.5 mg
    "placement": "",  # empty: the board file's placement
    "goal_min": 10,  # the usual advice is 5-10 minutes of backward walking a day
    "auto_start": True,  # sessions start on walking; off: the button starts and ends them
    "idle_sleep_s": 600,  # deep sleep after this long without walking (0: never)
    "left_leg": False,
}


def rates_for(chip: str) -> tuple:
    """The sample rates (Hz) a board with sensor ``chip`` takes (up to its driver's ``MAX_RATE_HZ``): the one list
    the firmware and the laptop check a rate setting against; every rate a setting may name for "" (any chip)."""
    if not chip:
        return RATES_HZ
    # Imported here, not by the module: the board finds its chip's rates once, at boot (`Settings.rates_hz`), and the
    # driver table then leaves its heap (`anklet.app.boot`).
    from anklet.drivers import CHIPS, driver_class

    if chip not in CHIPS:
        return ()
    top = driver_class(chip).MAX_RATE_HZ
    return tuple(rate for rate in RATES_HZ if rate <= top)


def rate_refusal(chip: str, rate_hz: int, rates: tuple = ()) -> str:
    """Why ``rate_hz`` is no sample rate for ``chip`` (one line), or "" if it is one. ``rates``: the chip's if known."""
    rates = rates or rates_for(chip)
    if rate_hz in rates:
        return ""
    return "rate_hz=%r: the %s runs at %s Hz" % (rate_hz, chip or "anklet", ", ".join(str(r) for r in rates))


class Settings:
    def __init__(self, path="/settings.json", chip=""):
        self.path = path
        self.chip = chip  # the board's sensor (anklet.drivers.CHIPS): its rates are the ones taken
        self.rates_hz = rates_for(chip)  # found once: on the board the driver table is gone after boot
        self.values = dict(DEFAULTS)

    def load(self):
        """Read the file; returns, one line each, the values that were bad and replaced by defaults."""
        rejected = []
        try:
            with open(self.path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return rejected
        if not isinstance(data, dict):
            return ["(whole file)"]
        for name, value in data.items():
            if self.accepts(name, value):
                self.values[name] = value
            elif name == "rate_hz" and type(value) is int:
                rejected.append("%s (using %d Hz)" % (rate_refusal(self.chip, value, self.rates_hz), self.values[name]))
            else:
                rejected.append(name)
        return rejected

    def accepts(self, name, value):
        """`valid` for this board, with its chip's rates as found at boot."""
        if name == "rate_hz":
            return type(value) is int and value in self.rates_hz
        return Settings.valid(name, value)

    @staticmethod
    def valid(name: str, value: object, chip: str = "") -> bool:
        """Whether ``value`` is allowed for setting ``name`` on a board with sensor ``chip`` ("": any board) (the
        one definition; the laptop checks with it too)."""
        return name in DEFAULTS and Settings._valid(name, value, chip)

    @staticmethod
    def _valid(name, value, chip=""):
        default = DEFAULTS[name]
        if type(value) is not type(default):
            return False
        if name == "rate_hz":
            return value in rates_for(chip)
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
            if name == "rate_hz" and type(value) is int and not self.accepts(name, value):
                raise ValueError(rate_refusal(self.chip, value, self.rates_hz))
            if not self.accepts(name, value):
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
