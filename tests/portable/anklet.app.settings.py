# Defaults, a damaged file, bad values replaced, updates saved and reloaded.
import os

from anklet.app.settings import Settings

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
os.remove(path)
