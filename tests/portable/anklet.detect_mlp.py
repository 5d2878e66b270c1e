# The stride classifier gives the same four scores under CPython and MicroPython, for every model, on feature vectors
# from typical values to the clip limits, and allocates nothing while it scores.
from array import array

from anklet.detect_mlp import ANKLE_ACC, ANKLE_GYRO, HIDDEN_MAX, SHOE_ACC, SHOE_GYRO, scores

try:
    import micropython
except ImportError:
    micropython = None

hidden = array("i", bytes(4 * HIDDEN_MAX))
out = array("i", bytes(16))
feat = array("h", bytes(2 * 24))
seed = 11
for name, model in (
    ("ankle_acc", ANKLE_ACC),
    ("ankle_gyro", ANKLE_GYRO),
    ("shoe_acc", SHOE_ACC),
    ("shoe_gyro", SHOE_GYRO),
):
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
