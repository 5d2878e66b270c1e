# const() folds to its value on both; ticks advance and differ consistently.
from anklet.compat import const, ticks_diff, ticks_ms

_LIMIT = const(40)
print(_LIMIT * 2)
t0 = ticks_ms()
t1 = ticks_ms()
print(ticks_diff(t1, t0) >= 0)
