# The stride classifier gives the same four scores under CPython and MicroPython, for every model, on feature vectors
# from typical values to the clip limits, and allocates nothing while it scores.
from array import array

from anklet.detect_mlp import MODELS, hidden_units, load, scores

try:
    import micropython
except ImportError:
    micropython = None

hidden = array("i", bytes(4 * max(hidden_units(load(name)) for name in MODELS)))
out = array("i", bytes(16))
feat = array("h", bytes(2 * 24))
seed = 11
for name in MODELS:
    model = load(name)
    for case in range(6):
        i = 0
        while i < 24:
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            spread = (100, 1000, 8191)[case % 3]
            feat[i] = (seed >> 8) % (2 * spread + 1) - spread
            i += 1
        if micropython is not None:
            micropython.heap_lock()
        try:
            scores(model, feat, hidden, out)
        finally:
            if micropython is not None:
                micropython.heap_unlock()
        print(name, case, out[0], out[1], out[2], out[3])
try:
    load("wrist_acc")
except ValueError as exc:
    print(exc)
