# Defaults, a damaged file, bad values replaced, updates saved and reloaded; the rates a board's chip takes.
import os

from anklet.app.settings import Settings, rate_refusal, rates_for

path = "/tmp/anklet-scenario-settings.json"
with open(path, "w") as f:
    f.write('{"rate_hz": 50, "goal_min": 0, "placement": "shoe", "colour": "red"}')
s = Settings(path)
print(sorted(s.load()), s["rate_hz"], s["goal_min"], s["placement"], s["auto_start"])
print(s.update(goal_min=5, auto_start=False), s.update(goal_min=5))
try:
    s.update(rate_hz=33)
except ValueError as e:
    print("refused:", e)
again = Settings(path)
print(again.load(), again["goal_min"], again["auto_start"], again["rate_hz"])
with open(path, "w") as f:
    f.write("{not json")
broken = Settings(path)
print(broken.load(), broken["rate_hz"])

# A board's chip: its own rates only. A file with another rate (written for another board) boots at the default.
print(rates_for(""), rates_for("lis3dh"), rates_for("mpu6050"), rates_for("lsm6dsox"), rates_for("bmi270"))
print(repr(rate_refusal("lis3dh", 100)), rate_refusal("lis3dh", 400))
with open(path, "w") as f:
    f.write('{"rate_hz": 400, "goal_min": 20}')
lis = Settings(path, "lis3dh")
print(lis.load(), lis["rate_hz"], lis["goal_min"])
lsm = Settings(path, "lsm6dsox")
print(lsm.load(), lsm["rate_hz"])
print(
    Settings.valid("rate_hz", 400), Settings.valid("rate_hz", 400, "mpu6886"), Settings.valid("rate_hz", 200, "mpu6886")
)
try:
    lis.update(rate_hz=200)
except ValueError as e:
    print("refused:", e)
print(lis.update(rate_hz=50), lis["rate_hz"])
os.remove(path)
